/** Reads lib/'s import graph (static, type-only and dynamic imports of project files) and checks it against the floors. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The floors of docs/architecture.md, lowest first: a file may import its own floor and the ones below.
 * Every folder of lib/ must be listed, so that a new one gets a place.
 */
export const FLOORS: readonly (readonly string[])[] = [
  ['util', 'config', 'geometry', 'io', 'backend'],
  ['data', 'srn', 'latent', 'losses', 'metrics', 'tracking', 'plotting'],
  ['training'],
  ['eval'],
  ['pipeline'],
  ['baselines'],
  ['experiments'],
  ['cli'],
];

/** Folders whose files may load project modules with `import()`: the CLI loads one command at a time so `--help` stays free of TF.js. */
export const DYNAMIC_IMPORT_ALLOWED = ['cli'];

export interface ImportEdge {
  from: string;
  to: string;
  dynamic: boolean;
}

const IMPORT_RE = /(?:^|[\s;}])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** Source with comments removed (so an example in a comment is not an import). */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Every relative import in the .ts files under `libDir`, resolved to a path relative to `libDir`. */
export function importEdges(libDir: string): ImportEdge[] {
  const files = readdirSync(libDir, { recursive: true }).map(String).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  const edges: ImportEdge[] = [];
  for (const f of files) {
    const src = stripComments(readFileSync(join(libDir, f), 'utf8'));
    for (const m of src.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2];
      const abs = resolve(dirname(join(libDir, f)), spec);
      const target = [`${abs}.ts`, join(abs, 'index.ts'), abs].find((p) => existsSync(p) && p.endsWith('.ts'));
      if (!target) throw new Error(`lib/${f}: import '${spec}' resolves to no .ts file`);
      edges.push({ from: f.split('\\').join('/'), to: relative(libDir, target).split('\\').join('/'), dynamic: m[2] !== undefined });
    }
  }
  return edges;
}

/** Floor of a lib-relative file (its top folder); `lib/index.ts` is above every floor; undefined for an unknown folder. */
export function floorOf(file: string): number | undefined {
  if (!file.includes('/')) return FLOORS.length;
  const top = file.split('/')[0];
  const i = FLOORS.findIndex((f) => f.includes(top));
  return i >= 0 ? i : undefined;
}

/** One message per rule broken: unknown folder, import from a higher floor, dynamic import outside the allowed folders. */
export function floorViolations(edges: readonly ImportEdge[]): string[] {
  const out = new Set<string>();
  for (const e of edges) {
    const a = floorOf(e.from);
    const b = floorOf(e.to);
    if (a === undefined) out.add(`${e.from}: folder '${e.from.split('/')[0]}' has no floor (add it to FLOORS and docs/architecture.md)`);
    if (b === undefined) out.add(`${e.to}: folder '${e.to.split('/')[0]}' has no floor (add it to FLOORS and docs/architecture.md)`);
    if (a !== undefined && b !== undefined && b > a) out.add(`${e.from} (floor ${a}) imports ${e.to} (floor ${b}): imports go downward only`);
    if (e.dynamic && !DYNAMIC_IMPORT_ALLOWED.includes(e.from.split('/')[0])) out.add(`${e.from}: dynamic import('${e.to}') hides a dependency; import it statically`);
  }
  return [...out];
}

/** Import cycles (strongly connected groups of files, type-only imports included), each as its files. */
export function importCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    if (!next.has(e.from)) next.set(e.from, []);
    if (!next.has(e.to)) next.set(e.to, []);
    if (e.from !== e.to) next.get(e.from)!.push(e.to);
  }
  // Tarjan's algorithm, iterative (the graph has hundreds of files).
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  for (const root of next.keys()) {
    if (index.has(root)) continue;
    const work: { v: string; i: number }[] = [{ v: root, i: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length) {
      const top = work[work.length - 1];
      const ws = next.get(top.v)!;
      if (top.i < ws.length) {
        const w = ws[top.i++];
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) low.set(top.v, Math.min(low.get(top.v)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) low.set(work[work.length - 1].v, Math.min(low.get(work[work.length - 1].v)!, low.get(top.v)!));
      if (low.get(top.v) === index.get(top.v)) {
        const group: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          group.push(w);
        } while (w !== top.v);
        if (group.length > 1) cycles.push(group.sort());
      }
    }
  }
  return cycles;
}
