/**
 * Asynchronous twins of the training step, the 64² render and the single-view latent fit, for backends that
 * cannot read tensors synchronously (WebGPU in Node, lib/backend/webgpu.ts): same model code, same losses and
 * optimisers as lib/training/step.ts, lib/srn/render.ts and fitLatentCodes, but every read is `await data()`.
 * Kept to what the GPU check and the webgpu tests need: RGB, latent-prior and depth losses, no segmentation head.
 */
import * as tf from '@tensorflow/tfjs';
import type { LossWeights } from '../lib/config/types';
import type { ViewBatch } from '../lib/data/types';
import type { Intrinsics, Mat4 } from '../lib/geometry/cameras';
import { intrinsicsTensor, pixelGrid, poseTensor } from '../lib/geometry/rays';
import { LatentTable } from '../lib/latent/table';
import { depthLoss, imageLoss, latentLoss, weightedTotal } from '../lib/losses/losses';
import type { PhiLayerWeights, SrnModel } from '../lib/srn/model';
import { SparseAdam, type DenseAdam } from '../lib/training/adam';
import { batchFromViews, sampleRayIndices, type ObservedView } from '../lib/training/data';
import type { StepRecord } from '../lib/training/step';
import type { AdamConfig } from '../lib/config/types';
import { Rng } from '../lib/util/random';

export interface AsyncStepSpec {
  model: SrnModel;
  batch: ViewBatch;
  weights: LossWeights;
  dense?: { adam: DenseAdam; names: readonly string[] };
  /** As trainStep's: the rows train when the trainer's SparseAdam over `table` is given. */
  latent: { table: LatentTable; rows: readonly number[]; adam?: SparseAdam };
  raysPerImage: number | null;
  rng: Rng;
}

export interface AsyncStepResult extends StepRecord {
  /** Gradients by parameter name (and 'z' for the codes), read back when `keepGradients` is set. */
  gradients?: Record<string, Float32Array>;
}

/** One optimisation step like trainStep (lib/training/step.ts), reading only asynchronously. */
export async function trainStepAsync(spec: AsyncStepSpec, keepGradients = false): Promise<AsyncStepResult> {
  const t0 = performance.now();
  const { model, batch, weights: w } = spec;
  if (w.ce !== 0) throw new Error('trainStepAsync: the cross-entropy loss needs a segmentation head, which this step does not take');
  const latentAdam = spec.latent.adam;
  if (latentAdam && latentAdam.table !== spec.latent.table) throw new Error('trainStepAsync: the latent SparseAdam belongs to another table');
  const n = batch.side * batch.side;
  const b = batch.rgba.shape[0];
  const grid = pixelGrid(batch.side);
  let uv: tf.Tensor2D | tf.Tensor3D = grid;
  let rgba: tf.Tensor3D = batch.rgba;
  if (spec.raysPerImage !== null && spec.raysPerImage < n) {
    const idx = tf.tensor2d(sampleRayIndices(spec.rng, b, n, spec.raysPerImage), [b, spec.raysPerImage], 'int32');
    uv = tf.gather(grid, idx) as unknown as tf.Tensor3D;
    rgba = tf.gather(batch.rgba, idx, 1, 1) as tf.Tensor3D;
    tf.dispose([grid, idx]);
  }
  const zInit = spec.latent.table.rows(spec.latent.rows);
  const zVar = latentAdam ? tf.variable(zInit, true) : undefined;
  const z = (zVar ?? zInit) as tf.Tensor2D;
  const byTfName = new Map<string, string>();
  const varList: tf.Variable[] = [];
  for (const name of spec.dense?.names ?? []) {
    const v = model.params.get(name)?.variable;
    if (!v) throw new Error(`trainStepAsync: unknown parameter '${name}'`);
    byTfName.set(v.name, name);
    varList.push(v);
  }
  if (zVar) varList.push(zVar);
  if (varList.length === 0) throw new Error('trainStepAsync: nothing to train');

  const { value, grads } = tf.variableGrads(() => {
    const out = model.forward(z, { uv, intrinsics: batch.intrinsics, cam2world: batch.cam2world }, { rgb: w.img !== 0 });
    const terms: Record<string, tf.Scalar> = {};
    if (w.img !== 0) terms.img = imageLoss(out.rgba, rgba);
    if (w.latent !== 0) terms.latent = latentLoss(z);
    if (w.depth !== 0) terms.depth = depthLoss(out.depth);
    return weightedTotal(terms, w);
  }, varList);

  let gradients: Record<string, Float32Array> | undefined;
  if (keepGradients) {
    gradients = {};
    for (const [tfName, g] of Object.entries(grads)) gradients[byTfName.get(tfName) ?? 'z'] = (await g.data()) as Float32Array;
  }
  if (spec.dense) {
    const named: Record<string, tf.Tensor> = {};
    for (const [tfName, g] of Object.entries(grads)) {
      const name = byTfName.get(tfName);
      if (name) named[name] = g;
    }
    spec.dense.adam.apply(named);
  }
  if (zVar && latentAdam) {
    const g = grads[zVar.name];
    latentAdam.apply(spec.latent.rows, g ? ((await g.data()) as Float32Array) : new Float32Array(zVar.size));
  }
  const loss = (await value.data())[0];
  tf.dispose([value, ...Object.values(grads), zInit, uv, rgba === batch.rgba ? [] : rgba].flat());
  if (zVar) zVar.dispose();
  const rec: AsyncStepResult = { loss, seconds: (performance.now() - t0) / 1000 };
  if (gradients) rec.gradients = gradients;
  return rec;
}

/** RGB of one view [side², C] (forward only: the hypernet once, then chunks of rays), read asynchronously; cf. renderViews. */
export async function renderRgbAsync(model: SrnModel, code: Float32Array, cam2world: Mat4, k: Intrinsics, side: number, chunkRays: number): Promise<Float32Array> {
  const n = side * side;
  const C = model.cfg.rgbChannels;
  const out = new Float32Array(n * C);
  const pose = poseTensor([cam2world]);
  const intr = intrinsicsTensor([k]);
  const grid = pixelGrid(side);
  // As renderViews: tidy returns the weights as a flat list, regrouped per layer.
  const flat = tf.tidy(() => model.phiWeights(tf.tensor2d(code, [1, code.length])).flatMap((w) => [w.W, w.b]));
  const weights: PhiLayerWeights[] = [];
  for (let i = 0; i < flat.length; i += 2) weights.push({ W: flat[i] as tf.Tensor3D, b: flat[i + 1] as tf.Tensor3D });
  try {
    for (let s = 0; s < n; s += chunkRays) {
      const e = Math.min(n, s + chunkRays);
      const rgb = tf.tidy(() => {
        const uv = grid.slice([s, 0], [e - s, 2]).expandDims(0) as tf.Tensor3D;
        const { points } = model.raymarch(weights, { uv, intrinsics: intr, cam2world: pose });
        return model.renderRgb(model.phi(weights, points));
      });
      out.set((await rgb.data()) as Float32Array, s * C);
      rgb.dispose();
    }
  } finally {
    tf.dispose([pose, intr, grid, ...flat]);
  }
  return out;
}

/** Fits one object's code from its views (frozen network), `steps` async steps; cf. fitLatentCodes. */
export async function fitLatentAsync(
  model: SrnModel, views: readonly ObservedView[], o: { steps: number; raysPerImage: number; initStd: number; adam: AdamConfig; weights: LossWeights; seed: number | string },
): Promise<{ code: Float32Array; losses: number[]; seconds: number }> {
  const t0 = performance.now();
  const table = new LatentTable(1, model.cfg.latentDim, { std: o.initStd, rng: Rng.derive(o.seed, 'latentFit', 0) });
  const adam = new SparseAdam(table, o.adam);
  const losses: number[] = [];
  const batch = batchFromViews(views.slice(0, 1));
  try {
    for (let step = 0; step < o.steps; step++) {
      const rec = await trainStepAsync({
        model, batch, weights: o.weights, latent: { table, rows: [0], adam },
        raysPerImage: o.raysPerImage, rng: Rng.derive(o.seed, 'latentFit', 0, 'rays', step),
      });
      losses.push(rec.loss);
    }
  } finally {
    tf.dispose([batch.instanceIndex, batch.rgba, batch.cam2world, batch.intrinsics]);
    if (batch.labels) batch.labels.dispose();
  }
  return { code: table.row(0), losses, seconds: (performance.now() - t0) / 1000 };
}
