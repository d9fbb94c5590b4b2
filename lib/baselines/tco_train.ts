/**
 * TCO pre-training (random (input, target) view pairs of one training instance, RGB [+ depth] regression),
 * the TCO+linear probe (frozen net; one 5×5 stride-2 transpose conv 32→C with bias on the d1_0 features,
 * 8·CE on the 30 labelled images), and the evaluation predictor (one posed input image → labels for
 * every requested target pose). spec baselines.md §B1–B2, reference.md §8.
 */
import * as tf from '@tensorflow/tfjs';
import { loadView, type ViewCache } from '../data/view_loader';
import type { LoadedView, SplitInfo } from '../data/types';
import type { Predictor } from '../eval/runner';
import { DenseAdam } from '../training/adam';
import { type ProgressCallback, ProgressMeter } from '../training/progress';
import { Rng } from '../util/random';
import type { TcoConfig } from './config';
import { crossEntropyLoss } from '../losses/losses';
import { convTranspose2x, logitsToLabels, ParamSet, uniformTensor } from './layers';
import { poseDim, poseVector, TCO_FEATURE_CHANNELS, tcoDepth, tcoImage, TcoNet, type TcoArch } from './tco';
import type { NetTrainCheckpoint } from './net_train_checkpoint';
import { nearestResizeLabels } from './util';

export function tcoArch(cfg: TcoConfig): TcoArch {
  return {
    side: cfg.side,
    inChannels: cfg.inChannels,
    outChannels: cfg.depth ? 4 : 3,
    fcWidth: cfg.fcWidth,
    poseWidth: cfg.poseWidth,
    poseDim: poseDim(cfg.poseEncoding),
  };
}

export interface LoopOptions {
  onMetrics?: (step: number, record: Record<string, number>) => void;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /** Stop after this many steps (tests, time caps). */
  maxSteps?: number;
  cache?: ViewCache;
  /**
   * Pre-training only: saves the training every TCO_SAVE_EVERY steps, at a stop and at its last and, when it holds a saved state, goes on from it
   * (the result is the uninterrupted run's; `seconds` counts every sitting). The caller removes it once the result is kept.
   */
  checkpoint?: NetTrainCheckpoint;
  /** Steps between saves (default TCO_SAVE_EVERY). */
  saveEvery?: number;
}

/** Steps between saves of TCO's pre-training (and at its end): ~2.5 min at 64² on 2 cores, a few seconds' write of its weights and moments. */
export const TCO_SAVE_EVERY = 250;

export interface LoopResult {
  steps: number;
  history: number[];
  seconds: number;
  aborted: boolean;
}

const yieldLoop = () => new Promise<void>((r) => setImmediate(r));

/** Input tensors of a batch of (input view, target pose) pairs. */
function inputBatch(cfg: TcoConfig, inputs: LoadedView[], targets: LoadedView[]): { x: tf.Tensor4D; pose: tf.Tensor2D } {
  const S = cfg.side;
  const B = inputs.length;
  const img = new Float32Array(B * S * S * cfg.inChannels);
  inputs.forEach((v, i) => img.set(tcoImage(v.rgba, cfg.inChannels), i * S * S * cfg.inChannels));
  const pd = poseDim(cfg.poseEncoding);
  const pose = new Float32Array(B * pd);
  targets.forEach((v, i) => pose.set(poseVector(v.pose, cfg.poseEncoding, cfg.rho, cfg.upAxis), i * pd));
  return { x: tf.tensor4d(img, [B, S, S, cfg.inChannels]), pose: tf.tensor2d(pose, [B, pd]) };
}

/** Per-pixel loss of mv3d: mean_{b,px} Σ_c (ŷ−y)² over RGB [+ depthWeight · mean |d̂−d|]. */
export function tcoLoss(cfg: TcoConfig, pred: tf.Tensor4D, rgb: tf.Tensor4D, depth?: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => {
    const c = pred.shape[3];
    const rgbPred = c > 3 ? pred.slice([0, 0, 0, 0], [-1, -1, -1, 3]) : pred;
    let loss = tf.mean(tf.sum(tf.square(tf.sub(rgbPred, rgb)), 3));
    if (depth && c > 3) loss = tf.add(loss, tf.mul(cfg.depthWeight, tf.mean(tf.abs(tf.sub(pred.slice([0, 0, 0, 3], [-1, -1, -1, 1]), depth)))));
    return loss as tf.Scalar;
  });
}

/** Pre-trains on random (input, target) view pairs of the split's instances (steps from cfg.pretrain). */
export async function pretrainTco(cfg: TcoConfig, net: TcoNet, split: SplitInfo, seed: number | string, opts: LoopOptions = {}): Promise<LoopResult> {
  const { steps, batchSize } = cfg.pretrain;
  const total = Math.min(steps, opts.maxSteps ?? steps);
  const adam = new DenseAdam(net.params.trainable, cfg.pretrain.adam);
  const S = cfg.side;
  let history: number[] = [];
  let step = 0;
  // Seconds of earlier sittings (a resumed checkpoint).
  let before = 0;
  const ck = opts.checkpoint;
  try {
    const saved = ck?.resumeInto(net.params, adam, total);
    if (saved) ({ step, history, seconds: before } = saved.state);
  } catch (e) {
    adam.dispose();
    throw e;
  }
  const meter = new ProgressMeter('tco-pretrain', total, step, opts.onProgress);
  const t0 = performance.now();
  const seconds = () => before + (performance.now() - t0) / 1000;
  try {
    for (; step < total; step++) {
      if (opts.signal?.aborted) break;
      const rng = Rng.derive(seed, 'tco-pretrain', step);
      const inputs: LoadedView[] = [];
      const targets: LoadedView[] = [];
      for (let b = 0; b < batchSize; b++) {
        const ip = rng.int(0, split.instances.length);
        const nv = split.instances[ip].views.length;
        const a = rng.int(0, nv);
        const t = nv > 1 ? (a + rng.int(1, nv)) % nv : a;
        inputs.push(loadView(split, ip, a, S, { cache: opts.cache, skipLabels: true, skipDepth: true }));
        targets.push(loadView(split, ip, t, S, { cache: opts.cache, skipLabels: true, skipDepth: !cfg.depth }));
      }
      if (cfg.depth && targets.some((v) => !v.depth)) throw new Error(`pretrainTco: tco.depth is set but ${split.splitDir ?? split.className} has views without depth/ maps`);
      const { x, pose } = inputBatch(cfg, inputs, targets);
      const rgb = tf.tensor4d(concatImages(targets.map((v) => tcoImage(v.rgba, 3))), [batchSize, S, S, 3]);
      const depth = cfg.depth ? tf.tensor4d(concatImages(targets.map((v) => tcoDepth(v.depth!, cfg.depthMax))), [batchSize, S, S, 1]) : undefined;
      const { value, grads } = net.params.grads(() => tf.tidy(() => tcoLoss(cfg, net.apply(x, pose).image, rgb, depth)));
      adam.apply(grads);
      const loss = (await value.data())[0];
      tf.dispose([value, x, pose, rgb, ...(depth ? [depth] : []), ...Object.values(grads)]);
      history.push(loss);
      if ((step + 1) % cfg.pretrain.logEvery === 0 || step + 1 === total) opts.onMetrics?.(step + 1, { loss });
      meter.tick(step + 1, loss);
      // The last step too, so that a run stopped in its probe or evaluation keeps the whole pre-training.
      if (ck && ((step + 1) % (opts.saveEvery ?? TCO_SAVE_EVERY) === 0 || step + 1 === total)) {
        ck.saveFrom({ step: step + 1, total, history, validation: [], best: null, sinceBest: 0, seconds: seconds() }, net.params, adam, null);
      }
      await yieldLoop();
    }
    // A Ctrl-C keeps the steps since the last save as well.
    if (ck && step < total && step > (ck.saved?.step ?? 0)) ck.saveFrom({ step, total, history, validation: [], best: null, sinceBest: 0, seconds: seconds() }, net.params, adam, null);
  } finally {
    adam.dispose();
  }
  return { steps: step, history, seconds: seconds(), aborted: step < total };
}

function concatImages(arrs: Float32Array[]): Float32Array {
  const n = arrs.reduce((s, a) => s + a.length, 0);
  const out = new Float32Array(n);
  let o = 0;
  for (const a of arrs) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

/** The probe head: one transpose conv 5×5 s2, 32 → C, with bias (PyTorch default init, fan_in = C·25). */
export class TcoProbeHead {
  readonly params = new ParamSet();
  constructor(readonly numClasses: number, seed: number | string) {
    const rng = Rng.derive(seed, 'tco-probe-init');
    const bound = 1 / Math.sqrt(numClasses * 25);
    this.params.add('probe.W', uniformTensor(rng, [5, 5, TCO_FEATURE_CHANNELS, numClasses], bound));
    this.params.add('probe.b', uniformTensor(rng, [numClasses], bound));
  }

  /** features [B,S/2,S/2,32] → logits [B,S,S,C]. */
  apply(features: tf.Tensor4D): tf.Tensor4D {
    const p = this.params.trainable;
    return tf.add(convTranspose2x(features, p.get('probe.W') as tf.Tensor4D), p.get('probe.b')!) as tf.Tensor4D;
  }

  dispose(): void {
    this.params.dispose();
  }
}

/** A labelled target image for the probe: (instance position, view position) in `split`. */
export interface LabelledRef {
  instance: number;
  view: number;
}

export interface TcoProbeResult extends LoopResult {
  head: TcoProbeHead;
  /** The input view positions used per target (for the record). */
  inputs: number[][];
  featureSeconds: number;
}

/**
 * Trains the probe on frozen-TCO features of the labelled targets. Each target gets `inputsPerTarget`
 * input views ('other-view': random other views of the same instance, any view of it, labelled or not;
 * 'same-view': the target itself); features are computed once and cached.
 */
export async function fitTcoProbe(cfg: TcoConfig, net: TcoNet, split: SplitInfo, labelled: readonly LabelledRef[], seed: number | string, opts: LoopOptions = {}): Promise<TcoProbeResult> {
  if (labelled.length === 0) throw new Error('fitTcoProbe: no labelled images');
  const S = cfg.side;
  const C = split.numClasses;
  const rng = Rng.derive(seed, 'tco-probe-inputs');
  const tf0 = performance.now();
  const inputs: number[][] = labelled.map((r) => {
    const nv = split.instances[r.instance].views.length;
    if (cfg.probe.input === 'same-view' || nv < 2) return [r.view];
    return Array.from({ length: cfg.probe.inputsPerTarget }, () => (r.view + rng.int(1, nv)) % nv);
  });
  const feats: tf.Tensor4D[] = [];
  const owner: number[] = [];
  const labels = new Int32Array(labelled.length * S * S);
  labelled.forEach((r, i) => {
    const target = loadView(split, r.instance, r.view, S, { cache: opts.cache, skipDepth: true });
    if (!target.labels) throw new Error(`fitTcoProbe: ${split.instances[r.instance].dir} view ${r.view} has no seg/ labels`);
    labels.set(target.labels, i * S * S);
    const ins = inputs[i].map((v) => loadView(split, r.instance, v, S, { cache: opts.cache, skipDepth: true, skipLabels: true }));
    const { x, pose } = inputBatch(cfg, ins, ins.map(() => target));
    feats.push(tf.tidy(() => net.apply(x, pose).features));
    tf.dispose([x, pose]);
    for (let k = 0; k < ins.length; k++) owner.push(i);
  });
  const featureSeconds = (performance.now() - tf0) / 1000;
  const all = tf.concat(feats) as tf.Tensor4D;
  tf.dispose(feats);
  const labelT = tf.tensor3d(labels, [labelled.length, S, S], 'int32');

  const head = new TcoProbeHead(C, seed);
  const adam = new DenseAdam(head.params.trainable, cfg.probe.adam);
  const total = Math.min(cfg.probe.steps, opts.maxSteps ?? cfg.probe.steps);
  const meter = new ProgressMeter('tco-probe', total, 0, opts.onProgress);
  const history: number[] = [];
  const t0 = performance.now();
  let step = 0;
  try {
    for (; step < total; step++) {
      if (opts.signal?.aborted) break;
      const r = Rng.derive(seed, 'tco-probe', step);
      const B = Math.min(cfg.probe.batchSize, owner.length);
      const pick = r.shuffle(owner.map((_, k) => k)).slice(0, B);
      const idx = tf.tensor1d(pick, 'int32');
      const lidx = tf.tensor1d(pick.map((k) => owner[k]), 'int32');
      const { value, grads } = head.params.grads(() =>
        tf.tidy(() => tf.mul(cfg.probe.ceWeight, crossEntropyLoss(head.apply(tf.gather(all, idx)), tf.gather(labelT, lidx))) as tf.Scalar),
      );
      adam.apply(grads);
      const loss = (await value.data())[0];
      tf.dispose([value, idx, lidx, ...Object.values(grads)]);
      history.push(loss);
      opts.onMetrics?.(step + 1, { loss });
      meter.tick(step + 1, loss);
      if (step % 20 === 0) await yieldLoop();
    }
  } finally {
    adam.dispose();
    tf.dispose([all, labelT]);
  }
  return { head, inputs, featureSeconds, steps: step, history, seconds: (performance.now() - t0) / 1000, aborted: step < total };
}

export interface TcoPredictorOptions {
  /** Target poses per forward pass (default 32). */
  chunk?: number;
  onPredicted?: (info: { position: number; seconds: number }) => void;
}

/**
 * The evaluation predictor: the protocol's first observed view is the single input image; every requested
 * view's pose is a target; labels = argmax of the probe head (RGB prediction returned too, for PSNR).
 */
export function tcoPredictor(cfg: TcoConfig, net: TcoNet, head: TcoProbeHead, opts: TcoPredictorOptions = {}): Predictor {
  const chunk = opts.chunk ?? 32;
  return (_inst, viewPositions, ctx) => {
    const t0 = performance.now();
    const S = cfg.side;
    const input = loadView(ctx.split, ctx.position, ctx.observedViews[0], S, { skipDepth: true, skipLabels: true });
    const labels: Int32Array[] = [];
    const rgba: Float32Array[] = [];
    for (let s = 0; s < viewPositions.length; s += chunk) {
      const part = viewPositions.slice(s, s + chunk);
      const targets = part.map((p) => loadView(ctx.split, ctx.position, p, S, { skipDepth: true, skipLabels: true }));
      const { x, pose } = inputBatch(cfg, targets.map(() => input), targets);
      const [logits, image] = tf.tidy(() => {
        const out = net.apply(x, pose);
        return [head.apply(out.features), out.image];
      });
      labels.push(...logitsToLabels(logits).map((l) => nearestResizeLabels(l, S, ctx.side)));
      const img = image.dataSync();
      const oc = image.shape[3];
      for (let b = 0; b < part.length; b++) rgba.push(tcoRgbaAt(img, b, S, oc, ctx.side));
      tf.dispose([x, pose, logits, image]);
    }
    opts.onPredicted?.({ position: ctx.position, seconds: (performance.now() - t0) / 1000 });
    return { labels, rgba };
  };
}

/** Image b of the net's output (±0.75 scale) as our RGBA in [−1, 1] at `side` (alpha 1: backgrounds are white). */
function tcoRgbaAt(img: ArrayLike<number>, b: number, S: number, oc: number, side: number): Float32Array {
  const out = new Float32Array(side * side * 4);
  for (let y = 0; y < side; y++) {
    const sy = Math.floor((y * S) / side);
    for (let x = 0; x < side; x++) {
      const sx = Math.floor((x * S) / side);
      const src = ((b * S + sy) * S + sx) * oc;
      const dst = (y * side + x) * 4;
      for (let c = 0; c < 3; c++) out[dst + c] = Math.max(-1, Math.min(1, img[src + c] / 0.75));
      out[dst + 3] = 1;
    }
  }
  return out;
}
