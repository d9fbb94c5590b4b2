/**
 * The pipeline's first stage: the built-in objects generated where missing, then the train/test (and val)
 * splits opened. One copy for the quickstart, the experiments and the baselines.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSplit } from '../data/split';
import type { SplitInfo, SplitName } from '../data/types';
import { classFolder, SYNTHETIC_CLASSES, type SyntheticClass } from '../data/synthetic/classes';
import { datasetVersion, ensureSyntheticDataset } from '../data/synthetic/generate';

/** Dataset folder of a class name as configs spell it ('chair' → 'Chair'); names of real datasets pass through. */
export function datasetClassFolder(className: string): string {
  return (SYNTHETIC_CLASSES as readonly string[]).includes(className.toLowerCase()) ? classFolder(className.toLowerCase() as SyntheticClass) : className;
}

export interface PrepareDataOptions {
  /** Dataset root (absolute or relative to the working directory). */
  root: string;
  /** 'chair', 'Chair', 'table', … */
  className: string;
  /** Objects opened per split (an error when fewer are there); `undefined` opens every object there. */
  train?: number;
  test?: number;
  /** Validation objects (generated and opened only when given). */
  val?: number;
  /** Objects generated per split when missing (default: the counts opened; an unbounded split is not generated). */
  generate?: Partial<Record<SplitName, number>>;
  /**
   * Generate the built-in objects when missing (default true). Never into a folder that holds real data: a class
   * folder without the generator's `generator.json` is opened as it is.
   */
  synthetic?: boolean;
  /** Rendered size of generated objects (default: an existing generated set's, else 64). */
  resolution?: number;
  /** Worker threads of the generator (default: the generator's choice). */
  workers?: number;
  /** Per-object progress of the generator. */
  onGenerate?: (split: SplitName, done: number, total: number) => void;
}

export interface PreparedSplits {
  root: string;
  className: string;
  train: SplitInfo;
  test: SplitInfo;
  val?: SplitInfo;
  /** Objects generated now, per split (empty when nothing was generated). */
  generated: { split: SplitName; count: number; generated: number }[];
  seconds: number;
  /** What checkpoints record as their training data (`synthetic-v<N>` or `external`). */
  dataVersion: string;
}

/** Generates (if asked and needed) and opens the splits; errors name the split folder and the missing count. */
export async function prepareSplits(o: PrepareDataOptions): Promise<PreparedSplits> {
  const t = performance.now();
  const cls = datasetClassFolder(o.className);
  const classDir = join(o.root, cls);
  const genPath = join(classDir, 'generator.json');
  const generated: PreparedSplits['generated'] = [];
  if ((o.synthetic ?? true) && (!existsSync(classDir) || existsSync(genPath))) {
    // An existing generated set keeps its resolution and views per split (only missing objects are added).
    const gen = existsSync(genPath) ? (JSON.parse(readFileSync(genPath, 'utf8')) as { resolution?: number; splits?: Record<string, { views?: number }> }) : undefined;
    const views = Object.fromEntries(Object.entries(gen?.splits ?? {}).filter(([, v]) => v.views).map(([k, v]) => [k, v.views]));
    const splits: Partial<Record<SplitName, number>> = {};
    for (const [split, n] of [['train', o.generate?.train ?? o.train], ['test', o.generate?.test ?? o.test], ['val', o.generate?.val ?? o.val]] as const) {
      if (n !== undefined) splits[split] = n;
    }
    const res = await ensureSyntheticDataset({
      root: o.root,
      className: cls,
      splits,
      resolution: o.resolution ?? gen?.resolution ?? 64,
      views,
      workers: o.workers,
      onProgress: o.onGenerate,
    });
    for (const r of res) generated.push({ split: r.split, count: r.count, generated: r.generated });
  }
  const open = (split: SplitName, n: number | undefined): SplitInfo => {
    const info = openSplit(o.root, cls, split, n !== undefined ? { maxInstances: n } : {});
    if (n !== undefined && info.instances.length < n) throw new Error(`${info.splitDir}: ${info.instances.length} ${split} objects, ${n} asked for`);
    return info;
  };
  return {
    root: o.root,
    className: cls,
    train: open('train', o.train),
    test: open('test', o.test),
    ...(o.val !== undefined ? { val: open('val', o.val) } : {}),
    generated,
    seconds: (performance.now() - t) / 1000,
    dataVersion: datasetVersion(o.root, cls),
  };
}
