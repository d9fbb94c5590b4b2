/**
 * `npx tsx bench/part_targets.ts <results.json> --data ROOT [--min-share 0.1] [--out FILE]`: the per-part target of the
 * data-and-scale issue for a single-view SRN+linear result — above the majority-part predictor on every part that
 * covers at least `min-share` of the foreground of the evaluated test views. The shares are counted on the same test
 * objects and views at the evaluation's side (labels cropped and resized as the model sees them); the predictor is
 * the evaluation's own `trivial.majorityPart` (true silhouette, every foreground pixel the majority part).
 * Prints JSON (and writes it to --out).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openSplit } from '../lib/data/split';
import { viewClassCounts } from '../lib/data/view_loader';

interface Results {
  side: number;
  dataset: { className: string };
  perClassIoU: Record<string, number | null>;
  trivial: { majorityPart?: { majorityClassName: string; perClassIoU: Record<string, number | null> } };
  perInstance?: { id?: string; instance?: string }[];
  counts: { instances: number; viewsPerInstance: number[] };
  protocol?: { name: string; observedViews: number[] };
  config?: { data?: { maxTestInstances?: number } };
}

export interface PartTarget {
  part: string;
  foregroundShare: number;
  srnIoU: number | null;
  majorityIoU: number | null;
  pass: boolean;
}

/** Parts at or above `minShare` of the foreground, each with SRN+linear's IoU against the majority-part predictor's. */
export function partTargets(r: Results, pixels: readonly number[], names: readonly string[], minShare: number): PartTarget[] {
  const fg = pixels.slice(1).reduce((a, b) => a + b, 0);
  if (fg === 0) throw new Error('no foreground pixel in the evaluated test views');
  const maj = r.trivial.majorityPart;
  if (!maj) throw new Error("results.json: 'trivial.majorityPart' is missing (expected an evaluation's results.json)");
  return names.slice(1).flatMap((part, i) => {
    const share = pixels[i + 1] / fg;
    if (share < minShare) return [];
    const srn = r.perClassIoU[part] ?? null;
    const m = maj.perClassIoU[part] ?? null;
    return [{ part, foregroundShare: share, srnIoU: srn, majorityIoU: m, pass: srn !== null && srn > (m ?? 0) }];
  });
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { data: { type: 'string' }, 'min-share': { type: 'string', default: '0.1' }, out: { type: 'string' } } });
  const [src] = positionals;
  if (!src || !values.data) throw new Error('usage: part_targets.ts <results.json> --data ROOT [--min-share 0.1] [--out FILE]');
  const r = JSON.parse(readFileSync(src, 'utf8')) as Results;
  for (const f of ['side', 'dataset', 'perClassIoU', 'trivial', 'counts'] as const) {
    if (r[f] === undefined) throw new Error(`${src}: field '${f}' is missing (expected an evaluation's results.json)`);
  }
  const test = openSplit(values.data, r.dataset.className, 'test', { maxInstances: r.counts.instances });
  if (test.instances.length !== r.counts.instances) throw new Error(`${values.data}: ${test.instances.length} test objects of ${r.dataset.className}, the evaluation had ${r.counts.instances}`);
  const names = Object.keys(r.perClassIoU);
  if (names.length !== test.numClasses) throw new Error(`${src}: ${names.length} classes in perClassIoU, the data has ${test.numClasses}`);
  const pixels = new Array<number>(test.numClasses).fill(0);
  test.instances.forEach((inst, p) => {
    // The shares are those of the evaluated views: every view (evalViewEvery 1, as the quickstart evaluates).
    if (r.counts.viewsPerInstance[p] !== inst.views.length) {
      throw new Error(`${src}: ${r.counts.viewsPerInstance[p]} of the ${inst.views.length} views of ${inst.id} were evaluated; this check needs a run that evaluated every view`);
    }
    for (let v = 0; v < inst.views.length; v++) viewClassCounts(test, p, v, r.side).forEach((k, c) => (pixels[c] += k));
  });
  const targets = partTargets(r, pixels, names, Number(values['min-share']));
  const out = { results: src, className: r.dataset.className, side: r.side, minShare: Number(values['min-share']), majorityPart: r.trivial.majorityPart?.majorityClassName, targets, pass: targets.every((t) => t.pass) };
  const text = JSON.stringify(out, null, 2);
  if (values.out) writeFileSync(values.out, `${text}\n`);
  console.log(text);
}

if (process.argv[1]?.endsWith('part_targets.ts')) main();
