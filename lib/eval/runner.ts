/**
 * The evaluation runner (spec/reference.md §4.6, §6): for every instance of a test split, the
 * predictor is given the protocol's observed views and asked for all views of the instance (observed
 * ones included); predictions are scored against the ground-truth label maps with the §6 metrics, next to
 * the trivial predictors, and the result is returned and optionally written as results.json.
 * One runner for SRN+linear and every baseline: only the predictor callback differs.
 */
import { splitIdentity } from '../data/split';
import { loadView, type ViewCache } from '../data/view_loader';
import type { InstanceRecord, LoadedView, SplitInfo } from '../data/types';
import { SegmentationScores, perClassByName, type SegmentationState, type SegmentationSummary } from '../metrics/segmentation';
import { PsnrScores, type PsnrState } from '../metrics/psnr';
import { writeJsonAtomic } from '../util/atomic_write';
import { RecordJournal } from '../util/record_journal';
import { protocolSpec, viewPositions, type ProtocolName, type ProtocolSpec } from './protocols';
import { allBackgroundLabels, majorityForegroundClass, majorityPartLabels } from './trivial';

export interface PredictorContext {
  split: SplitInfo;
  /** Position of the instance in `split.instances`. */
  position: number;
  protocol: ProtocolSpec;
  /** Observed views as positions in `instance.views` (what to fit from). */
  observedViews: number[];
  side: number;
  /** Loads a preprocessed view of this instance (position in `instance.views`), GT labels included. */
  loadView(viewPosition: number): LoadedView;
  /**
   * This instance's context and those of the next n−1 instances (fewer at the end of the split), for
   * predictors that batch work across instances (the SRN fits several codes in one step).
   */
  following(n: number): PredictorContext[];
}

export interface Prediction {
  /** One label map (S·S class ids) per requested view, in order. */
  labels: Int32Array[];
  /** Optional RGBA renders in [-1, 1] (S·S·4) per requested view, for PSNR. */
  rgba?: Float32Array[];
}

/** Predicts the requested views (positions in `instance.views`) of one test instance. */
export type Predictor = (instance: InstanceRecord, viewIndices: number[], ctx: PredictorContext) => Prediction | Promise<Prediction>;

export interface EvalProgress {
  instance: number;
  instances: number;
  images: number;
  elapsedSeconds: number;
  /** Running mIOU over the images so far. */
  mIOU: number;
}

export interface EvaluateOptions {
  split: SplitInfo;
  /** Image side S at which predictions and GT are compared. */
  side: number;
  protocol: ProtocolName | ProtocolSpec;
  predictor: Predictor;
  /** Name of the method for the report (e.g. 'srn+linear'). */
  method?: string;
  /** Views to evaluate as file indices; default every view of each instance. */
  evalViews?: number[];
  /** Majority part for the trivial predictor, or the training label maps to compute it from. */
  majorityClass?: number;
  trainingLabels?: Iterable<ArrayLike<number>>;
  /** Write results.json here (atomically). */
  outPath?: string;
  onProgress?: (p: EvalProgress) => void;
  /** Called per instance with predictions and GT, e.g. to write figures. */
  onInstance?: (info: { position: number; instance: InstanceRecord; viewPositions: number[]; prediction: Prediction; gt: LoadedView[] }) => void | Promise<void>;
  /** Backend description for the report (`describeBackend(...)` or the report object). */
  backend?: unknown;
  /** Config summary for the report. */
  config?: unknown;
  /** Extra fields merged into results.json (e.g. training timings). */
  extra?: Record<string, unknown>;
  cache?: ViewCache;
  /**
   * Makes the evaluation resumable (an SRN+U-Net pass is ~50 min at 64²): every scored instance is journalled to
   * `path` (atomically) under `fingerprint` (what decides the predictions: weights, seed, config), to which the
   * split's objects, side, protocol and views are added. A rerun with the same fingerprint scores only the instances
   * not in the journal, to the same totals; another fingerprint sets the file aside. Removed once results exist,
   * unless `keep` (the caller removes it: a run of several evaluations that resumes as a whole).
   */
  journal?: { path: string; fingerprint: unknown; keep?: boolean };
  /** Told when a journal was found: instances taken from it, or where a journal of another run was set aside. */
  onJournal?: (info: { resumed: number; path: string; setAside: string | null }) => void;
}

/** One scored instance in the evaluation's journal: its share of every accumulator. */
interface ScoredInstance {
  position: number;
  id: string;
  views: number;
  seconds: { predict: number; load: number; metric: number };
  scores: SegmentationState;
  background: SegmentationState;
  majority: SegmentationState | null;
  rgb: PsnrState | null;
  perInstance: EvalResults['perInstance'][number];
}

export interface ScoreBlock {
  mIOU: number;
  /** The released protocol: every class with a non-zero pooled union, absent-from-GT classes included. */
  shapeMIOU: number;
  /** The option: classes present in the split's ground truth only (see lib/metrics/segmentation.ts). */
  shapeMIOUPresent: number;
  perClassIoU: Record<string, number | null>;
}

export interface EvalResults extends ScoreBlock {
  schema: 'semantic-srn/eval-results@1';
  method: string;
  protocol: ProtocolSpec;
  dataset: { root: string; className: string; split: string; numClasses: number; classNames: string[] };
  side: number;
  /** Mean per-image PSNR (dB) of the RGB renders, or null when the predictor gives no RGB. */
  psnr: number | null;
  trivial: {
    allBackground: ScoreBlock;
    majorityPart: (ScoreBlock & { majorityClass: number; majorityClassName: string }) | null;
  };
  /** Pooled intersection/union per class (for re-aggregation). */
  pooled: { intersection: number[]; union: number[] };
  perInstance: { id: string; index: number; images: number; mIOU: number; psnr: number | null; pixels?: InstancePixels }[];
  counts: { instances: number; images: number; viewsPerInstance: number[]; pixelsPerImage: number };
  /**
   * Seconds over every sitting: instances taken from a journal count with the seconds they took then
   * (`resumedInstances`, `resumedSeconds`; 0 when the evaluation ran in one go).
   */
  timings: { totalSeconds: number; predictSeconds: number; loadSeconds: number; metricSeconds: number; secondsPerInstance: number; resumedInstances: number; resumedSeconds: number };
  backend: unknown;
  config: unknown;
  createdAt: string;
  [extra: string]: unknown;
}

function block(s: SegmentationSummary): ScoreBlock {
  return { mIOU: s.mIOU, shapeMIOU: s.shapeMIOU, shapeMIOUPresent: s.shapeMIOUPresent, perClassIoU: perClassByName(s) };
}

const now = () => performance.now() / 1000;

/**
 * One object's pixels per class id over its evaluated views: what it is (ground truth), what the method labelled
 * (predicted) and where they agree. An object-level mistake, a regular table labelled all over as a pool table,
 * shows here and nowhere in the pooled scores.
 */
export interface InstancePixels {
  groundTruth: number[];
  predicted: number[];
  intersection: number[];
}

export function instancePixels(state: Pick<SegmentationState, 'intersection' | 'union' | 'groundTruthPixels'>): InstancePixels {
  // union = ground truth + predicted − intersection, per class.
  return { groundTruth: [...state.groundTruthPixels], predicted: state.union.map((u, c) => u - state.groundTruthPixels[c] + state.intersection[c]), intersection: [...state.intersection] };
}

/** Runs the protocol over the split; see the module comment. */
export async function evaluate(opts: EvaluateOptions): Promise<EvalResults> {
  const { split, side } = opts;
  if (split.instances.length === 0) throw new Error('evaluate: the split has no instances');
  const C = split.numClasses;
  const names = split.classNames.length === C ? split.classNames : undefined;
  let majority = opts.majorityClass;
  if (majority === undefined && opts.trainingLabels) majority = majorityForegroundClass(opts.trainingLabels, C);
  if (majority !== undefined && !(Number.isInteger(majority) && majority >= 1 && majority < C)) {
    throw new Error(`evaluate: majorityClass must be a foreground class in 1..${C - 1}, got ${majority}`);
  }
  const numViews = Math.min(...split.instances.map((i) => i.views.length));
  const protocol = protocolSpec(opts.protocol, numViews);

  const model = new SegmentationScores(C, names);
  const bg = new SegmentationScores(C, names);
  const maj = majority !== undefined ? new SegmentationScores(C, names) : undefined;
  const rgb = new PsnrScores();
  let anyRgb = false;
  const perInstance: EvalResults['perInstance'] = [];
  const viewsPerInstance: number[] = [];
  const t0 = now();
  let tPredict = 0;
  let tLoad = 0;
  let tMetric = 0;
  let resumed = 0;
  let resumedSeconds = 0;

  const journal = opts.journal
    ? new RecordJournal<ScoredInstance>(
        opts.journal.path,
        {
          run: opts.journal.fingerprint,
          method: opts.method ?? 'model',
          split: splitIdentity(split),
          side,
          protocol,
          evalViews: opts.evalViews ?? null,
          majority: majority ?? null,
        },
        (r) => String(r.position),
      )
    : undefined;
  if (journal && journal.opened !== 'new') opts.onJournal?.({ resumed: journal.size, path: journal.path, setAside: journal.setAside });

  const contextAt = (pos: number): PredictorContext => ({
    split,
    position: pos,
    protocol,
    observedViews: viewPositions(split.instances[pos], protocol.observedViews),
    side,
    loadView: (p: number) => loadView(split, pos, p, side, { cache: opts.cache, skipDepth: true }),
    following: (n: number) => {
      const end = Math.min(split.instances.length, pos + Math.max(1, Math.floor(n)));
      return Array.from({ length: end - pos }, (_, k) => contextAt(pos + k));
    },
  });

  const report = (pos: number) =>
    opts.onProgress?.({
      instance: pos + 1,
      instances: split.instances.length,
      images: model.images,
      elapsedSeconds: now() - t0,
      mIOU: model.summary().mIOU,
    });

  for (let pos = 0; pos < split.instances.length; pos++) {
    const inst = split.instances[pos];
    const evalPositions = opts.evalViews ? viewPositions(inst, opts.evalViews) : inst.views.map((_, p) => p);
    const done = journal?.get(String(pos));
    if (done && done.id === inst.id && done.views === evalPositions.length) {
      const where = `${journal!.path} (instance ${pos}, ${inst.id})`;
      model.merge(SegmentationScores.fromState(done.scores, names, where));
      bg.merge(SegmentationScores.fromState(done.background, names, where));
      if (maj) {
        if (!done.majority) throw new Error(`${where}: no majority-part scores, but this evaluation has a majority part`);
        maj.merge(SegmentationScores.fromState(done.majority, names, where));
      }
      if (done.rgb) {
        anyRgb = true;
        rgb.merge(PsnrScores.fromState(done.rgb, where));
      }
      // Journals written before per-object pixel counts existed hold the counts they come from.
      perInstance.push(done.perInstance.pixels ? done.perInstance : { ...done.perInstance, pixels: instancePixels(done.scores) });
      viewsPerInstance.push(done.views);
      tPredict += done.seconds.predict;
      tLoad += done.seconds.load;
      tMetric += done.seconds.metric;
      resumed++;
      resumedSeconds += done.seconds.predict + done.seconds.load + done.seconds.metric;
      report(pos);
      continue;
    }
    const ctx = contextAt(pos);
    const load = ctx.loadView;

    let t = now();
    const pred = await opts.predictor(inst, evalPositions, ctx);
    const predictSeconds = now() - t;
    tPredict += predictSeconds;
    if (!pred || !Array.isArray(pred.labels) || pred.labels.length !== evalPositions.length) {
      throw new Error(`evaluate: predictor returned ${pred?.labels?.length ?? 'no'} label maps for ${evalPositions.length} views of ${inst.dir}`);
    }
    if (pred.rgba && pred.rgba.length !== evalPositions.length) {
      throw new Error(`evaluate: predictor returned ${pred.rgba.length} RGBA images for ${evalPositions.length} views of ${inst.dir}`);
    }

    t = now();
    const gts = evalPositions.map(load);
    const loadSeconds = now() - t;
    tLoad += loadSeconds;

    t = now();
    // Each instance's own accumulators, merged into the totals: what the journal keeps of it.
    const instScores = new SegmentationScores(C, names);
    const instBg = new SegmentationScores(C, names);
    const instMaj = maj ? new SegmentationScores(C, names) : undefined;
    const instRgb = new PsnrScores();
    evalPositions.forEach((p, k) => {
      const gt = gts[k].labels;
      if (!gt) throw new Error(`evaluate: ${inst.dir} view ${inst.views[p].index ?? p} has no seg/ labels`);
      const where = `${inst.dir} view ${inst.views[p].index ?? p}`;
      if (pred.labels[k].length !== gt.length) {
        throw new Error(`evaluate: prediction for ${where} has ${pred.labels[k].length} pixels, ground truth ${gt.length} (side ${side})`);
      }
      try {
        instScores.add(pred.labels[k], gt);
      } catch (e) {
        throw new Error(`evaluate: ${where}: ${(e as Error).message}`);
      }
      instBg.add(allBackgroundLabels(gt), gt);
      if (instMaj) instMaj.add(majorityPartLabels(gt, majority!), gt);
      if (pred.rgba) {
        anyRgb = true;
        instRgb.add(pred.rgba[k], gts[k].rgba);
      }
    });
    model.merge(instScores);
    bg.merge(instBg);
    if (maj && instMaj) maj.merge(instMaj);
    if (pred.rgba) rgb.merge(instRgb);
    const metricSeconds = now() - t;
    tMetric += metricSeconds;

    const entry = {
      id: inst.id,
      index: inst.index,
      images: evalPositions.length,
      mIOU: instScores.summary().mIOU,
      psnr: pred.rgba ? instRgb.summary().psnr : null,
      pixels: instancePixels(instScores.toState()),
    };
    perInstance.push(entry);
    viewsPerInstance.push(evalPositions.length);
    if (opts.onInstance) await opts.onInstance({ position: pos, instance: inst, viewPositions: evalPositions, prediction: pred, gt: gts });
    // After its figures: a resumed run never comes back to this instance.
    journal?.add({
      position: pos,
      id: inst.id,
      views: evalPositions.length,
      seconds: { predict: predictSeconds, load: loadSeconds, metric: metricSeconds },
      scores: instScores.toState(),
      background: instBg.toState(),
      majority: instMaj ? instMaj.toState() : null,
      rgb: pred.rgba ? instRgb.toState() : null,
      perInstance: entry,
    });
    report(pos);
  }

  const total = now() - t0 + resumedSeconds;
  const s = model.summary();
  const majSummary = maj ? maj.summary() : undefined;
  const results: EvalResults = {
    schema: 'semantic-srn/eval-results@1',
    method: opts.method ?? 'model',
    protocol,
    dataset: { root: split.root, className: split.className, split: split.split, numClasses: C, classNames: [...split.classNames] },
    side,
    ...block(s),
    psnr: anyRgb ? rgb.summary().psnr : null,
    trivial: {
      allBackground: block(bg.summary()),
      majorityPart: majSummary
        ? { majorityClass: majority!, majorityClassName: majSummary.classNames[majority!], ...block(majSummary) }
        : null,
    },
    pooled: { intersection: s.intersection, union: s.union },
    perInstance,
    counts: { instances: split.instances.length, images: s.images, viewsPerInstance, pixelsPerImage: side * side },
    timings: {
      totalSeconds: total,
      predictSeconds: tPredict,
      loadSeconds: tLoad,
      metricSeconds: tMetric,
      secondsPerInstance: total / split.instances.length,
      resumedInstances: resumed,
      resumedSeconds,
    },
    backend: opts.backend ?? null,
    config: opts.config ?? null,
    createdAt: new Date().toISOString(),
    ...(opts.extra ?? {}),
  };
  if (opts.outPath) writeResultsJson(opts.outPath, results);
  if (!opts.journal?.keep) journal?.remove();
  return results;
}

/**
 * An evaluation's tracker metrics under `prefix` (e.g. 'eval/'): mIOU, shapeMIOU and PSNR (when rendered), plus
 * the trivial predictors' mIOU and the per-class IoU (absent classes skipped) when asked for.
 */
export function evalMetrics(r: EvalResults, prefix: string, include: { trivial?: boolean; perClass?: boolean } = {}): Record<string, number> {
  const out: Record<string, number> = { [`${prefix}mIOU`]: r.mIOU, [`${prefix}shapeMIOU`]: r.shapeMIOU, [`${prefix}shapeMIOUPresent`]: r.shapeMIOUPresent };
  if (r.psnr !== null) out[`${prefix}psnr`] = r.psnr;
  if (include.trivial) {
    out[`${prefix}trivial_all_background_mIOU`] = r.trivial.allBackground.mIOU;
    if (r.trivial.majorityPart) out[`${prefix}trivial_majority_part_mIOU`] = r.trivial.majorityPart.mIOU;
  }
  if (include.perClass) for (const [k, v] of Object.entries(r.perClassIoU)) if (v !== null) out[`${prefix}iou_${k}`] = v;
  return out;
}

/** JSON with NaN/±Infinity written as null (JSON has no such numbers). */
export function toJsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)));
}

export function writeResultsJson(path: string, results: unknown): void {
  writeJsonAtomic(path, toJsonSafe(results));
}

/** A one-paragraph text summary for the console. */
export function formatResults(r: EvalResults): string {
  const pct = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : `${(100 * v).toFixed(1)}%`);
  const lines = [
    `${r.method} · ${r.protocol.name}-view (observed ${r.protocol.observedViews.length === 1 ? `view ${r.protocol.observedViews[0]}` : `${r.protocol.observedViews.length} views`}) · ${r.counts.instances} instances, ${r.counts.images} images at ${r.side}²`,
    `  mIOU ${pct(r.mIOU)}  shape-mIOU ${pct(r.shapeMIOU)} (over classes present in the ground truth ${pct(r.shapeMIOUPresent)})${r.psnr !== null ? `  PSNR ${r.psnr.toFixed(2)} dB` : ''}`,
    `  per class: ${Object.entries(r.perClassIoU).map(([k, v]) => `${k} ${pct(v)}`).join(', ')}`,
    `  trivial: all-background mIOU ${pct(r.trivial.allBackground.mIOU)} / shape ${pct(r.trivial.allBackground.shapeMIOU)}` +
      (r.trivial.majorityPart
        ? `; majority part (${r.trivial.majorityPart.majorityClassName}) mIOU ${pct(r.trivial.majorityPart.mIOU)} / shape ${pct(r.trivial.majorityPart.shapeMIOU)}`
        : ''),
  ];
  return lines.join('\n');
}
