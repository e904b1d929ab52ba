import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// The rooms of lib/ (one folder or top-level file per concern), app/ and tools/ import each
// other without loops: a change to one room never has to follow a cycle back into itself.
// File-level rules are ESLint's (eslint.config.mjs); this checks the folder-level graph.

const ROOT = path.resolve(__dirname, "../..");

/** lib/<room>/… and lib/<room>.ts are room "lib/<room>"; app/ and tools/ are one room each. */
function roomOf(file: string): string {
  const [top, second, ...rest] = path.relative(ROOT, file).split(path.sep);
  if (top !== "lib" || second === undefined) return top ?? file;
  return rest.length > 0 ? `lib/${second}` : `lib/${second.replace(/\.tsx?$/, "")}`;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "generated" ? [] : sourceFiles(full);
    return /\.tsx?$/.test(entry.name) ? [full] : [];
  });
}

function roomEdges(): Array<[string, string]> {
  const edges = new Set<string>();
  for (const file of ["lib", "app", "tools"].flatMap((dir) => sourceFiles(path.join(ROOT, dir)))) {
    for (const [, spec] of fs.readFileSync(file, "utf8").matchAll(/from "([^"]+)"/g)) {
      if (!spec) continue;
      const target = spec.startsWith(".") ? path.resolve(path.dirname(file), spec) : spec.startsWith("@/") ? path.join(ROOT, spec.slice(2)) : null;
      if (!target || target.includes(`${path.sep}generated${path.sep}`)) continue;
      const [from, to] = [roomOf(file), roomOf(target)];
      if (from !== to) edges.add(`${from}\u0000${to}`);
    }
  }
  return [...edges].map((edge) => edge.split("\u0000") as [string, string]);
}

/** The strongly connected components with more than one room (Tarjan). */
function cyclesOf(edges: Array<[string, string]>): string[][] {
  const graph = new Map<string, string[]>();
  for (const [from, to] of edges) {
    graph.set(from, [...(graph.get(from) ?? []), to]);
    if (!graph.has(to)) graph.set(to, []);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (room: string) => {
    index.set(room, index.size);
    low.set(room, index.get(room)!);
    stack.push(room);
    for (const next of graph.get(room)!) {
      if (!index.has(next)) {
        visit(next);
        low.set(room, Math.min(low.get(room)!, low.get(next)!));
      } else if (stack.includes(next)) low.set(room, Math.min(low.get(room)!, index.get(next)!));
    }
    if (low.get(room) === index.get(room)) {
      const component: string[] = [];
      for (;;) {
        const member = stack.pop()!;
        component.push(member);
        if (member === room) break;
      }
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const room of graph.keys()) if (!index.has(room)) visit(room);
  return cycles;
}

describe("rooms", () => {
  it("finds a planted loop between rooms, and none in a chain", () => {
    expect(cyclesOf([["lib/a", "lib/b"], ["lib/b", "lib/c"], ["lib/c", "lib/a"], ["app", "lib/a"]])).toEqual([["lib/a", "lib/b", "lib/c"]]);
    expect(cyclesOf([["app", "lib/a"], ["lib/a", "lib/b"], ["app", "lib/b"]])).toEqual([]);
  });

  it("reads the repository's imports", () => {
    const edges = roomEdges();
    expect(edges).toContainEqual(["lib/record", "lib/lifecycle"]);
    expect(edges).toContainEqual(["app", "lib/runtime"]);
  });

  it("lib/, app/ and tools/ have no import loop between rooms", () => {
    expect(cyclesOf(roomEdges())).toEqual([]);
  });
});
