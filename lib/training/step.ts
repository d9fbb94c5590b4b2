/**
 * One optimisation step shared by every stage: forward on a batch (optionally a random ray subset per
 * image), the weighted losses of spec/reference.md §3, gradients only for the trainable parts (dense
 * variables by name, and/or latent-table rows), Adam / SparseAdam updates. Frozen parts receive no
 * gradient at all: they are simply not in the list handed to tf.variableGrads.
 */
import * as tf from '@tensorflow/tfjs';
import type { LossWeights } from '../config/types';
import type { ViewBatch } from '../data/types';
import { pixelGrid } from '../geometry/rays';
import type { LatentTable } from '../latent/table';
import { crossEntropyLoss, depthLoss, imageLoss, latentLoss, weightedTotal } from '../losses/losses';
import type { SegHead } from '../srn/heads';
import type { SrnModel } from '../srn/model';
import { Rng } from '../util/random';
import type { DenseAdam, SparseAdam } from './adam';
import { sampleRayIndices } from './data';

export interface StepRecord {
  /** Weighted total loss. */
  loss: number;
  img?: number;
  ce?: number;
  latent?: number;
  depth?: number;
  /** Wall time of the step. */
  seconds: number;
  /** True when `skipNonFinite` dropped the step: its loss or gradients were not finite, nothing was updated. */
  skipped?: boolean;
}

export interface StepSpec {
  model: SrnModel;
  batch: ViewBatch;
  weights: LossWeights;
  /** Trainable dense variables (names in the model's ParamStore) and their optimiser. */
  dense?: { adam: DenseAdam; names: readonly string[] };
  /** The batch's rows of a latent table; they train when the trainer's SparseAdam over that table is given. */
  latent: { table: LatentTable; rows: readonly number[]; adam?: SparseAdam };
  head?: SegHead;
  headTraining?: boolean;
  /** Random rays per image (null = all pixels). */
  raysPerImage: number | null;
  /** Draws the ray subset: one generator for the batch, or one per image (images of one object share theirs). */
  rng: Rng | readonly Rng[];
  /** Check the loss and gradients before updating and skip the update when any is NaN/±Inf (default false). */
  skipNonFinite?: boolean;
}

/** Builds the per-step rays and targets (uv, rgba, labels), subsetting pixels when asked. */
function stepRays(batch: ViewBatch, raysPerImage: number | null, rng: Rng | readonly Rng[]) {
  const n = batch.side * batch.side;
  const b = batch.rgba.shape[0];
  const grid = pixelGrid(batch.side);
  if (raysPerImage === null || raysPerImage >= n) {
    return { uv: grid as tf.Tensor2D | tf.Tensor3D, rgba: batch.rgba.clone(), labels: batch.labels?.clone(), whole: true };
  }
  const idx = tf.tensor2d(sampleRayIndices(rng, b, n, raysPerImage), [b, raysPerImage], 'int32');
  const out = {
    uv: tf.gather(grid, idx) as unknown as tf.Tensor3D,
    rgba: tf.gather(batch.rgba, idx, 1, 1) as tf.Tensor3D,
    labels: batch.labels ? (tf.gather(batch.labels, idx, 1, 1) as tf.Tensor2D) : undefined,
    whole: false,
  };
  tf.dispose([grid, idx]);
  return out;
}

/** True when every gradient is finite (one fused reduction: a NaN or ±Inf anywhere makes the sum non-finite). */
function gradsFinite(grads: tf.Tensor[]): boolean {
  if (grads.length === 0) return true;
  const s = tf.tidy(() => tf.addN(grads.map((g) => tf.sum(tf.abs(g)))));
  const v = s.dataSync()[0];
  s.dispose();
  return Number.isFinite(v);
}

export function trainStep(spec: StepSpec): StepRecord {
  const t0 = Date.now();
  const { model, batch, weights: w } = spec;
  const latentAdam = spec.latent.adam;
  if (latentAdam && latentAdam.table !== spec.latent.table) throw new Error('trainStep: the latent SparseAdam belongs to another table');
  const rays = stepRays(batch, spec.raysPerImage, spec.rng);
  const needCe = w.ce !== 0;
  if (needCe && !rays.labels) throw new Error('trainStep: the cross-entropy weight is non-zero but the batch has no labels');
  if (needCe && !spec.head) throw new Error('trainStep: the cross-entropy weight is non-zero but no segmentation head was given');
  if (needCe && spec.head!.kind === 'unet' && !rays.whole) throw new Error('trainStep: the U-Net head needs whole images (raysPerImage must be null)');

  const zInit = spec.latent.table.rows(spec.latent.rows);
  const zVar = latentAdam ? tf.variable(zInit, true) : undefined;
  const z = (zVar ?? zInit) as tf.Tensor2D;
  const byTfName = new Map<string, string>();
  const varList: tf.Variable[] = [];
  for (const name of spec.dense?.names ?? []) {
    const v = model.params.get(name)?.variable;
    if (!v) throw new Error(`trainStep: unknown parameter '${name}'`);
    byTfName.set(v.name, name);
    varList.push(v);
  }
  if (zVar) varList.push(zVar);
  if (varList.length === 0) throw new Error('trainStep: nothing to train');

  const parts: Record<string, tf.Scalar> = {};
  const { value, grads } = tf.variableGrads(() => {
    const out = model.forward(z, { uv: rays.uv, intrinsics: batch.intrinsics, cam2world: batch.cam2world }, { rgb: w.img !== 0 });
    const terms: Record<string, tf.Scalar> = {};
    if (w.img !== 0) terms.img = imageLoss(out.rgba, rays.rgba);
    if (needCe) terms.ce = crossEntropyLoss(spec.head!.apply(out.features, { side: batch.side, training: spec.headTraining ?? true }), rays.labels!);
    if (w.latent !== 0) terms.latent = latentLoss(z);
    if (w.depth !== 0) terms.depth = depthLoss(out.depth);
    for (const [k, t] of Object.entries(terms)) parts[k] = tf.keep(t);
    return weightedTotal(terms, w);
  }, varList);

  // One extra sync only in skip mode: the default path reads the loss after the updates, as before.
  const skip = spec.skipNonFinite === true && !(Number.isFinite(value.dataSync()[0]) && gradsFinite(Object.values(grads)));
  if (spec.dense && !skip) {
    const named: Record<string, tf.Tensor> = {};
    for (const [tfName, g] of Object.entries(grads)) {
      const n = byTfName.get(tfName);
      if (n) named[n] = g;
    }
    spec.dense.adam.apply(named);
  }
  if (zVar && latentAdam && !skip) {
    const g = grads[zVar.name];
    latentAdam.apply(spec.latent.rows, g ? g.dataSync() : new Float32Array(zVar.size));
  }
  const rec: StepRecord = { loss: value.dataSync()[0], seconds: 0, ...(skip ? { skipped: true } : {}) };
  for (const [k, t] of Object.entries(parts)) (rec as unknown as Record<string, number>)[k] = t.dataSync()[0];
  tf.dispose([value, ...Object.values(grads), ...Object.values(parts), zInit, rays.uv, rays.rgba]);
  if (rays.labels) rays.labels.dispose();
  if (zVar) zVar.dispose();
  rec.seconds = (Date.now() - t0) / 1000;
  return rec;
}
