// Which providers the sandbox stands in for when `npm start` runs: outside production, each
// provider whose credentials are missing (Circle: CIRCLE_API_TOKEN; Kit: KIT_API_KEY) gets a local
// stand-in; a provider with credentials keeps them. Production never sandboxes (its config
// demands both credentials). Pure: scripts/start.ts does the starting and the printing.

export interface SandboxConfig {
  production: boolean;
  /** CIRCLE_API_TOKEN; missing when undefined or blank. */
  circleToken?: string;
  /** KIT_API_KEY; missing when undefined or blank. */
  kitKey?: string;
}

export interface SandboxPlan {
  circle: boolean;
  kit: boolean;
}

/** Where the started stand-ins listen, for the log lines. */
export type SandboxUrls = Partial<Record<keyof SandboxPlan, string>>;

const PROVIDERS = [
  { key: "circle", name: "Circle", credential: "CIRCLE_API_TOKEN" },
  { key: "kit", name: "Kit", credential: "KIT_API_KEY" },
] as const;

const missing = (secret: string | undefined) => secret === undefined || secret.trim() === "";

export function sandboxedProviders(config: SandboxConfig): SandboxPlan {
  if (config.production) return { circle: false, kit: false };
  return { circle: missing(config.circleToken), kit: missing(config.kitKey) };
}

/**
 * One line per provider saying whether the sandbox stands in for it or it uses the configured
 * credentials; nothing in production. Names the variables, never their values.
 */
export function sandboxLogLines(config: SandboxConfig, urls: SandboxUrls = {}): string[] {
  if (config.production) return [];
  const plan = sandboxedProviders(config);
  return PROVIDERS.map(({ key, name, credential }) => {
    if (!plan[key]) return `sandbox: ${name} uses the configured credentials (${credential})`;
    const url = urls[key];
    return `sandbox: ${name} is sandboxed: a local stand-in${url ? ` at ${url}` : ""} (${credential} not set)`;
  });
}
