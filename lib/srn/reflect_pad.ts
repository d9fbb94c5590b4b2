/**
 * Reflection padding of an NHWC image with the right gradient. TF.js's MirrorPad gradient (tfjs-core 4.22,
 * gradients/MirrorPad_grad.ts) only slices the centre out of dy, so the gradient that reaches the mirrored border
 * copies is dropped; PyTorch's ReflectionPad2d adds it back onto the pixels it copied. Every reflection-padded conv of
 * the U-Nets trained with the truncated gradient until 2026-12-07 (found by the authors'-weights parity test; at a
 * 2×2 innermost level most of a layer's input gradient was lost).
 */
import * as tf from '@tensorflow/tfjs';

/**
 * In the fingerprint of every saved U-Net training (checkpoints, dropout-grid journals): one saved before this
 * gradient (version 1, TF.js's) is set aside rather than resumed.
 */
export const REFLECT_PAD_GRAD_VERSION = 2;

/** dy of a reflect pad (p0 before, p1 after) along `axis` → dx: the centre plus each mirrored border folded back. */
function unpadAxis(dy: tf.Tensor4D, axis: 1 | 2, p0: number, p1: number, n: number): tf.Tensor4D {
  if (p0 === 0 && p1 === 0) return dy;
  const size = (len: number) => dy.shape.map((s, d) => (d === axis ? len : s));
  const begin = (at: number) => dy.shape.map((_, d) => (d === axis ? at : 0));
  let dx = tf.slice(dy, begin(p0), size(n));
  const pads = (before: number, after: number) => dy.shape.map((_, d) => (d === axis ? [before, after] : [0, 0])) as [number, number][];
  // Pad position j < p0 copied x[p0 − j]; position p0 + n + k copied x[n − 2 − k].
  if (p0 > 0) dx = tf.add(dx, tf.pad(tf.reverse(tf.slice(dy, begin(0), size(p0)), axis), pads(1, n - 1 - p0)));
  if (p1 > 0) dx = tf.add(dx, tf.pad(tf.reverse(tf.slice(dy, begin(p0 + n), size(p1)), axis), pads(n - 1 - p1, 1)));
  return dx as tf.Tensor4D;
}

/** ReflectionPad2d((left, right, top, bottom)) of x [B, H, W, C]; each pad must be smaller than its side. */
export function reflectPad(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  if (Math.max(top, bottom) >= h || Math.max(left, right) >= w) throw new Error(`reflectPad: pads (${top}, ${bottom}, ${left}, ${right}) must be smaller than the image ${h}×${w}`);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    (args[1] as tf.GradSaveFunc)([]);
    return {
      value: tf.mirrorPad(args[0] as tf.Tensor4D, [[0, 0], [top, bottom], [left, right], [0, 0]], 'reflect'),
      gradFunc: (dy: tf.Tensor) => tf.tidy(() => unpadAxis(unpadAxis(dy as tf.Tensor4D, 1, top, bottom, h), 2, left, right, w)),
    };
  });
  return (f as (a: tf.Tensor) => tf.Tensor)(x) as tf.Tensor4D;
}
