/**
 * What kind of object a test instance is, read from its ground-truth labels: the parts present in its views. A
 * Table 1 average over 10 test tables hides that 8 are regular tables and 2 are game tables whose parts no other
 * table has; per-object scores beside each object's kind show which objects a method's lead comes from.
 */
import type { SplitInfo } from '../data/types';
import { loadView } from '../data/view_loader';

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
