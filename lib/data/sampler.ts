/**
 * Seeded choices over a split: shuffled epochs of (instance, view) batches like the reference's
 * DataLoader(shuffle=True, drop_last=True), the paper's few-shot draw (10 instances × 3 views with
 * every class present) and nested instance/view subsets for label-count sweeps.
 */
import { Rng } from '../util/random';
import { subsetSplit } from './split';
import type { SplitInfo, ViewRef } from './types';
import { viewClassCounts } from './view_loader';

/** Every (instance position, view position) pair of a split, instance-major. */
export function allViewRefs(info: SplitInfo): ViewRef[] {
  const out: ViewRef[] = [];
  info.instances.forEach((inst, i) => inst.views.forEach((_, v) => out.push({ instance: i, view: v })));
  return out;
}

export interface ViewSamplerOptions {
  batchSize: number;
  seed: number | string;
  /** Drop the incomplete last batch of an epoch (the reference's DataLoader does); default true. */
  dropLast?: boolean;
  /** Shuffle every epoch; default true. Without it, epochs visit pairs in instance-major order. */
  shuffle?: boolean;
}

export interface SampledBatch {
  epoch: number;
  /** Batch number within the epoch. */
  batch: number;
  /** Global step (0-based). */
  step: number;
  refs: ViewRef[];
}

/**
 * Deterministic batches of (instance, view) pairs. Epoch e is a permutation drawn from
 * `Rng.derive(seed, 'epoch', e)`, so any step can be reproduced without replaying earlier ones
 * (resuming a run only needs the step counter).
 */
export class ViewSampler {
  readonly pairs: readonly ViewRef[];
  readonly batchSize: number;
  readonly batchesPerEpoch: number;
  private readonly seed: number | string;
  private readonly shuffle: boolean;
  private cursor = 0;
  private cached: { epoch: number; order: ViewRef[] } | undefined;

  constructor(source: SplitInfo | readonly ViewRef[], opts: ViewSamplerOptions) {
    this.pairs = Array.isArray(source) ? source.slice() : allViewRefs(source as SplitInfo);
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) {
      throw new Error(`ViewSampler: batchSize must be a positive integer, got ${opts.batchSize}`);
    }
    if (this.pairs.length === 0) throw new Error('ViewSampler: no (instance, view) pairs to sample from');
    const dropLast = opts.dropLast ?? true;
    this.batchSize = opts.batchSize;
    this.batchesPerEpoch = dropLast ? Math.floor(this.pairs.length / opts.batchSize) : Math.ceil(this.pairs.length / opts.batchSize);
    if (this.batchesPerEpoch === 0) {
      throw new Error(
        `ViewSampler: batch size ${opts.batchSize} exceeds the ${this.pairs.length} (instance, view) pairs; with dropLast no batch would ever be drawn`,
      );
    }
    this.seed = opts.seed;
    this.shuffle = opts.shuffle ?? true;
  }

  /** The order in which epoch `epoch` visits all pairs. */
  epochOrder(epoch: number): ViewRef[] {
    if (this.cached?.epoch !== epoch) {
      const order = this.shuffle ? Rng.derive(this.seed, 'epoch', epoch).shuffle(this.pairs) : this.pairs.slice();
      this.cached = { epoch, order };
    }
    return this.cached.order;
  }

  /** The batches of one epoch (the last, incomplete one dropped when dropLast). */
  epochBatches(epoch: number): ViewRef[][] {
    const order = this.epochOrder(epoch);
    return Array.from({ length: this.batchesPerEpoch }, (_, b) => order.slice(b * this.batchSize, (b + 1) * this.batchSize));
  }

  /** The batch at a global step. */
  at(step: number): SampledBatch {
    if (!Number.isInteger(step) || step < 0) throw new Error(`ViewSampler: step must be a non-negative integer, got ${step}`);
    const epoch = Math.floor(step / this.batchesPerEpoch);
    const batch = step % this.batchesPerEpoch;
    const refs = this.epochOrder(epoch).slice(batch * this.batchSize, (batch + 1) * this.batchSize);
    return { epoch, batch, step, refs };
  }

  /** The next batch; advances the step counter. */
  next(): SampledBatch {
    return this.at(this.cursor++);
  }

  /** Current global step (the step `next()` returns). Set it to resume. */
  get step(): number {
    return this.cursor;
  }

  set step(s: number) {
    if (!Number.isInteger(s) || s < 0) throw new Error(`ViewSampler: step must be a non-negative integer, got ${s}`);
    this.cursor = s;
  }
}

export interface FewShotOptions {
  /** Number of instances; default 10. */
  instances?: number;
  /** View positions used in every chosen instance; default [0, 1, 2] (`--specific_observation_idcs 0,1,2`). */
  views?: readonly number[];
  seed: number | string;
  /** Every class (background included) must appear in the chosen images; default true. */
  requireAllClasses?: boolean;
  /** Uniform draws to try before the greedy fallback; default 200. */
  maxTries?: number;
  /** Check class presence after crop + resize to this side (what the model sees); default: full-resolution labels. */
  side?: number;
}

export interface FewShotSelection {
  /** The chosen subset: instances keep their full-split index; views restricted to `views`. */
  info: SplitInfo;
  instanceIds: string[];
  /** Positions of the chosen instances in the input `info`, sorted. */
  positions: number[];
  /**
   * 'uniform': a plain seeded draw (requireAllClasses false); 'rejection': the first of repeated
   * seeded uniform draws that covers every class; 'greedy': the fallback when no uniform draw did
   * (seeded order, taking instances that add a missing class, then filling up in the same order).
   */
  method: 'uniform' | 'rejection' | 'greedy';
  /** Draws tried (1 for 'uniform'). */
  tries: number;
  /** Pixel counts per class over the chosen images (when labels were read). */
  classPixelCounts?: number[];
}

/**
 * The few-shot draw cannot cover every class (too few objects, or classes absent from the views): the one
 * failure a caller may answer by drawing without the all-classes rule. Unreadable labels are other errors.
 */
export class FewShotCoverageError extends Error {
  override name = 'FewShotCoverageError';
}

/**
 * The paper's few-shot rule: n instances "pseudo-randomly sampled such that all semantic classes
 * are present", each with the given views. Draw t uses `Rng.derive(seed, 'fewshot', t)`, so the
 * result depends only on the seed and the split. Throws naming the missing classes when no
 * choice of n instances can cover them.
 */
export function selectFewShot(info: SplitInfo, opts: FewShotOptions): FewShotSelection {
  const n = opts.instances ?? 10;
  const views = opts.views ?? [0, 1, 2];
  const requireAll = opts.requireAllClasses ?? true;
  const maxTries = opts.maxTries ?? 200;
  const where = info.splitDir ?? `${info.className}.${info.split}`;
  if (!Number.isInteger(n) || n < 1) throw new Error(`selectFewShot: instances must be a positive integer, got ${n}`);
  if (n > info.instances.length) throw new Error(`selectFewShot: asked for ${n} instances, ${where} has ${info.instances.length}`);
  for (const inst of info.instances) {
    for (const v of views) {
      if (!Number.isInteger(v) || v < 0 || v >= inst.views.length) {
        throw new Error(`${inst.dir}: few-shot view ${v} outside [0, ${inst.views.length})`);
      }
    }
  }
  const all = info.instances.map((_, i) => i);
  const finish = (positions: number[], method: FewShotSelection['method'], tries: number, counts?: number[]): FewShotSelection => {
    const sorted = positions.slice().sort((a, b) => a - b);
    const sub = subsetSplit(info, { positions: sorted, views });
    return { info: sub, instanceIds: sub.instances.map((i) => i.id), positions: sorted, method, tries, classPixelCounts: counts };
  };
  if (!requireAll) return finish(Rng.derive(opts.seed, 'fewshot', 0).shuffle(all).slice(0, n), 'uniform', 1);

  // Per-instance class pixel counts over the chosen views, read lazily and once.
  const memo = new Map<number, number[]>();
  const countsOf = (p: number): number[] => {
    let c = memo.get(p);
    if (!c) {
      c = new Array<number>(info.numClasses).fill(0);
      for (const v of views) {
        if (!info.instances[p].views[v].seg) {
          throw new Error(`${info.instances[p].dir}: view ${v} has no seg/ label map (requireAllClasses needs labels)`);
        }
        viewClassCounts(info, p, v, opts.side).forEach((k, cls) => (c![cls] += k));
      }
      memo.set(p, c);
    }
    return c;
  };
  const total = (ps: number[]): number[] => {
    const t = new Array<number>(info.numClasses).fill(0);
    for (const p of ps) countsOf(p).forEach((k, cls) => (t[cls] += k));
    return t;
  };
  const missing = (counts: number[]): number[] => counts.flatMap((k, cls) => (k === 0 ? [cls] : []));
  const names = (cls: number[]) => cls.map((c) => `${c} (${info.classNames[c]})`).join(', ');

  for (let t = 0; t < maxTries; t++) {
    const pick = Rng.derive(opts.seed, 'fewshot', t).shuffle(all).slice(0, n);
    const counts = total(pick);
    if (missing(counts).length === 0) return finish(pick, 'rejection', t + 1, counts);
  }

  // Greedy fallback in a seeded order: exact when some n instances can cover every class and
  // the greedy picks need at most n of them.
  const order = Rng.derive(opts.seed, 'fewshot', 'greedy').shuffle(all);
  const covered = new Array<boolean>(info.numClasses).fill(false);
  const chosen: number[] = [];
  for (const p of order) {
    const c = countsOf(p);
    if (c.some((k, cls) => k > 0 && !covered[cls])) {
      chosen.push(p);
      c.forEach((k, cls) => (covered[cls] ||= k > 0));
      if (covered.every(Boolean)) break;
    }
  }
  const stillMissing = covered.flatMap((ok, cls) => (ok ? [] : [cls]));
  if (stillMissing.length > 0) {
    throw new FewShotCoverageError(
      `selectFewShot: classes ${names(stillMissing)} appear in no instance's views [${views.join(', ')}] of ${where}; ` +
        'no choice of instances can cover every class (use requireAllClasses: false or other views)',
    );
  }
  if (chosen.length > n) {
    throw new FewShotCoverageError(
      `selectFewShot: no draw of ${n} instances covering all ${info.numClasses} classes found in ${maxTries} uniform draws, ` +
        `and the greedy fallback needed ${chosen.length} instances (raise instances or maxTries)`,
    );
  }
  for (const p of order) {
    if (chosen.length >= n) break;
    if (!chosen.includes(p)) chosen.push(p);
  }
  return finish(chosen, 'greedy', maxTries, total(chosen));
}

export interface LabelSubsetOptions {
  /** Number of instances, or… */
  instances?: number;
  /** …a fraction of the split's instances (rounded, at least 1). */
  fraction?: number;
  /** Views per instance. */
  views: number;
  seed: number | string;
  /** 'random' (seeded, per instance) or 'first' (the first k sorted files); default 'random'. */
  viewChoice?: 'random' | 'first';
}

/**
 * n instances × k views for a label-count sweep. Nested: for one seed, the subset for (n, k) is
 * contained in the one for any larger n' ≥ n and k' ≥ k, so sweep points differ only by the
 * labels added.
 */
export function selectLabelSubset(info: SplitInfo, opts: LabelSubsetOptions): SplitInfo {
  const count = info.instances.length;
  let n: number;
  if (opts.instances !== undefined) {
    n = opts.instances;
  } else if (opts.fraction !== undefined) {
    if (!(opts.fraction > 0 && opts.fraction <= 1)) throw new Error(`selectLabelSubset: fraction must be in (0, 1], got ${opts.fraction}`);
    n = Math.max(1, Math.round(opts.fraction * count));
  } else {
    throw new Error('selectLabelSubset: give instances or fraction');
  }
  if (!Number.isInteger(n) || n < 1 || n > count) throw new Error(`selectLabelSubset: instances must be an integer in [1, ${count}], got ${n}`);
  const k = opts.views;
  const positions = Rng.derive(opts.seed, 'label-subset', 'instances').shuffle(info.instances.map((_, i) => i)).slice(0, n);
  const views = positions.map((p) => {
    const inst = info.instances[p];
    if (!Number.isInteger(k) || k < 1 || k > inst.views.length) {
      throw new Error(`${inst.dir}: selectLabelSubset asked for ${k} views, the instance has ${inst.views.length}`);
    }
    const idx = inst.views.map((_, v) => v);
    return (opts.viewChoice === 'first' ? idx : Rng.derive(opts.seed, 'label-subset', 'views', inst.id).shuffle(idx)).slice(0, k).sort((a, b) => a - b);
  });
  // subsetSplit sorts instances by index; keep the per-instance view lists paired with positions.
  return subsetSplit(info, { positions, views });
}
