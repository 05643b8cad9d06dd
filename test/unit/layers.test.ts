/**
 * The layers of src/ (README "Layout"), checked on every import of every source file:
 * no cycle between folders, no import from a lower layer up to a higher one, and git run only from src/git.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const SRC = resolve(__dirname, '../../src');

/** Bottom up. A unit is a folder of src/, or a file at the top of src/. Units of one rank may import each other if no cycle forms. */
const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts', 'clock.ts'],
  ['git'],
  ['ledger'],
  ['beads', 'convoys', 'agents', 'mail', 'molecules', 'formulas', 'settings', 'mrs'],
  ['kinds.ts'],
  ['work'],
  ['observer', 'githooks', 'polecats', 'refinery'],
  ['town', 'dashboard'],
  ['index.ts'],
  ['mcp'],
  ['cli'],
  ['bench', 'demo'],
];
const RANK = new Map(LAYERS.flatMap((units, rank) => units.map((unit): [string, number] => [unit, rank])));
/**
 * Where a `child_process` import is allowed: git, and polecats/ because polecat sessions and sandbox
 * setup hooks are processes gt starts (and leaves running), not git; refinery/ runs the test command;
 * dashboard/ opens a browser (xdg-open).
 */
const MAY_SPAWN = new Set(['git', 'polecats', 'refinery', 'dashboard', 'bench', 'demo']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The folder of src/ a file is in, or the file itself at the top of src/ (named as its .ts source). */
function unitOf(file: string): string {
  return relative(SRC, file).split(sep)[0]!.replace(/\.js$/, '.ts');
}

/** Every module specifier a file names: static imports and re-exports (type-only ones too) and dynamic imports. */
function specifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  for (const pattern of [/\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g]) {
    for (const match of code.matchAll(pattern)) found.push(match[1]!);
  }
  return found;
}

interface Edge {
  from: string;
  to: string;
  file: string;
  spec: string;
}

function importEdges(): { edges: Edge[]; spawners: string[]; unknown: string[] } {
  const edges: Edge[] = [];
  const spawners: string[] = [];
  const unknown = new Set<string>();
  for (const file of sourceFiles(SRC)) {
    const from = unitOf(file);
    if (!RANK.has(from)) unknown.add(from);
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (spec === 'node:child_process' || spec === 'child_process') {
        if (!MAY_SPAWN.has(from)) spawners.push(relative(SRC, file));
        continue;
      }
      if (!spec.startsWith('.')) continue;
      const to = unitOf(resolve(dirname(file), spec));
      if (to !== from) edges.push({ from, to, file: relative(SRC, file), spec });
    }
  }
  return { edges, spawners, unknown: [...unknown] };
}

/** Groups of units that import each other in a loop (Tarjan's strongly connected components). */
function cycles(edges: readonly Edge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!next.has(e.from)) next.set(e.from, new Set());
    next.get(e.from)!.add(e.to);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) found.push(group.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

describe('layers of src/', () => {
  const { edges, spawners, unknown } = importEdges();

  it('places every folder of src/ in a layer', () => {
    expect(unknown).toEqual([]);
  });

  it('has no import cycle between folders', () => {
    const found = cycles(edges).map((group) => {
      const inside = edges.filter((e) => group.includes(e.from) && group.includes(e.to));
      return `${group.join(' ↔ ')}: ${[...new Set(inside.map((e) => `${e.file} → ${e.spec}`))].join(', ')}`;
    });
    expect(found).toEqual([]);
  });

  it('imports only from its own layer or below', () => {
    const upward = edges.filter((e) => (RANK.get(e.from) ?? Infinity) < (RANK.get(e.to) ?? Infinity)).map((e) => `${e.file} → ${e.spec}`);
    expect([...new Set(upward)]).toEqual([]);
  });

  it('runs git (child_process) only from src/git', () => {
    expect(spawners).toEqual([]);
  });

  it('finds what it checks', () => {
    // A parser that found nothing would pass everything.
    expect(edges.some((e) => e.from === 'cli' && e.to === 'ledger')).toBe(true);
    expect(specifiers("import type { A } from './a.js';\nexport { b } from \"../b.js\";\nconst c = await import('./c.js');")).toEqual(['./a.js', '../b.js', './c.js']);
  });
});
