/**
 * The training stages of spec/reference.md §4, each `(config, model, data, opts)`:
 *  - pretrain: vanilla SRN on RGB (200·MSE + 1·latent + 1e-3·depth), latents + hypernet + raymarcher + renderer;
 *  - trainSemantic: the same end to end with the feature U-Net head (+ 8·CE);
 *  - fitLinearProbe: frozen SRN, features of the few-shot images (cached), only a fresh head trains (8·CE);
 *  - fitLatentCodes: fresh codes for new objects from RGB, a mask through a head, or both; all else frozen.
 */
import * as tf from '@tensorflow/tfjs';
import { LINEAR_CE_WEIGHTS, RGB_LOSS_WEIGHTS, UNET_MASK_FIT_WEIGHTS } from '../config/defaults';
import { scheduleSteps } from '../config/presets';
import type { LossWeights, SegHeadKind, SrnConfig, StageConfig } from '../config/types';
import { LatentTable } from '../latent/table';
import { crossEntropyLoss } from '../losses/losses';
import type { SegHead } from '../srn/heads';
import type { SrnModel } from '../srn/model';
import { PARAM_GROUPS, type ParamGroup } from '../srn/params';
import { renderFeatures } from '../srn/render';
import { Rng } from '../util/random';
import { DenseAdam, SparseAdam } from './adam';
import { loadCheckpoint, restoreTrainingState, saveCheckpoint, type CheckpointTracking, type LoadedCheckpoint } from './checkpoint';
import { NonFiniteError, nonFiniteTerm } from './non_finite';
import { type BatchSource, batchFromViews, type ObservedView } from './data';
import { type ProgressCallback, ProgressMeter, stderrProgress } from './progress';
import { type StepRecord, trainStep } from './step';
import { ViewSampler } from '../data/sampler';


/** Lets signal handlers (SIGINT → abort) and timers run between training steps. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface StageOptions {
  /** Called after every step with the 1-based step count and the losses. */
  onMetrics?: (step: number, record: StepRecord) => void;
  /** Progress callback; default a stderr line every 2 s. Pass `false` for silence. */
  onProgress?: ProgressCallback | false;
  /** Stops after the current step (a checkpoint is written when `checkpoint` is set). */
  signal?: AbortSignal;
  /**
   * Where to write checkpoints: every `every` steps (default the stage config's checkpointEvery) and at the
   * end; `keep` checkpoints are kept (default 1, see saveCheckpoint); `tracking` and the training data's `dataVersion` are recorded in each.
   * `maxAgeSeconds` also saves once that long has passed since the last save (0: never): a hard stop (a killed
   * process, a session's end) then loses at most that much. Default CHECKPOINT_MAX_AGE_SECONDS where only the newest
   * is kept; 0 where earlier ones are kept, so that those stay at regular steps.
   */
  checkpoint?: { dir: string; every?: number; keep?: number; maxAgeSeconds?: number; tracking?: CheckpointTracking; dataVersion?: string };
  /**
   * A NaN/±Inf loss term: 'stop' (default) throws NonFiniteError at once, before anything is saved (the last
   * good checkpoint stays); 'skip' drops that step's update and goes on, failing after
   * MAX_SKIPPED_IN_A_ROW skipped steps in a row. Parameters are checked before every checkpoint write either way.
   */
  nonFinite?: 'stop' | 'skip';
  /** Resume from a checkpoint (directory or loaded) written by the same stage. */
  resumeFrom?: string | LoadedCheckpoint;
  /** Stop after this many steps in total (for tests/benchmarks); default the whole schedule. */
  maxSteps?: number;
  /** Override which parameter groups train (freezing is configuration). */
  trainGroups?: readonly ParamGroup[];
}

/**
 * The longest a stage trains between checkpoints by default. 500 steps of the 64² semantic SRN are ~18 min on one
 * core, and a stop by SIGKILL (a session's end) gets no last save.
 */
export const CHECKPOINT_MAX_AGE_SECONDS = 600;

/** A stage's `checkpoint.maxAgeSeconds`, its default resolved (see StageOptions.checkpoint). */
export function checkpointMaxAge(ck: { keep?: number; maxAgeSeconds?: number }): number {
  return ck.maxAgeSeconds ?? ((ck.keep ?? 1) === 1 ? CHECKPOINT_MAX_AGE_SECONDS : 0);
}

export interface StageResult {
  stage: string;
  /** Steps completed in total (including resumed ones). */
  step: number;
  history: StepRecord[];
  /** True when stopped by the signal. */
  aborted: boolean;
  /** The dense optimiser (its state is in the checkpoints); dispose when done. */
  adam?: DenseAdam;
  /** The SparseAdam over the model's codes (its state is in the checkpoints too). */
  latentAdam: SparseAdam;
}

/** In 'skip' mode, this many non-finite steps in a row stop the stage (the run has diverged). */
export const MAX_SKIPPED_IN_A_ROW = 20;

function progressOf(opts: StageOptions): ProgressCallback | undefined {
  if (opts.onProgress === false) return undefined;
  return opts.onProgress ?? stderrProgress();
}

/** Names of the dense parameters in the given groups; segHead restricted to one head's prefix. */
export function trainableNames(model: SrnModel, groups: readonly ParamGroup[], headKind?: SegHeadKind): string[] {
  return model.params
    .list(groups.filter((g) => g !== 'latents'))
    .filter((p) => p.group !== 'segHead' || (headKind !== undefined && p.name.startsWith(`segHead.${headKind}.`)))
    .map((p) => p.name);
}

function scheduleAt(st: StageConfig, step: number): { side: number; batchSize: number } {
  let acc = 0;
  for (const s of st.schedule) {
    acc += s.steps;
    if (step < acc) return s;
  }
  return st.schedule[st.schedule.length - 1];
}

async function runSrnStage(
  stage: 'pretrain' | 'semantic',
  config: SrnConfig,
  model: SrnModel,
  data: BatchSource,
  opts: StageOptions,
  defaultGroups: readonly ParamGroup[],
  headKind?: SegHeadKind,
): Promise<StageResult> {
  const st = config.training[stage];
  if (data.numInstances > model.latents.count) {
    throw new Error(`${stage}: the data addresses ${data.numInstances} latent rows but the model's table has ${model.latents.count}`);
  }
  const groups = opts.trainGroups ?? defaultGroups;
  const head = headKind ? model.heads.get(headKind) ?? model.addHead(headKind) : undefined;
  const names = trainableNames(model, groups, headKind);
  const byName = new Map(names.map((n) => [n, model.params.get(n)!.variable]));
  // The stage's optimisers: fresh unless it resumes (the model carries no optimiser state).
  const adam = new DenseAdam(byName, st.dense);
  const latentAdam = new SparseAdam(model.latents, st.latent);
  let step = 0;
  if (opts.resumeFrom) {
    const ck = typeof opts.resumeFrom === 'string' ? loadCheckpoint(opts.resumeFrom) : opts.resumeFrom;
    if (ck.manifest.stage !== stage) throw new Error(`${stage}: cannot resume from a '${ck.manifest.stage}' checkpoint`);
    step = restoreTrainingState(ck, model, { dense: adam, latent: latentAdam });
  }
  const total = Math.min(scheduleSteps(st.schedule), opts.maxSteps ?? Infinity);
  const meter = new ProgressMeter(stage, total, step, progressOf(opts));
  const every = opts.checkpoint?.every ?? st.checkpointEvery;
  const history: StepRecord[] = [];
  const trainLatents = groups.includes('latents');
  let aborted = false;
  const ckOpts = opts.checkpoint;
  let lastSaved = opts.resumeFrom ? step : undefined;
  const maxAgeMs = ckOpts ? 1000 * checkpointMaxAge(ckOpts) : 0;
  let savedAtMs = performance.now();
  const save = () => {
    if (!ckOpts) return;
    saveCheckpoint(ckOpts.dir, { config, model, stage, step, adam, latentAdam, keep: ckOpts.keep, tracking: ckOpts.tracking, dataVersion: ckOpts.dataVersion });
    lastSaved = step;
    savedAtMs = performance.now();
  };
  const kept = () =>
    ckOpts ? (lastSaved !== undefined ? `${ckOpts.dir} keeps the last good checkpoint (step ${lastSaved})` : `no checkpoint was written to ${ckOpts.dir}`) : 'nothing was saved';
  const skipMode = opts.nonFinite === 'skip';
  let skippedInRow = 0;
  try {
    while (step < total) {
      await yieldToEventLoop();
      if (opts.signal?.aborted) {
        aborted = true;
        break;
      }
      const { side, batchSize } = scheduleAt(st, step);
      const batch = data.batch(step, batchSize, side);
      let rec: StepRecord;
      try {
        const rows = Array.from(batch.instanceIndex.dataSync());
        rec = trainStep({
          model, batch, weights: st.weights,
          dense: names.length ? { adam, names } : undefined,
          latent: { table: model.latents, rows, adam: trainLatents ? latentAdam : undefined },
          head, headTraining: true,
          raysPerImage: st.raysPerImage,
          rng: Rng.derive(config.seed, stage, 'rays', step),
          skipNonFinite: skipMode,
        });
      } finally {
        tf.dispose([batch.instanceIndex, batch.rgba, batch.cam2world, batch.intrinsics]);
        if (batch.labels) batch.labels.dispose();
        if (batch.depth) batch.depth.dispose();
      }
      step += 1;
      history.push(rec);
      opts.onMetrics?.(step, rec);
      const bad = nonFiniteTerm(rec);
      if (bad && !skipMode) {
        throw new NonFiniteError(stage, step, bad.term, bad.value, `the stage stopped; ${kept()}`);
      }
      if (rec.skipped) {
        if (++skippedInRow >= MAX_SKIPPED_IN_A_ROW) {
          throw new NonFiniteError(stage, step, bad?.term ?? 'gradient', bad?.value ?? NaN, `${skippedInRow} steps in a row skipped (diverged); the stage stopped; ${kept()}`);
        }
      } else skippedInRow = 0;
      meter.tick(step, rec.loss);
      if (step < total && ((every > 0 && step % every === 0) || (maxAgeMs > 0 && performance.now() - savedAtMs >= maxAgeMs))) save();
    }
    save();
  } catch (e) {
    // A stopped stage (non-finite loss or parameters, a failed write) hands back no optimiser: free its moments.
    adam.dispose();
    throw e;
  }
  return { stage, step, history, aborted, adam, latentAdam };
}

/** Stage 1a: vanilla SRN pre-training on RGB (reference §4.1). */
export function pretrain(config: SrnConfig, model: SrnModel, data: BatchSource, opts: StageOptions = {}): Promise<StageResult> {
  return runSrnStage('pretrain', config, model, data, opts, ['latents', 'hypernet', 'raymarcher', 'renderer']);
}

/** Stage 1b: the fully supervised semantic SRN with the feature U-Net head, end to end (reference §4.2). */
export function trainSemantic(config: SrnConfig, model: SrnModel, data: BatchSource, opts: StageOptions = {}): Promise<StageResult> {
  return runSrnStage('semantic', config, model, data, opts, PARAM_GROUPS, 'unet');
}

export interface ProbeResult {
  head: SegHead;
  history: StepRecord[];
  step: number;
  /** Seconds spent computing the frozen features. */
  featureSeconds: number;
}

/**
 * Stage 2: the semi-supervised linear (or MLP) probe (reference §4.3). The SRN is frozen and runs
 * without a tape: features of the labelled views are computed once from the views' training codes
 * (cached when config.training.probe.cacheFeatures), and only a freshly initialised head trains.
 */
export async function fitLinearProbe(config: SrnConfig, model: SrnModel, views: readonly ObservedView[], opts: StageOptions = {}): Promise<ProbeResult> {
  const pc = config.training.probe;
  if (views.length === 0) throw new Error('fitLinearProbe: no labelled views');
  if (views.some((v) => !v.view.labels)) throw new Error('fitLinearProbe: every view needs labels');
  // The head's init follows the model's seed and this stage's (a replicate seed on a shared pre-training).
  const head = model.addHead(pc.head, undefined, config.seed);
  const names = trainableNames(model, ['segHead'], pc.head);
  const adam = new DenseAdam(new Map(names.map((n) => [n, model.params.get(n)!.variable])), pc.dense);
  const side = Math.round(Math.sqrt(views[0].view.rgba.length / 4));
  const chunk = config.inference.chunkRays;
  const t0 = Date.now();
  const featuresOf = (v: ObservedView): tf.Tensor2D =>
    renderFeatures(model, model.latents.row(v.instanceIndex), v.view.pose, v.view.intrinsics, side, chunk);
  const cache = pc.cacheFeatures ? views.map(featuresOf) : undefined;
  const featureSeconds = (Date.now() - t0) / 1000;
  const labels = views.map((v) => v.view.labels!);
  const sampler = new ViewSampler(views.map((_, i) => ({ instance: i, view: 0 })), { batchSize: Math.min(pc.batchSize, views.length), seed: `${config.seed}/probe` });
  const meter = new ProgressMeter('probe', pc.steps, 0, progressOf(opts));
  const history: StepRecord[] = [];
  const vars = names.map((n) => model.params.get(n)!.variable);
  let step = 0;
  try {
    for (; step < Math.min(pc.steps, opts.maxSteps ?? Infinity); ) {
      await yieldToEventLoop();
      // A probe is minutes and has no checkpoint to resume: a part-trained head must never be saved or scored as
      // if finished (its callers cache it beside the pre-training and journal sweep records from it).
      if (opts.signal?.aborted) throw new Error(`interrupted during the linear probe at step ${step} of ${pc.steps}: nothing is kept of a part-trained head; rerun the same command to go on (finished stages and checkpoints are kept)`);
      const t1 = Date.now();
      const refs = sampler.at(step).refs.map((r) => r.instance);
      const feats = refs.map((i) => cache?.[i] ?? featuresOf(views[i]));
      const x = tf.stack(feats) as tf.Tensor3D; // [B, S², F], no tape reaches the SRN
      if (!cache) tf.dispose(feats);
      const lab = tf.tensor2d(Int32Array.from(refs.flatMap((i) => Array.from(labels[i]))), [refs.length, side * side], 'int32');
      const { value, grads } = tf.variableGrads(() => tf.mul(crossEntropyLoss(head.apply(x, { side, training: true }), lab), pc.weights.ce) as tf.Scalar, vars);
      const named: Record<string, tf.Tensor> = {};
      vars.forEach((v, k) => {
        if (grads[v.name]) named[names[k]] = grads[v.name];
      });
      adam.apply(named);
      const loss = value.dataSync()[0];
      tf.dispose([value, x, lab, ...Object.values(grads)]);
      step += 1;
      if (!Number.isFinite(loss)) throw new NonFiniteError('probe', step, "loss term 'ce'", loss, 'the probe stopped; its head is not saved');
      const rec: StepRecord = { loss, ce: loss / pc.weights.ce, seconds: (Date.now() - t1) / 1000 };
      history.push(rec);
      opts.onMetrics?.(step, rec);
      meter.tick(step, loss);
    }
  } finally {
    if (cache) tf.dispose(cache);
    adam.dispose();
  }
  return { head, history, step, featureSeconds };
}

export type LatentFitTarget = 'rgb' | 'mask' | 'both';

export interface LatentFitOptions extends StageOptions {
  /** What the codes are fitted to (default 'rgb'). */
  target?: LatentFitTarget;
  /** Head used for mask targets (default 'linear'). */
  head?: SegHeadKind;
  /** Loss weights; default config.training.latentFit.weights for RGB, 8·CE (linear head) or 8·CE + regularisers (U-Net) for masks. */
  weights?: LossWeights;
  /** Objects fitted together in one step (default config.training.latentFit.objectsPerStep). */
  objectsPerStep?: number;
  /**
   * Per object, the key its initial code, view order and ray subsets are drawn with (default its index in
   * `objects`); e.g. the instance's position in the split, so that a fit does not depend on the batching.
   */
  seedKeys?: readonly (number | string)[];
}

export interface LatentFitResult {
  /** One fitted code per object. */
  codes: Float32Array[];
  /** Per object, one record per step; objects fitted together share their group's records (mean over the group). */
  history: StepRecord[][];
}

function defaultFitWeights(config: SrnConfig, target: LatentFitTarget, head: SegHeadKind): LossWeights {
  const rgb = config.training.latentFit.weights;
  if (target === 'rgb') return rgb;
  const mask = head === 'linear' ? LINEAR_CE_WEIGHTS : UNET_MASK_FIT_WEIGHTS;
  if (target === 'mask') return mask;
  return { img: rgb.img || RGB_LOSS_WEIGHTS.img, ce: mask.ce, latent: rgb.latent, depth: rgb.depth };
}

/**
 * Consecutive runs of at most `size` objects that observe the same number of images per step (so that
 * every loss term is a mean over equal shares of the batch, see fitLatentCodes).
 */
export function fitGroups(imagesPerStep: readonly number[], size: number): number[][] {
  const groups: number[][] = [];
  imagesPerStep.forEach((n, o) => {
    const last = groups[groups.length - 1];
    if (last && last.length < size && imagesPerStep[last[0]] === n) last.push(o);
    else groups.push([o]);
  });
  return groups;
}

/**
 * Stage 3: test-time inference of codes for new objects (reference §4.4, §4.5). Each object gets a fresh
 * code N(0, initStd²) (drawn from its own seed) fitted by SparseAdam to its observations (one or several
 * posed views, all at one side); no gradient reaches any model weight. A U-Net head runs as
 * `latentFit.unetHeadMode` says: in train mode (the reference) its BN running statistics keep updating and
 * the images of a step share batch statistics; in eval mode images do not interact.
 *
 * `objectsPerStep` objects share one step — one batch of all their images — which on 2 cores costs far
 * less than one step each, because per-op overhead dominates small batches. The fit stays each object's
 * own: every loss term is a mean over equal shares of the batch, so scaling the weights by the group size
 * G gives each code exactly the gradient of its solo fit, and SparseAdam's moments are per row (exactly so
 * unless a U-Net head in train mode couples the images through batch statistics, as in the reference's joint run).
 */
export async function fitLatentCodes(config: SrnConfig, model: SrnModel, objects: readonly (readonly ObservedView[])[], opts: LatentFitOptions = {}): Promise<LatentFitResult> {
  const fc = config.training.latentFit;
  const target = opts.target ?? 'rgb';
  const headKind = opts.head ?? 'linear';
  const weights = opts.weights ?? defaultFitWeights(config, target, headKind);
  const head = weights.ce !== 0 ? model.head(headKind) : undefined;
  const steps = Math.min(fc.steps, opts.maxSteps ?? Infinity);
  const perStep = opts.objectsPerStep ?? fc.objectsPerStep;
  if (!Number.isInteger(perStep) || perStep < 1) throw new Error(`fitLatentCodes: objectsPerStep must be an integer ≥ 1, got ${perStep}`);
  objects.forEach((obs, o) => {
    if (obs.length === 0) throw new Error(`fitLatentCodes: object ${o} has no observations`);
  });
  if (opts.seedKeys && opts.seedKeys.length !== objects.length) {
    throw new Error(`fitLatentCodes: seedKeys has ${opts.seedKeys.length} entries for ${objects.length} objects`);
  }
  const key = (o: number) => opts.seedKeys?.[o] ?? o;
  const imagesPerStep = objects.map((obs) => Math.min(fc.batchSize, obs.length));
  const meter = new ProgressMeter('latent-fit', steps * objects.length, 0, progressOf(opts), 'object-steps');
  const codes: Float32Array[] = new Array(objects.length);
  const history: StepRecord[][] = new Array(objects.length);
  let done = 0;
  for (const group of fitGroups(imagesPerStep, perStep)) {
    const G = group.length;
    const table = new LatentTable(G, model.cfg.latentDim, { std: fc.initStd, rng: Rng.derive(config.seed, 'latentFit', key(group[0])) });
    group.forEach((o, k) => table.setRow(k, Rng.derive(config.seed, 'latentFit', key(o)).normalArray(model.cfg.latentDim, 0, fc.initStd)));
    const adam = new SparseAdam(table, fc.latent);
    const samplers = group.map((o) => new ViewSampler(objects[o].map((_, i) => ({ instance: i, view: 0 })), { batchSize: imagesPerStep[o], seed: `${config.seed}/latentFit/${key(o)}` }));
    const scaled: LossWeights = { img: weights.img * G, ce: weights.ce * G, latent: weights.latent * G, depth: weights.depth * G };
    const hist: StepRecord[] = [];
    for (let step = 0; step < steps; step++) {
      await yieldToEventLoop();
      if (opts.signal?.aborted) break;
      const views: ObservedView[] = [];
      const rows: number[] = [];
      const rayRngs: Rng[] = [];
      group.forEach((o, k) => {
        const rng = Rng.derive(config.seed, 'latentFit', key(o), 'rays', step);
        for (const r of samplers[k].at(step).refs) {
          views.push(objects[o][r.instance]);
          rows.push(k);
          rayRngs.push(rng);
        }
      });
      const batch = batchFromViews(views);
      try {
        const rec = trainStep({
          model, batch, weights: scaled,
          latent: { table, rows, adam },
          head, headTraining: head?.kind === 'unet' && fc.unetHeadMode === 'train',
          raysPerImage: head?.kind === 'unet' ? null : fc.raysPerImage,
          rng: rayRngs,
        });
        rec.loss /= G;
        const bad = nonFiniteTerm(rec);
        if (bad) throw new NonFiniteError('latent-fit', step + 1, bad.term, bad.value, `fitting object(s) ${group.join(', ')}`);
        hist.push(rec);
        done += G;
        opts.onMetrics?.(done, rec);
        meter.tick(done, rec.loss);
      } finally {
        tf.dispose([batch.instanceIndex, batch.rgba, batch.cam2world, batch.intrinsics]);
        if (batch.labels) batch.labels.dispose();
      }
    }
    group.forEach((o, k) => {
      codes[o] = table.row(k);
      history[o] = hist;
    });
  }
  return { codes, history };
}
