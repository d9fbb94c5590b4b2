/**
 * Building blocks of the baseline networks (spec baselines.md §B5), NHWC. Every convolution goes
 * through `conv2dValid` of lib/srn/unet.ts (its own filter gradient: wasm has no Conv2DBackpropFilter),
 * so the baselines train on every backend. Transpose convolutions are stored as the equivalent direct
 * conv over the zero-inserted input ([k, k, Cin, Cout], the spatially flipped transpose kernel).
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { batchNorm2d, conv2dValid, upConv2x, type BatchNormVars } from '../srn/unet';
import { reflectPad } from '../srn/reflect_pad';

/** BatchNorm2d with PyTorch semantics (shared with the semantic SRN's feature U-Net). */
export { batchNorm2d as batchNorm, type BatchNormVars };
import { Rng } from '../util/random';

/** Named variables of one network: trainable ones (for DenseAdam) and non-trainable state (BN stats). */
export class ParamSet {
  readonly trainable = new Map<string, tf.Variable>();
  readonly state = new Map<string, tf.Variable>();

  add(name: string, init: tf.Tensor, trainable = true): tf.Variable {
    if (this.trainable.has(name) || this.state.has(name)) throw new Error(`ParamSet: duplicate parameter '${name}'`);
    const v = tf.variable(init, trainable);
    init.dispose();
    (trainable ? this.trainable : this.state).set(name, v);
    return v;
  }

  /** Number of trainable scalars. */
  count(): number {
    let n = 0;
    for (const v of this.trainable.values()) n += v.size;
    return n;
  }

  /** Copies of every variable (trainable and state), by name. */
  snapshot(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const [k, v] of [...this.trainable, ...this.state]) out[k] = v.clone();
    return out;
  }

  /** sha256 (16 hex) of every variable's name, shape and values: what keys a journal of this net's predictions. */
  digest(): string {
    const h = createHash('sha256');
    for (const [k, v] of [...this.trainable, ...this.state]) {
      const a = v.dataSync() as Float32Array;
      h.update(`${k}[${v.shape.join(',')}]`).update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    }
    return h.digest('hex').slice(0, 16);
  }

  /** Assigns values by name (every variable must be present). */
  load(values: Record<string, tf.Tensor>): void {
    for (const [k, v] of [...this.trainable, ...this.state]) {
      const t = values[k];
      if (!t) throw new Error(`ParamSet.load: missing '${k}'`);
      if (t.shape.join(',') !== v.shape.join(',')) throw new Error(`ParamSet.load: '${k}' has shape [${t.shape}], expected [${v.shape}]`);
      v.assign(t);
    }
  }

  /**
   * Runs `loss` under tf.variableGrads for the trainable variables named in `names` (default all)
   * and returns the loss value and the gradients keyed by our names (what DenseAdam.apply takes).
   */
  grads(loss: () => tf.Scalar, names?: readonly string[]): { value: tf.Scalar; grads: Record<string, tf.Tensor> } {
    const list = (names ?? [...this.trainable.keys()]).map((n) => {
      const v = this.trainable.get(n);
      if (!v) throw new Error(`ParamSet.grads: unknown variable '${n}'`);
      return [n, v] as const;
    });
    const { value, grads } = tf.variableGrads(loss, list.map(([, v]) => v));
    const out: Record<string, tf.Tensor> = {};
    for (const [n, v] of list) if (grads[v.name]) out[n] = grads[v.name];
    return { value, grads: out };
  }

  dispose(): void {
    for (const v of this.trainable.values()) v.dispose();
    for (const v of this.state.values()) v.dispose();
    this.trainable.clear();
    this.state.clear();
  }
}

export function disposeRecord(r: Record<string, tf.Tensor>): void {
  for (const t of Object.values(r)) t.dispose();
}

// ---- initialisers (all through Rng)

export function normalTensor(rng: Rng, shape: number[], std: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(rng.normalArray(n, 0, std), shape, 'float32');
}

/** Normal(0, std) truncated at ±2 std (TF's truncated_normal). */
export function truncatedNormalTensor(rng: Rng, shape: number[], std: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = rng.normal();
    while (Math.abs(v) > 2) v = rng.normal();
    out[i] = v * std;
  }
  return tf.tensor(out, shape, 'float32');
}

export function uniformTensor(rng: Rng, shape: number[], bound: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(rng.uniformArray(n, -bound, bound), shape, 'float32');
}

// ---- convolutions

/** TF 'same' zero padding for a stride-s conv with kernel k over side n: [before, after]. */
export function samePadding(n: number, k: number, s: number): [number, number] {
  const out = Math.ceil(n / s);
  const total = Math.max((out - 1) * s + k - n, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Conv with TF 'same' zero padding: x [B,H,W,Cin], w [k,k,Cin,Cout] → [B,⌈H/s⌉,⌈W/s⌉,Cout]. */
export function conv2dSame(x: tf.Tensor4D, w: tf.Tensor4D, stride: number): tf.Tensor4D {
  const k = w.shape[0];
  const [, h, wd] = x.shape;
  const ph = samePadding(h, k, stride);
  const pw = samePadding(wd, k, stride);
  const xp = ph[0] + ph[1] + pw[0] + pw[1] > 0 ? (tf.pad(x, [[0, 0], ph, pw, [0, 0]]) as tf.Tensor4D) : x;
  return conv2dValid(xp, w, stride);
}

/** Reflection padding by 1, then a 'valid' conv (pytorch_prototyping's Conv2dSame for k 3, and its stride-2 k4 down conv). */
export function conv2dReflect(x: tf.Tensor4D, w: tf.Tensor4D, stride: number): tf.Tensor4D {
  return conv2dValid(reflectPad(x, 1, 1, 1, 1), w, stride);
}

/** Stride-2 transpose conv with exact 2× output (TF `conv2d_transpose(..., 'same')`); see upConv2x in lib/srn/unet.ts. */
export function convTranspose2x(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  return upConv2x(x, w);
}

// ---- BatchNorm and dropout

export function addBatchNorm(p: ParamSet, name: string, c: number): BatchNormVars {
  return {
    gamma: p.add(`${name}.gamma`, tf.ones([c])),
    beta: p.add(`${name}.beta`, tf.zeros([c])),
    mean: p.add(`${name}.runMean`, tf.zeros([c]), false),
    variance: p.add(`${name}.runVar`, tf.ones([c]), false),
  };
}

/** Dropout2d (whole channels), only in train mode; `seed` makes the mask reproducible. */
export function spatialDropout(x: tf.Tensor4D, p: number, training: boolean, seed: number): tf.Tensor4D {
  if (!training || p <= 0) return x;
  const [b, , , c] = x.shape;
  return tf.dropout(x, p, [b, 1, 1, c], seed) as tf.Tensor4D;
}

/** Argmax over the last axis of logits [B,H,W,C] → one Int32Array (H·W) per image. */
export function logitsToLabels(logits: tf.Tensor4D): Int32Array[] {
  const [b, h, w] = logits.shape;
  const am = tf.tidy(() => tf.argMax(logits, 3));
  const data = am.dataSync() as Int32Array;
  am.dispose();
  return Array.from({ length: b }, (_, i) => Int32Array.from(data.subarray(i * h * w, (i + 1) * h * w)));
}
