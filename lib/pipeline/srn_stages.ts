/**
 * The SRN+linear pipeline's stages after the data: pre-train (or resume / reuse a checkpoint), fit the linear
 * probe on the few-shot labels, fit a code per test object and evaluate every view. Each stage is a function of
 * typed inputs to a typed result; tracking goes through the `run` handle passed in (a NullTracker's when off).
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SINGLE_VIEW_INDEX } from '../config/defaults';
import type { SrnConfig } from '../config/types';
import type { SplitInfo } from '../data/types';
import { ViewCache } from '../data/view_loader';
import { evaluate, type EvalResults } from '../eval/runner';
import { evalJournalPaths, srnPredictor } from '../eval/srn_predictor';
import { majorityForegroundClass } from '../eval/trivial';
import { writeComparisonGrid } from '../plotting/comparison_grid';
import { pointCloudViews, writeLabelledPointCloudPly } from '../plotting/point_cloud_ply';
import type { SrnModel } from '../srn/model';
import { saveCheckpoint, type CheckpointTracking, type LoadedCheckpoint } from '../training/checkpoint';
import { splitSource } from '../training/data';
import type { ProgressCallback } from '../training/progress';
import { fitLinearProbe, pretrain } from '../training/stages';
import { numericMetrics } from '../tracking/metric_record';
import { runInterruptibly } from '../tracking/signals';
import type { RunHandle } from '../tracking/types';
import { drawFewShot, observedViews, type FewShotDraw } from './few_shot';

/** Mean of a list (NaN for none). */
function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/** What every stage may report to. */
export interface StageContext {
  run: RunHandle;
  /** Per-step progress of the training loops (false: none). */
  progress: ProgressCallback | false;
  /** One line per event (stage done, warnings). */
  log: (message: string) => void;
}

// ---- pre-training

export interface PretrainStageOptions {
  /** Checkpoints are written here (every 500 steps and at the end). */
  checkpointDir: string;
  /** Start from this checkpoint (ours, same model config; a folder or one already loaded); undefined trains from the initialisation. */
  resumeFrom?: string | LoadedCheckpoint;
  /** Ctrl-C finishes the current step and writes the checkpoint (CLI runs); otherwise only `signal` stops it. */
  interruptible?: boolean;
  signal?: AbortSignal;
  /** Recorded in every checkpoint: the training data's version and the tracked run (resumed runs continue it). */
  dataVersion?: string;
  tracking?: CheckpointTracking;
  /** Checkpoints kept (default 1): N > 1 keeps the N − 1 previous ones as `<dir>.step-<step>`, for curves against steps. */
  keep?: number;
}

export interface PretrainStageResult {
  step: number;
  seconds: number;
  /** Mean loss over the last 50 steps run now (null when none ran, e.g. a finished checkpoint). */
  finalLoss: number | null;
  losses: number[];
  resumedFrom: string | null;
  /** True when stopped by a signal (the checkpoint in checkpointDir holds the last step). */
  aborted: boolean;
}

/** Fails with the differing fields when a checkpoint was made with another model config (it cannot be resumed). */
export function assertSameModelConfig(ck: LoadedCheckpoint, config: SrnConfig, what: string): void {
  const checkpointDir = ck.dir;
  const saved = ck.manifest.config.model;
  const diff = (Object.keys(config.model) as (keyof SrnConfig['model'])[]).filter((k) => JSON.stringify(saved[k]) !== JSON.stringify(config.model[k]));
  if (diff.length) {
    throw new Error(
      `${checkpointDir}: checkpoint model config differs from ${what} in ${diff.map((k) => `${k} (${JSON.stringify(saved[k])} vs ${JSON.stringify(config.model[k])})`).join(', ')}; ` +
        `use --from-scratch or another --name`,
    );
  }
}

/** Stage 1 (reference §4.2): RGB(+depth) pre-training of the whole SRN, resumed from `resumeFrom` when given. */
export async function pretrainStage(config: SrnConfig, model: SrnModel, train: SplitInfo, o: PretrainStageOptions, ctx: StageContext): Promise<PretrainStageResult> {
  const t = performance.now();
  const go = (signal?: AbortSignal) =>
    pretrain(config, model, splitSource(train, { seed: `${config.seed}/pretrain`, skipLabels: true, cache: new ViewCache(256 * 2 ** 20) }), {
      onMetrics: (step, rec) => ctx.run.logMetrics(numericMetrics(rec, 'pretrain/'), step),
      onProgress: ctx.progress,
      checkpoint: { dir: o.checkpointDir, every: 500, dataVersion: o.dataVersion, tracking: o.tracking, keep: o.keep },
      resumeFrom: o.resumeFrom,
      signal,
    });
  const pre = o.interruptible
    ? await runInterruptibly(go, () => ctx.log('interrupted: pre-training stops after this step and writes its checkpoint (Ctrl-C again quits at once)'))
    : await go(o.signal);
  pre.adam?.dispose();
  const losses = pre.history.map((r) => r.loss);
  return {
    step: pre.step,
    seconds: (performance.now() - t) / 1000,
    finalLoss: losses.length ? mean(losses.slice(-50)) : null,
    losses,
    resumedFrom: o.resumeFrom === undefined ? null : typeof o.resumeFrom === 'string' ? o.resumeFrom : o.resumeFrom.dir,
    aborted: pre.aborted,
  };
}

// ---- linear probe

export interface ProbeStageResult {
  draw: FewShotDraw;
  /** Labelled images the head was fitted on. */
  images: number;
  step: number;
  seconds: number;
  /** Mean loss over the last 20 steps. */
  finalLoss: number | null;
  losses: number[];
  /** Most frequent foreground part in the labelled images (the trivial predictor's guess). */
  majorityClass: number;
  /** Where the probe checkpoint was written (null when not asked). */
  checkpointDir: string | null;
}

/** Stage 2 (reference §4.3): the few-shot draw, then the linear head fitted on the frozen SRN's features. */
export async function probeStage(config: SrnConfig, model: SrnModel, train: SplitInfo, o: { checkpointDir?: string; signal?: AbortSignal }, ctx: StageContext): Promise<ProbeStageResult> {
  const t = performance.now();
  const draw = drawFewShot(config, train, (m) => ctx.log(`warning: ${m}`));
  const labelled = observedViews(draw.sel.info, draw.side);
  const probe = await fitLinearProbe(config, model, labelled, {
    onMetrics: (step, rec) => ctx.run.logMetrics(numericMetrics(rec, 'probe/'), step),
    onProgress: ctx.progress,
    signal: o.signal,
  });
  const seconds = (performance.now() - t) / 1000;
  if (o.checkpointDir) saveCheckpoint(o.checkpointDir, { config, model, stage: 'probe', step: probe.step, extra: { fewShot: draw.sel.instanceIds } });
  const losses = probe.history.map((r) => r.loss);
  return {
    draw,
    images: labelled.length,
    step: probe.step,
    seconds,
    finalLoss: losses.length ? mean(losses.slice(-20)) : null,
    losses,
    majorityClass: majorityForegroundClass(labelled.map((o) => o.view.labels!), train.numClasses),
    checkpointDir: o.checkpointDir ?? null,
  };
}

// ---- test-time fit + evaluation

export interface EvaluateStageOptions {
  /** 'single' (view 65) or 'multi' (50 views), or explicit observed views (file indices). */
  protocol: 'single' | 'multi' | { name: 'single' | 'multi'; observedViews: number[] };
  /** Evaluated views (file indices); default every view. */
  evalViews?: number[];
  majorityClass?: number;
  /** Backend record for results.json. */
  backend?: unknown;
  /** Config record for results.json. */
  configSummary?: unknown;
  /**
   * Comparison grids (input | RGB | labels) of the first `instances` objects at `views` novel views, written to
   * `dir`; `note` goes into each grid's title (e.g. the protocol and scale, 'smoke test' for tiny runs).
   */
  figures?: { dir: string; instances: number; views: number; note?: string };
  /** A labelled point cloud of the first test object (PLY) in this folder; `stride` thins the views (default all). */
  pointCloud?: { dir: string; stride?: number };
  /**
   * The results file this evaluation is for: makes it resumable, with journals of scored objects and fitted codes
   * beside it (lib/eval/srn_predictor.ts evalJournalPaths), removed when it returns. Objects taken from a journal
   * keep the figures and point cloud their first sitting wrote.
   */
  journal?: string;
  /** Running mIOU after each object. */
  onObject?: (p: { instance: number; instances: number; images: number; mIOU: number; elapsedSeconds: number }) => void;
  signal?: AbortSignal;
}

export interface EvaluateStageResult {
  results: EvalResults;
  /** Comparison grids and the point cloud, in the order written. */
  renders: string[];
  pointCloud: string | null;
  seconds: number;
  meanFitSecondsPerObject: number;
  meanRenderSecondsPerObject: number;
}

const figureName = (position: number, id: string) => `test_${String(position).padStart(2, '0')}_${id.slice(0, 8)}.png`;
const pointCloudName = (id: string) => `pointcloud_${id.slice(0, 8)}.ply`;

/** Evenly spaced view positions including `must` (for figures). */
export function figureViews(numViews: number, must: number, count = 6): number[] {
  const set = new Set<number>([must]);
  for (let i = 0; set.size < Math.min(count, numViews) && i < count * 4; i++) set.add(Math.floor((i * numViews) / count) % numViews);
  return [...set].sort((a, b) => a - b);
}

/**
 * Stages 3–4 (reference §4.4, §4.6): a code per test object fitted to the protocol's RGB views (every weight
 * frozen; objectsPerStep objects share a step), every evaluated view rendered with the probe head and scored
 * next to the trivial predictors.
 */
export async function evaluateStage(config: SrnConfig, model: SrnModel, test: SplitInfo, o: EvaluateStageOptions, ctx: StageContext): Promise<EvaluateStageResult> {
  const t = performance.now();
  const fitTimes: number[] = [];
  const renderTimes: number[] = [];
  const renders: string[] = [];
  let pointCloud: string | null = null;
  let fitStepBase = 0;
  const head = config.training.probe.head;
  const journals = o.journal ? evalJournalPaths(o.journal) : undefined;
  const predictor = srnPredictor(config, model, {
    head,
    ...(journals ? { codeJournal: journals.codes } : {}),
    fit: { onMetrics: (step, rec) => ctx.run.logMetrics(numericMetrics(rec, 'fit/'), fitStepBase + step), signal: o.signal },
    // One progress line for the whole split's fits, in object-steps, with the evaluation's ETA.
    ...(ctx.progress ? { onProgress: ctx.progress } : {}),
    onRendered: ({ position, views, viewPositions, fitSeconds, renderSeconds }) => {
      fitTimes.push(fitSeconds);
      renderTimes.push(renderSeconds);
      fitStepBase += config.training.latentFit.steps;
      if (position === 0 && o.pointCloud) {
        const chunks = pointCloudViews(viewPositions.length, o.pointCloud.stride).map((k) => ({ points: views[k].points, labels: views[k].labels! }));
        pointCloud = join(o.pointCloud.dir, pointCloudName(test.instances[0].id));
        const n = writeLabelledPointCloudPly(pointCloud, chunks, test.numClasses);
        renders.push(pointCloud);
        ctx.log(`point cloud: ${n} labelled points → ${pointCloud}`);
      }
    },
  });
  const observedFirst = typeof o.protocol === 'string' ? (o.protocol === 'single' ? SINGLE_VIEW_INDEX : undefined) : o.protocol.observedViews[0];
  const results = await evaluate({
    split: test,
    side: config.inference.side,
    protocol: o.protocol,
    ...(o.evalViews ? { evalViews: o.evalViews } : {}),
    predictor,
    method: `srn+${head}`,
    majorityClass: o.majorityClass,
    cache: new ViewCache(512 * 2 ** 20),
    backend: o.backend,
    ...(o.configSummary !== undefined ? { config: o.configSummary } : {}),
    ...(journals ? { journal: { path: journals.scores, fingerprint: predictor.fingerprint() } } : {}),
    onJournal: ({ resumed, path, setAside }) => ctx.log(setAside ? `eval: a journal of another configuration set aside as ${setAside}` : `eval: resuming with ${resumed} object(s) scored before (${path})`),
    onProgress: (p) => {
      o.onObject?.({ instance: p.instance, instances: p.instances, images: p.images, mIOU: p.mIOU, elapsedSeconds: p.elapsedSeconds });
      ctx.run.logMetric('eval/running_mIOU', p.mIOU, p.instance);
    },
    onInstance: ({ position, instance, viewPositions, prediction, gt }) => {
      if (!o.figures || position >= o.figures.instances) return;
      const found = viewPositions.findIndex((p) => (instance.views[p].index ?? p) === observedFirst);
      const obs = found >= 0 ? found : 0;
      const rows = figureViews(viewPositions.length, obs, o.figures.views).map((k) => ({
        predRgba: prediction.rgba?.[k], gtRgba: gt[k].rgba, predLabels: prediction.labels[k], gtLabels: gt[k].labels!,
      }));
      const png = join(o.figures.dir, figureName(position, instance.id));
      const title = `${instance.id.slice(0, 8)}: fitted from ${typeof o.protocol === 'string' ? o.protocol : o.protocol.name}-view input, rendered at novel poses${o.figures.note ? ` (${o.figures.note})` : ''}`;
      writeComparisonGrid(png, { inputRgba: gt[obs].rgba, rows, numClasses: test.numClasses, classNames: test.classNames, title });
      renders.push(png);
    },
  });
  if (journals) {
    rmSync(journals.codes, { force: true });
    // Objects scored in an earlier sitting: their figures and point cloud are on disk from then.
    if (results.timings.resumedInstances > 0) {
      const earlier: string[] = [];
      if (o.pointCloud && !pointCloud) {
        const ply = join(o.pointCloud.dir, pointCloudName(test.instances[0].id));
        if (existsSync(ply)) earlier.push((pointCloud = ply));
      }
      for (let pos = 0; o.figures && pos < Math.min(o.figures.instances, test.instances.length); pos++) {
        const png = join(o.figures.dir, figureName(pos, test.instances[pos].id));
        if (existsSync(png) && !renders.includes(png)) earlier.push(png);
      }
      renders.splice(0, 0, ...earlier);
    }
  }
  return {
    results,
    renders,
    pointCloud,
    seconds: (performance.now() - t) / 1000 + results.timings.resumedSeconds,
    meanFitSecondsPerObject: mean(fitTimes),
    meanRenderSecondsPerObject: mean(renderTimes),
  };
}
