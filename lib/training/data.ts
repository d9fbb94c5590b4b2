/**
 * What the training stages consume: batches of whole posed images by global step (deterministic, so
 * resuming needs only the step), and lists of observed views for the probe and latent fitting.
 */
import * as tf from '@tensorflow/tfjs';
import type { LoadedView, SplitInfo, ViewBatch, ViewRef } from '../data/types';
import { ViewSampler } from '../data/sampler';
import { loadBatch, type ViewCache } from '../data/view_loader';
import { intrinsicsTensor, poseTensor } from '../geometry/rays';
import { Rng } from '../util/random';

/** A source of training batches: `batch(step, batchSize, side)` must be a pure function of its arguments. */
export interface BatchSource {
  /** Rows of the latent table this data addresses (max instance index + 1). */
  readonly numInstances: number;
  batch(step: number, batchSize: number, side: number): ViewBatch;
}

/** One posed image of an instance, already preprocessed at some side. */
export interface ObservedView {
  /** Latent-table row (the instance's full-split index). */
  instanceIndex: number;
  view: LoadedView;
  /** View index in its instance (informational). */
  viewIndex?: number;
}

/** Stacks observed views (same side) into a ViewBatch. */
export function batchFromViews(views: readonly ObservedView[]): ViewBatch {
  if (views.length === 0) throw new Error('batchFromViews: no views');
  const n = views[0].view.rgba.length / 4;
  const side = Math.round(Math.sqrt(n));
  const rgba = new Float32Array(views.length * n * 4);
  views.forEach((v, i) => {
    if (v.view.rgba.length !== n * 4) throw new Error(`batchFromViews: view ${i} has ${v.view.rgba.length / 4} pixels, expected ${n}`);
    rgba.set(v.view.rgba, i * n * 4);
  });
  const batch: ViewBatch = {
    instanceIndex: tf.tensor1d(views.map((v) => v.instanceIndex), 'int32'),
    instancePositions: views.map((v) => v.instanceIndex),
    viewIndex: views.map((v, i) => v.viewIndex ?? i),
    rgba: tf.tensor3d(rgba, [views.length, n, 4]),
    cam2world: poseTensor(views.map((v) => v.view.pose)),
    intrinsics: intrinsicsTensor(views.map((v) => v.view.intrinsics)),
    side,
  };
  if (views.every((v) => v.view.labels)) {
    const labels = new Int32Array(views.length * n);
    views.forEach((v, i) => labels.set(v.view.labels!, i * n));
    batch.labels = tf.tensor2d(labels, [views.length, n], 'int32');
  }
  return batch;
}

/** Batches drawn from in-memory views (all at one side): shuffled epochs, seeded per epoch. */
export function memorySource(views: readonly ObservedView[], seed: number | string = 0): BatchSource {
  const refs: ViewRef[] = views.map((_, i) => ({ instance: i, view: 0 }));
  const samplers = new Map<number, ViewSampler>();
  return {
    numInstances: Math.max(...views.map((v) => v.instanceIndex)) + 1,
    batch(step, batchSize, side) {
      if (views[0].view.rgba.length !== side * side * 4) {
        throw new Error(`memorySource: views are ${Math.sqrt(views[0].view.rgba.length / 4)}², requested side ${side}`);
      }
      let s = samplers.get(batchSize);
      if (!s) samplers.set(batchSize, (s = new ViewSampler(refs, { batchSize: Math.min(batchSize, refs.length), seed })));
      return batchFromViews(s.at(step).refs.map((r) => views[r.instance]));
    },
  };
}

/** Batches of a split on disk through the data loader (shuffled epochs over all (instance, view) pairs). */
export function splitSource(info: SplitInfo, opts: { seed?: number | string; cache?: ViewCache; skipLabels?: boolean } = {}): BatchSource {
  const samplers = new Map<number, ViewSampler>();
  return {
    numInstances: Math.max(...info.instances.map((i) => i.index)) + 1,
    batch(step, batchSize, side) {
      let s = samplers.get(batchSize);
      if (!s) samplers.set(batchSize, (s = new ViewSampler(info, { batchSize, seed: opts.seed ?? 0 })));
      return loadBatch(info, s.at(step).refs, side, { cache: opts.cache, skipLabels: opts.skipLabels, skipDepth: true });
    },
  };
}

/** R distinct random pixel indices per image, [B, R] int32, drawn from `rng` (host side). */
export function sampleRayIndices(rng: Rng | readonly Rng[], batch: number, pixels: number, rays: number): Int32Array {
  if (Array.isArray(rng) && rng.length !== batch) throw new Error(`sampleRayIndices: ${rng.length} generators for ${batch} images`);
  const out = new Int32Array(batch * rays);
  const idx = new Int32Array(pixels);
  for (let b = 0; b < batch; b++) {
    const r = Array.isArray(rng) ? (rng as readonly Rng[])[b] : (rng as Rng);
    for (let i = 0; i < pixels; i++) idx[i] = i;
    for (let i = 0; i < rays; i++) {
      const j = i + Math.floor(r.next() * (pixels - i));
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
      out[b * rays + i] = idx[i];
    }
  }
  return out;
}
