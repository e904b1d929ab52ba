import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

// ---------------------------------------------------------------------------------------------
// Layering (shared/DESIGN.md): which folder may import which. Enforced with core
// `no-restricted-imports` (static `import`/`export … from`) plus `no-restricted-syntax` for dynamic
// `import("…")` with a literal specifier, which `no-restricted-imports` does not see.
//
// The rules match the import specifier as written, not the resolved file, so they also hold for
// folders that do not exist yet and for imports that do not resolve. A relative specifier is
// matched by the folder it climbs into (`../integrations/…`, `../../lib/integrations/…`), which can
// over-match a same-named folder nested deeper; there is none today.
//
// In flat config the options of one rule do not merge across config objects: for each file the
// last matching object wins. So each folder group below is one object carrying the union of every
// rule that applies to it, and groups are listed from the most general to the most specific.
// ---------------------------------------------------------------------------------------------

const SOURCE_EXT = "{ts,tsx,mts,cts,js,jsx,mjs,cjs}";
const src = (dir) => `${dir}/**/*.${SOURCE_EXT}`;

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
// One of the names, then the end of the specifier or a `/`.
const oneOf = (names) => `(?:${names.map(escapeRe).join("|")})(?:/|$)`;

/** Specifiers reaching the top-level folder(s) `dirs` through the `@/` alias or by climbing with `../`. */
const topLevel = (...dirs) => `^(?:@/|(?:\\./)?(?:\\.\\./)+)${oneOf(dirs)}`;
/**
 * Specifiers reaching `lib/<name>` for any of `names`: the `@/lib/` alias, climbing to the root and
 * down into `lib/` (`../../lib/integrations`), or climbing out of a sibling lib folder (`../integrations`).
 */
const libFolder = (...names) => `^(?:@/lib/|(?:\\./)?(?:\\.\\./)+(?:lib/)?)${oneOf(names)}`;

const RULES = {
  // 1. lib/lifecycle is pure: only files inside lib/lifecycle (./…, never climbing out) and zod.
  lifecyclePure: {
    regex: "^(?!(?:zod(?:/.*)?|\\./(?!(?:.*/)?\\.\\.(?:/|$)).+)$)",
    message:
      "lib/lifecycle is pure: it may import only files inside lib/lifecycle/ (./…) and zod. " +
      "No node: builtins, no I/O, no database types, nothing from another folder; pass data in from the caller.",
  },
  // 2. lib/ and tools/ never import app/.
  noApp: {
    regex: topLevel("app"),
    message: "lib/ and tools/ never import app/: app/ is the outermost layer. Move what both need into lib/.",
  },
  // 3. webhooks, chat and tools never call out to the integrations or the sandbox.
  ackFirst: {
    regex: libFolder("integrations", "sandbox"),
    message:
      "Acknowledge first, act in the worker: lib/webhooks, lib/chat and tools/ never import lib/integrations " +
      "or lib/sandbox. Record the intent and enqueue an outbox job; the worker does the call.",
  },
  // 4. Nothing outside test/ imports test/.
  noTest: {
    regex: topLevel("test"),
    message: "Nothing outside test/ imports test/: move what production code needs into lib/ (e.g. lib/sandbox).",
  },
  // 4, for files at the repository root, where `./test/…` reaches test/.
  noTestFromRoot: {
    regex: "^\\./test(?:/|$)",
    message: "Nothing outside test/ imports test/: move what production code needs into lib/ (e.g. lib/sandbox).",
  },
  // 5. The outbox core does not know what its jobs do.
  jobsCore: {
    regex: libFolder("record", "effects", "integrations", "sandbox"),
    message:
      "The outbox core (lib/jobs) must not know what its jobs do: it never imports lib/record, lib/effects, " +
      "lib/integrations or lib/sandbox. Job handlers are registered from outside.",
  },
};

// `no-restricted-syntax` selector for `import("literal")` whose specifier matches `regex`.
// esquery regex literals end at an unescaped `/`, so every `/` is escaped.
const dynamicImportSelector = (regex) =>
  `ImportExpression[source.type='Literal'][source.value=/${regex.replaceAll("/", "\\/")}/]`;

/** One config object for a folder group: every layering rule that applies to its files. */
function layer(name, files, rules, { ignores, forbidAllDynamicImports = false } = {}) {
  const syntax = forbidAllDynamicImports
    ? [{ selector: "ImportExpression", message: `${rules[0].message} No dynamic import(): import ./… statically.` }]
    : rules.map(({ regex, message }) => ({ selector: dynamicImportSelector(regex), message }));
  return {
    name: `layering/${name}`,
    files,
    ...(ignores ? { ignores } : {}),
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: rules.map(({ regex, message }) => ({ regex, message, caseSensitive: true })) },
      ],
      "no-restricted-syntax": ["error", ...syntax],
    },
  };
}

const { lifecyclePure, noApp, ackFirst, noTest, noTestFromRoot, jobsCore } = RULES;

const layering = [
  // Everything outside test/: evals/, scripts/, prisma/, app/, lib/, tools/ and the rest.
  layer("outside-test", [`**/*.${SOURCE_EXT}`], [noTest], { ignores: ["test/**"] }),
  layer("root-files", [`*.${SOURCE_EXT}`], [noTest, noTestFromRoot]),
  layer("lib-and-tools", [src("lib"), src("tools")], [noApp, noTest]),
  layer("acknowledge-first", [src("lib/webhooks"), src("lib/chat"), src("tools")], [noApp, noTest, ackFirst]),
  layer("outbox-core", [src("lib/jobs")], [noApp, noTest, jobsCore]),
  // Rule 1 forbids everything but ./… and zod, which covers rules 2 and 4 (and 3 and 5) too.
  layer("lifecycle-pure", [src("lib/lifecycle")], [lifecyclePure], { forbidAllDynamicImports: true }),
];

const config = [
  ...nextVitals,
  ...nextTs,
  { ignores: [".next/**", "lib/generated/**", ".data/**", "node_modules/**", "next-env.d.ts", "test-results/**"] },
  ...layering,
];

export default config;
