/**
 * What kind of object a test instance is, read from its ground-truth labels: the parts present in its views. A
 * Table 1 average over 10 test tables hides that 8 are regular tables and 2 are game tables whose parts no other
 * table has; per-object scores beside each object's kind show which objects a method's lead comes from.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSplit } from '../data/split';
import type { SplitInfo } from '../data/types';
import { loadView } from '../data/view_loader';
import { pct1 } from '../metrics/stats';
import type { InstancePixels } from './runner';
import type { Table1Row } from './table1';
import { rowDetail } from './table1_detail';

const readJson = (p: string): Record<string, unknown> => JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;

/** The part names (no background) labelled in every `every`-th view of the instance at `position`, in class order. */
export function objectParts(split: SplitInfo, position: number, every = 25): string[] {
  const inst = split.instances[position];
  if (!inst) throw new Error(`objectParts: no instance at position ${position} of ${split.instances.length} in ${split.splitDir ?? split.root}`);
  const seen = new Set<number>();
  for (let v = 0; v < inst.views.length; v += every) {
    const labels = loadView(split, position, v, 64, { skipDepth: true }).labels;
    if (!labels) throw new Error(`${inst.dir}: view ${v} has no seg/ label map (the object's parts cannot be read)`);
    for (const l of labels) if (l > 0) seen.add(l);
  }
  return [...seen].sort((a, b) => a - b).map((id) => split.classNames[id]);
}

/**
 * A short name for a set of parts: their common group where the names are paths (`game_table/pool_table/tabletop`
 * and `…/table_base` → `game_table/pool_table`), else the parts without their shared prefix (`chair_back`,
 * `chair_arm` → `back, arm`).
 */
export function objectKind(parts: readonly string[]): string {
  if (!parts.length) return 'no parts';
  const paths = parts.map((p) => p.split('/'));
  const common: string[] = [];
  for (let i = 0; paths.every((p) => p.length > i + 1 && p[i] === paths[0][i]); i++) common.push(paths[0][i]);
  if (common.length) return common.join('/');
  let prefix = parts[0];
  for (const p of parts) while (!p.startsWith(prefix)) prefix = prefix.slice(0, -1);
  const cut = parts.length > 1 ? prefix.lastIndexOf('_') + 1 : 0;
  return parts.map((p) => p.slice(cut)).join(', ');
}

/** One class's test objects under several evaluated rows (Table 1's columns of one seed): scores and kinds. */
export interface PerObject {
  className: string;
  /** One label per row, in column order (`4 srn+unet`, `5 srn+unet (multi)`). */
  columns: string[];
  objects: {
    position: number;
    id: string;
    /** The object's kind from its ground truth (objectKind ∘ objectParts); null when the data is not on this machine. */
    kind: string | null;
    /** Per row: the object's mIOU (%), and the kind the row labelled it as (null without per-object pixel counts). */
    'mIOU %': (number | null)[];
    labelledAs: (string | null)[];
  }[];
}

/**
 * Each test object's mIOU under every row of one class and seed, with the object's kind (the parts in its ground
 * truth), from the rows' evaluation files; the split is opened from the root the evaluation recorded, else `dataRoot`.
 */
export function perObjectScores(rows: readonly { column: number; method: string; protocol: string; evaluation: string }[], dataRoot: string): PerObject[] {
  const docs = [...rows].sort((a, b) => a.column - b.column).map((r) => ({ r, doc: readJson(r.evaluation) })).filter(({ doc }) => Array.isArray(doc.perInstance));
  if (!docs.length) return [];
  const ds = docs[0].doc.dataset as { root?: string; className?: string; split?: string } | undefined;
  const className = ds?.className ?? '';
  const ids = (docs[0].doc.perInstance as { id: string }[]).map((p) => p.id);
  let kinds: (string | null)[] = ids.map(() => null);
  // The first root that holds these test objects (another data version's folder lacks their ids: openSplit throws).
  for (const root of [ds?.root, dataRoot]) {
    if (!root || !existsSync(join(root, className))) continue;
    try {
      const split = openSplit(root, className, 'test', { instanceIds: ids });
      kinds = ids.map((_, k) => objectKind(objectParts(split, k)));
      break;
    } catch {
      continue;
    }
  }
  return [{
    className,
    columns: docs.map(({ r }) => `${r.column} ${r.method}${r.protocol === 'multi' ? ' (multi)' : ''}`),
    objects: ids.map((id, k) => ({
      position: k,
      id,
      kind: kinds[k],
      'mIOU %': docs.map(({ doc }) => pct1((doc.perInstance as { id: string; mIOU?: number }[]).find((p) => p.id === id)?.mIOU)),
      labelledAs: docs.map(({ doc }) => {
        const pixels = (doc.perInstance as { id: string; pixels?: InstancePixels }[]).find((p) => p.id === id)?.pixels;
        const names = (doc.dataset as { classNames?: string[] } | undefined)?.classNames;
        return pixels && names ? labelledKind(pixels, names) : null;
      }),
    })),
  }];
}

/**
 * The kind a method labelled an object as: the parts holding at least `share` of its predicted foreground pixels.
 * Only for hierarchical class names (PartNet's `game_table/pool_table/tabletop`), where a kind is a group; null else.
 */
export function labelledKind(pixels: InstancePixels, classNames: readonly string[], share = 0.1): string | null {
  if (!classNames.some((n) => n.includes('/'))) return null;
  const fg = pixels.predicted.reduce((a, v, c) => a + (c > 0 ? v : 0), 0);
  if (fg === 0) return 'nothing (all background)';
  return objectKind(pixels.predicted.flatMap((v, c) => (c > 0 && v >= share * fg ? [classNames[c]] : [])));
}

/** Per-object scores of Table 1 rows: every column of each class's first seed (each row's evaluation file, rowDetail). */
export function table1PerObject(rows: readonly Table1Row[], dataRoot: string): (PerObject & { seed: number })[] {
  return [...new Set(rows.map((r) => r.className))].flatMap((cls) => {
    const mine = rows.filter((r) => r.className === cls);
    const seed = Math.min(...mine.map((r) => r.seed));
    const evaluated = mine.filter((r) => r.seed === seed).map((r) => ({ column: r.column, method: r.method, protocol: r.protocol, evaluation: rowDetail(r).evaluation }));
    return perObjectScores(evaluated, dataRoot).map((p) => ({ ...p, seed }));
  });
}
