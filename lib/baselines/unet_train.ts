/**
 * Training the 2-D U-Net on (RGBA image, label map) pairs with per-pixel softmax CE (spec baselines.md §B3):
 * Adam, shuffled batches, optional validation mIOU every `evalEvery` steps with early stopping (the best
 * weights are kept); the 30-shot variant picks its dropout on the validation split. The predictor feeds
 * the ground-truth RGB of every test view (oracle) or any other image source (SRN renders) to the net.
 */
import { join } from 'node:path';
import { crossEntropyLoss } from '../losses/losses';
import * as tf from '@tensorflow/tfjs';
import { loadView, type ViewCache } from '../data/view_loader';
import type { SplitInfo } from '../data/types';
import type { Predictor } from '../eval/runner';
import { SegmentationScores } from '../metrics/segmentation';
import { DenseAdam } from '../training/adam';
import { type ProgressCallback, ProgressMeter } from '../training/progress';
import { Rng } from '../util/random';
import type { Unet2dConfig, Unet2dTrainConfig } from './config';
import { disposeRecord, logitsToLabels } from './layers';
import { Unet2d, type Unet2dArch } from './unet2d';
import type { UnetGridJournal } from './unet_grid_journal';
import { NetTrainCheckpoint } from './net_train_checkpoint';
import { nearestResizeLabels } from './util';

export function unetArch(cfg: Unet2dConfig, numClasses: number, dropout = cfg.dropout): Unet2dArch {
  return {
    inChannels: cfg.inChannels,
    outChannels: numClasses,
    nf0: cfg.nf0,
    numDown: cfg.numDown,
    maxChannels: cfg.maxChannels,
    dropout,
    fixedDropout: cfg.fixedDropout,
    upActivation: cfg.upActivation,
    bnMomentum: cfg.bnMomentum,
    bnEps: cfg.bnEps,
  };
}

export interface LabelledImage {
  /** S·S·4 RGBA in [−1, 1]. */
  rgba: Float32Array;
  /** S·S class ids. */
  labels: Int32Array;
}

/** A (possibly lazily loaded) set of labelled images at one side. */
export interface ImageSet {
  size: number;
  side: number;
  get(i: number): LabelledImage;
}

/** Every (instance, view) of a split (or the given refs) at `side`, loaded on demand through `cache`. */
export function splitImageSet(split: SplitInfo, side: number, refs?: readonly { instance: number; view: number }[], cache?: ViewCache): ImageSet {
  const list = refs ?? split.instances.flatMap((inst, i) => inst.views.map((_, v) => ({ instance: i, view: v })));
  return {
    size: list.length,
    side,
    get(i) {
      const r = list[i];
      const v = loadView(split, r.instance, r.view, side, { cache, skipDepth: true });
      if (!v.labels) throw new Error(`${split.instances[r.instance].dir} view ${r.view}: no seg/ labels (the U-Net trains on labelled images)`);
      return { rgba: v.rgba, labels: v.labels };
    },
  };
}

export function memoryImageSet(images: LabelledImage[], side: number): ImageSet {
  return { size: images.length, side, get: (i) => images[i] };
}

/** RGBA (S·S·4) → network input channels (4 = RGBA, 3 = RGB). */
function inputTensor(images: Float32Array[], side: number, channels: number): tf.Tensor4D {
  const n = side * side;
  const out = new Float32Array(images.length * n * channels);
  images.forEach((img, b) => {
    if (channels === 4) out.set(img, b * n * 4);
    else for (let p = 0; p < n; p++) for (let c = 0; c < channels; c++) out[(b * n + p) * channels + c] = img[p * 4 + c];
  });
  return tf.tensor4d(out, [images.length, side, side, channels]);
}

/** Eval-mode prediction of label maps for images at the net's side, in chunks. */
export function predictLabels(net: Unet2d, images: Float32Array[], side: number, chunk = 16): Int32Array[] {
  const out: Int32Array[] = [];
  for (let s = 0; s < images.length; s += chunk) {
    const x = inputTensor(images.slice(s, s + chunk), side, net.arch.inChannels);
    const logits = tf.tidy(() => net.apply(x, { training: false }));
    out.push(...logitsToLabels(logits));
    tf.dispose([x, logits]);
  }
  return out;
}

/** Per-image mIOU (the §6 metric) of the net over an image set. */
export function imageSetMIOU(net: Unet2d, set: ImageSet, numClasses: number): number {
  const scores = new SegmentationScores(numClasses);
  const chunk = 16;
  for (let s = 0; s < set.size; s += chunk) {
    const imgs = Array.from({ length: Math.min(chunk, set.size - s) }, (_, k) => set.get(s + k));
    const pred = predictLabels(net, imgs.map((i) => i.rgba), set.side, chunk);
    pred.forEach((p, k) => scores.add(p, imgs[k].labels));
  }
  return scores.summary().mIOU;
}

export interface UnetTrainOptions {
  onMetrics?: (step: number, record: Record<string, number>) => void;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  maxSteps?: number;
  /** Label for progress lines. */
  stage?: string;
  /**
   * Saves the training at every validation, at a stop and at its end and, when it holds a saved state, goes on from
   * it (the result is the uninterrupted run's; `seconds` counts every sitting). The caller removes it once the
   * result is kept.
   */
  checkpoint?: NetTrainCheckpoint;
}

export interface UnetTrainResult {
  steps: number;
  history: number[];
  /** [step, val mIOU] at every evaluation. */
  validation: [number, number][];
  bestValMIOU: number | null;
  bestStep: number | null;
  stoppedEarly: boolean;
  seconds: number;
}

/**
 * Trains `net` in place. With a validation set and evalEvery > 0, the weights of the best validation
 * mIOU are restored at the end, and training stops after `patience` evaluations without improvement.
 */
export async function trainUnet2d(net: Unet2d, cfg: Unet2dTrainConfig, train: ImageSet, val: ImageSet | null, numClasses: number, seed: number | string, opts: UnetTrainOptions = {}): Promise<UnetTrainResult> {
  if (train.size === 0) throw new Error('trainUnet2d: empty training set');
  const total = Math.min(cfg.steps, opts.maxSteps ?? cfg.steps);
  const B = Math.min(cfg.batchSize, train.size);
  const adam = new DenseAdam(net.params.trainable, cfg.adam);
  const side = train.side;
  const perEpoch = Math.floor(train.size / B);
  let history: number[] = [];
  let validation: [number, number][] = [];
  let best: { miou: number; step: number; weights: Record<string, tf.Tensor> } | null = null;
  let sinceBest = 0;
  let stoppedEarly = false;
  let step = 0;
  // Seconds of earlier sittings (a resumed checkpoint).
  let before = 0;
  const ck = opts.checkpoint;
  let saved;
  try {
    saved = ck?.resumeInto(net.params, adam, total);
  } catch (e) {
    adam.dispose();
    throw e;
  }
  if (saved) {
    ({ step, history, validation, sinceBest, seconds: before } = saved.state);
    // A finished training (early-stopped) saved before its caller kept the result: nothing is left to train.
    stoppedEarly = saved.state.stoppedEarly === true;
    const b = saved.state.best;
    if (b) best = { miou: b.miou, step: b.step, weights: saved.best ?? net.params.snapshot() };
    else if (saved.best) disposeRecord(saved.best);
  }
  const meter = new ProgressMeter(opts.stage ?? 'unet', total, step, opts.onProgress);
  const t0 = performance.now();
  const seconds = () => before + (performance.now() - t0) / 1000;
  const validate = (at: number) => {
    if (!val) return;
    const m = imageSetMIOU(net, val, numClasses);
    validation.push([at, m]);
    opts.onMetrics?.(at, { val_mIOU: m });
    if (!best || m > best.miou) {
      if (best) disposeRecord(best.weights);
      best = { miou: m, step: at, weights: net.params.snapshot() };
      sinceBest = 0;
    } else sinceBest++;
  };
  let savedAt = step;
  const save = (at: number) => {
    if (!ck) return;
    const b = best as { miou: number; step: number; weights: Record<string, tf.Tensor> } | null;
    const state = { step: at, total, history, validation, best: b && { miou: b.miou, step: b.step }, sinceBest, seconds: seconds(), ...(stoppedEarly ? { stoppedEarly } : {}) };
    ck.saveFrom(state, net.params, adam, b && b.step !== at ? b.weights : null);
    savedAt = at;
  };
  try {
    for (; step < total && !stoppedEarly; step++) {
      if (opts.signal?.aborted) break;
      // Shuffled epochs without replacement (drop_last), like a DataLoader.
      const epoch = Math.floor(step / perEpoch);
      const order = Rng.derive(seed, 'unet-epoch', epoch).shuffle(Array.from({ length: train.size }, (_, i) => i));
      const pick = order.slice((step % perEpoch) * B, (step % perEpoch + 1) * B).map((i) => train.get(i));
      const x = inputTensor(pick.map((p) => p.rgba), side, net.arch.inChannels);
      const lab = new Int32Array(B * side * side);
      pick.forEach((p, b) => lab.set(p.labels, b * side * side));
      const y = tf.tensor3d(lab, [B, side, side], 'int32');
      const s = step;
      const { value, grads } = net.params.grads(() => tf.tidy(() => crossEntropyLoss(net.apply(x, { training: true, seed: Rng.derive(seed, 'drop', s).nextUint32() % 1e6 }), y)));
      adam.apply(grads);
      const loss = (await value.data())[0];
      tf.dispose([value, x, y, ...Object.values(grads)]);
      history.push(loss);
      opts.onMetrics?.(step + 1, { loss });
      meter.tick(step + 1, loss);
      if (val && cfg.evalEvery > 0 && (step + 1) % cfg.evalEvery === 0) {
        validate(step + 1);
        if (cfg.patience > 0 && sinceBest >= cfg.patience) {
          stoppedEarly = true;
          step++;
          break;
        }
        save(step + 1);
      }
      await new Promise<void>((r) => setImmediate(r));
    }
    // A stopped run scores nothing (its caller throws), so it spends no validation on a part-trained net.
    if (!opts.signal?.aborted && val && cfg.evalEvery > 0 && validation.at(-1)?.[0] !== step) validate(step);
    // The step a stop came at, or the finished training: a rerun goes on from there, or trains nothing.
    if (savedAt !== step) save(step);
  } catch (e) {
    // A failed step or save (a non-finite state is refused): nothing of this training outlives it.
    const held = best as { weights: Record<string, tf.Tensor> } | null;
    if (held) disposeRecord(held.weights);
    throw e;
  } finally {
    adam.dispose();
  }
  const b = best as { miou: number; step: number; weights: Record<string, tf.Tensor> } | null;
  if (b) {
    net.params.load(b.weights);
    disposeRecord(b.weights);
  }
  return {
    steps: step,
    history,
    validation,
    bestValMIOU: b?.miou ?? null,
    bestStep: b?.step ?? null,
    stoppedEarly,
    seconds: seconds(),
  };
}

export interface FewShotUnetResult {
  net: Unet2d;
  dropout: number;
  grid: { dropout: number; bestValMIOU: number | null; bestStep: number | null; steps: number; seconds: number }[];
  train: UnetTrainResult;
  /** Training seconds spent by earlier, stopped runs (journalled candidates, the saved part of a resumed one). */
  resumedSeconds: number;
}

/**
 * The 30-shot U-Net: one training run per dropout of the grid, each early-stopped on val mIOU; the best is kept.
 * With `journal`, finished candidates are taken from it and each new one is written to it (the search resumes at the
 * next candidate); a candidate cut short by `opts.signal` is not written, but its training is saved at every
 * validation and at the stop under `<journal>/unet-train/p<dropout>/` and goes on from there.
 */
export async function trainFewShotUnet(cfg: Unet2dConfig, train: ImageSet, val: ImageSet, numClasses: number, seed: number | string, opts: UnetTrainOptions & { journal?: UnetGridJournal<UnetTrainResult> } = {}): Promise<FewShotUnetResult> {
  const { journal, ...trainOpts } = opts;
  let best: { dropout: number; train: UnetTrainResult; net: Unet2d | null } | null = null;
  const grid: FewShotUnetResult['grid'] = [];
  let resumedSeconds = 0;
  const better = (r: UnetTrainResult) => !best || (r.bestValMIOU ?? -1) > (best.train.bestValMIOU ?? -1);
  for (const p of cfg.fewShot.dropoutGrid) {
    const done = journal?.candidates.find((c) => c.dropout === p);
    const r = done?.result ?? null;
    if (r) {
      resumedSeconds += r.seconds;
      grid.push({ dropout: p, bestValMIOU: r.bestValMIOU, bestStep: r.bestStep, steps: r.steps, seconds: r.seconds });
      if (better(r)) {
        best?.net?.dispose();
        best = { dropout: p, train: r, net: null };
      }
      continue;
    }
    const net = new Unet2d(unetArch(cfg, numClasses, p), seed);
    const ck = journal ? new NetTrainCheckpoint(join(journal.dir, 'unet-train', `p${p}`), { grid: journal.fingerprint, dropout: p }) : undefined;
    resumedSeconds += ck?.saved?.seconds ?? 0;
    const t = await trainUnet2d(net, cfg.fewShot, train, val, numClasses, `${seed}/fewshot`, {
      ...trainOpts,
      checkpoint: ck,
      stage: `unet-fewshot p=${p}`,
      onMetrics: opts.onMetrics ? (s, rec) => opts.onMetrics!(s, Object.fromEntries(Object.entries(rec).map(([k, v]) => [`p${p}_${k}`, v]))) : undefined,
    });
    grid.push({ dropout: p, bestValMIOU: t.bestValMIOU, bestStep: t.bestStep, steps: t.steps, seconds: t.seconds });
    const isBest = better(t);
    if (journal && !opts.signal?.aborted) {
      const weights = isBest ? net.params.snapshot() : undefined;
      try {
        journal.add({ dropout: p, result: t }, weights);
      } finally {
        if (weights) disposeRecord(weights);
      }
      ck?.remove();
    }
    if (isBest) {
      best?.net?.dispose();
      best = { dropout: p, train: t, net };
    } else net.dispose();
  }
  const b = best!;
  if (!b.net) {
    // The best candidate finished in an earlier run: its weights come from the journal.
    b.net = new Unet2d(unetArch(cfg, numClasses, b.dropout), seed);
    const w = journal!.bestWeights();
    try {
      b.net.params.load(w);
    } finally {
      disposeRecord(w);
    }
  }
  return { net: b.net, dropout: b.dropout, grid, train: b.train, resumedSeconds };
}

export interface UnetPredictorOptions {
  /** Image source per requested view; default the ground-truth RGB of the test view (the oracle). */
  images?: (viewPositions: number[], ctx: Parameters<Predictor>[2]) => Promise<Float32Array[]> | Float32Array[];
  /** Side of the net's input (default ctx.side). */
  side?: number;
}

/** Labels from the U-Net for every requested view; the oracle sees the GT RGBA of each test view. */
export function unetPredictor(net: Unet2d, opts: UnetPredictorOptions = {}): Predictor {
  return async (_inst, viewPositions, ctx) => {
    const side = opts.side ?? ctx.side;
    const images = opts.images
      ? await opts.images(viewPositions, ctx)
      : viewPositions.map((p) => loadView(ctx.split, ctx.position, p, side, { skipDepth: true, skipLabels: true }).rgba);
    const labels = predictLabels(net, images, side).map((l) => nearestResizeLabels(l, side, ctx.side));
    return { labels };
  };
}
