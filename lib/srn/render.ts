/**
 * Rendering without gradients: any set of poses for a code → RGBA, labels (argmax of a head), depth and
 * surface points, in ray chunks so memory stays bounded; and latent interpolation along a camera path.
 */
import * as tf from '@tensorflow/tfjs';
import type { SegHeadKind } from '../config/types';
import type { Intrinsics, Mat4 } from '../geometry/cameras';
import { intrinsicsTensor, pixelGrid, poseTensor } from '../geometry/rays';
import type { PhiLayerWeights, SrnModel } from './model';

export interface RenderOptions {
  /** Image side S (the intrinsics are used as given: pass them at side S). */
  side: number;
  /** Rays per forward chunk (default 4096). */
  chunkRays?: number;
  /** Head for labels (argmax); omitted = no labels. */
  head?: SegHeadKind;
  /** Also return the S²×F features (default false). */
  features?: boolean;
  /** Called after each view. */
  onView?: (done: number, total: number) => void;
}

export interface RenderedView {
  /** S²·4 row-major, the pixel generator's linear output (targets live in [−1, 1]). */
  rgba: Float32Array;
  /** S² camera z-depths of the final march points. */
  depth: Float32Array;
  /** S²·3 world points. */
  points: Float32Array;
  /** S² argmax class ids, when a head was given. */
  labels?: Int32Array;
  /** S²·F features, when asked. */
  features?: Float32Array;
}

function codeTensor(model: SrnModel, code: ArrayLike<number> | tf.Tensor): tf.Tensor2D {
  const d = model.cfg.latentDim;
  if (code instanceof tf.Tensor) return code.reshape([1, d]) as tf.Tensor2D;
  if (code.length !== d) throw new Error(`render: code has ${code.length} numbers, the model's latent size is ${d}`);
  return tf.tensor2d(Array.from(code), [1, d]);
}

/** Runs the frozen SRN over one view in chunks; `each` receives every chunk's outputs inside a tidy. */
function marchChunks(
  model: SrnModel,
  weights: PhiLayerWeights[],
  pose: Mat4,
  k: Intrinsics,
  side: number,
  chunk: number,
  each: (start: number, out: { features: tf.Tensor3D; depth: tf.Tensor2D; points: tf.Tensor3D }) => void,
): void {
  const n = side * side;
  const grid = pixelGrid(side);
  const K = intrinsicsTensor([k]);
  const M = poseTensor([pose]);
  try {
    for (let s = 0; s < n; s += chunk) {
      const len = Math.min(chunk, n - s);
      tf.tidy(() => {
        const uv = grid.slice([s, 0], [len, 2]);
        const { points, depth } = model.raymarch(weights, { uv, intrinsics: K, cam2world: M });
        const features = model.phi(weights, points);
        each(s, { features, depth, points });
      });
    }
  } finally {
    tf.dispose([grid, K, M]);
  }
}

/** The S²×F feature image of one view (a tensor the caller owns). No tape: nothing here is differentiated. */
export function renderFeatures(model: SrnModel, code: ArrayLike<number> | tf.Tensor, pose: Mat4, k: Intrinsics, side: number, chunk = 4096): tf.Tensor2D {
  const F = model.cfg.phiWidth;
  const out = new Float32Array(side * side * F);
  const weights = tf.tidy(() => model.phiWeights(codeTensor(model, code)).flatMap((w) => [w.W, w.b]));
  const ws: PhiLayerWeights[] = [];
  for (let i = 0; i < weights.length; i += 2) ws.push({ W: weights[i] as tf.Tensor3D, b: weights[i + 1] as tf.Tensor3D });
  try {
    marchChunks(model, ws, pose, k, side, chunk, (s, o) => out.set(o.features.dataSync(), s * F));
  } finally {
    tf.dispose(weights);
  }
  return tf.tensor2d(out, [side * side, F]);
}

/** Renders every pose for one code. */
export function renderViews(model: SrnModel, code: ArrayLike<number> | tf.Tensor, poses: readonly Mat4[], intrinsics: Intrinsics, opts: RenderOptions): RenderedView[] {
  const side = opts.side;
  const n = side * side;
  const F = model.cfg.phiWidth;
  const C = model.cfg.rgbChannels;
  const chunk = opts.chunkRays ?? 4096;
  const head = opts.head ? model.head(opts.head) : undefined;
  const weights = tf.tidy(() => model.phiWeights(codeTensor(model, code)).flatMap((w) => [w.W, w.b]));
  const ws: PhiLayerWeights[] = [];
  for (let i = 0; i < weights.length; i += 2) ws.push({ W: weights[i] as tf.Tensor3D, b: weights[i + 1] as tf.Tensor3D });
  const views: RenderedView[] = [];
  try {
    for (const [vi, pose] of poses.entries()) {
      const v: RenderedView = { rgba: new Float32Array(n * C), depth: new Float32Array(n), points: new Float32Array(n * 3) };
      const wholeImage = head?.kind === 'unet' || opts.features;
      const feats = wholeImage ? new Float32Array(n * F) : undefined;
      if (head) v.labels = new Int32Array(n);
      marchChunks(model, ws, pose, intrinsics, side, chunk, (s, o) => {
        v.rgba.set(model.renderRgb(o.features).dataSync(), s * C);
        v.depth.set(o.depth.dataSync(), s);
        v.points.set(o.points.dataSync(), s * 3);
        if (feats) feats.set(o.features.dataSync(), s * F);
        if (head && head.kind !== 'unet') v.labels!.set(tf.argMax(head.apply(o.features), -1).dataSync(), s);
      });
      if (head?.kind === 'unet') {
        v.labels!.set(tf.tidy(() => tf.argMax(head.apply(tf.tensor3d(feats!, [1, n, F]), { side, training: false }), -1).dataSync()));
      }
      if (opts.features) v.features = feats;
      views.push(v);
      opts.onView?.(vi + 1, poses.length);
    }
  } finally {
    tf.dispose(weights);
  }
  return views;
}

/**
 * Latent interpolation along a camera path (reference §7.1): frame j of N uses
 * z = (1 − j/N)·a + (j/N)·b and pose j. Use `orbitPoses` from geometry/cameras for the reference path.
 */
export function interpolateCodes(model: SrnModel, codeA: ArrayLike<number>, codeB: ArrayLike<number>, poses: readonly Mat4[], intrinsics: Intrinsics, opts: RenderOptions): RenderedView[] {
  const n = poses.length;
  return poses.map((pose, j) => {
    const t = j / n;
    const z = Array.from(codeA, (a, i) => (1 - t) * a + t * codeB[i]);
    const [v] = renderViews(model, z, [pose], intrinsics, { ...opts, onView: undefined });
    opts.onView?.(j + 1, n);
    return v;
  });
}
