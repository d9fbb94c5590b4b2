/**
 * The trainer's optimisers; a stage creates its own and they hold all optimiser state (the model holds none).
 *
 * DenseAdam: PyTorch-style Adam for named dense variables (spec/reference.md §4: lr 4e-4, betas (0.9, 0.999),
 * eps 1e-8, no weight decay). Own implementation rather than tf.train.adam so its state
 * (moments + step) is named, checkpointable and restorable exactly.
 *   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  x ← x − lr/(1−β1^t) · m / (sqrt(v)/sqrt(1−β2^t) + eps)
 * On the native backend the update is TF's fused ResourceApplyAdam (one pass instead of 13 element-wise
 * ops; most of a paper-preset step's Adam time), on wasm one JS pass over the heap (wasm_adam.ts); same
 * formula; elsewhere plain tf ops.
 */
import * as tf from '@tensorflow/tfjs';
import type { AdamConfig } from '../config/types';
import type { LatentTable } from '../latent/table';
import {
  adamScalars, createNativeAdamSlot, freeAdamScalars, nativeAdamUpdate, nativeBackend, type NativeAdamSlot,
} from '../backend/native_ops';
import { wasmAdamAvailable, wasmAdamUpdate } from '../backend/wasm_adam';

export interface AdamState {
  step: number;
  m: Record<string, tf.Tensor>;
  v: Record<string, tf.Tensor>;
}

/** A non-trainable variable that takes over `init` (tf.variable shares the data and leaves `init` alive). */
function ownedVariable(init: tf.Tensor): tf.Variable {
  const v = tf.variable(init, false);
  init.dispose();
  return v;
}

export class DenseAdam {
  step = 0;
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();
  /** Native backend only: TF resource variables behind each parameter and its moments. */
  private readonly native = new Map<string, NativeAdamSlot>();

  /** `vars`: the variables this optimiser owns, by name. */
  constructor(readonly vars: Map<string, tf.Variable>, public cfg: AdamConfig) {}

  /** Applies one step for the gradients given (by variable name); variables without a gradient are not touched. */
  apply(grads: Record<string, tf.Tensor>): void {
    this.step += 1;
    const { lr, beta1, beta2, eps } = this.cfg;
    const be = nativeBackend();
    if (!be) this.disposeNative();
    const scalars = be ? adamScalars(be, this.step, lr, beta1, beta2, eps) : null;
    const wasm = !be && wasmAdamAvailable();
    // Bias corrections of this step (the native path folds them into its scalars).
    const bc1 = 1 - beta1 ** this.step;
    const bc2 = Math.sqrt(1 - beta2 ** this.step);
    try {
      for (const [name, g] of Object.entries(grads)) {
        const x = this.vars.get(name);
        if (!x) throw new Error(`DenseAdam: gradient for unknown variable '${name}'`);
        let m = this.m.get(name);
        let v = this.v.get(name);
        if (!m) this.m.set(name, (m = ownedVariable(tf.zerosLike(x))));
        if (!v) this.v.set(name, (v = ownedVariable(tf.zerosLike(x))));
        if (be && scalars) {
          let slot = this.native.get(name);
          if (!slot) this.native.set(name, (slot = createNativeAdamSlot(be, x.shape)));
          nativeAdamUpdate(be, slot, x, m, v, g, scalars);
        } else if (wasm) {
          wasmAdamUpdate(x, m, v, g, { beta1, beta2, stepSize: lr / bc1, bc2, eps });
        } else {
          this.plainUpdate(x, m, v, g, bc1, bc2);
        }
      }
    } finally {
      if (be && scalars) freeAdamScalars(be, scalars);
    }
  }

  private plainUpdate(x: tf.Variable, m: tf.Variable, v: tf.Variable, g: tf.Tensor, bc1: number, bc2: number): void {
    const { lr, beta1, beta2, eps } = this.cfg;
    tf.tidy(() => {
      const m2 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
      const v2 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
      m.assign(m2);
      v.assign(v2);
      const denom = tf.add(tf.div(tf.sqrt(v2), bc2), eps);
      x.assign(tf.sub(x, tf.mul(tf.div(m2, denom), lr / bc1)));
    });
  }

  /** Copies of the moments and the step. */
  state(): AdamState {
    const m: Record<string, tf.Tensor> = {};
    const v: Record<string, tf.Tensor> = {};
    for (const [k, t] of this.m) m[k] = t.clone();
    for (const [k, t] of this.v) v[k] = t.clone();
    return { step: this.step, m, v };
  }

  load(s: AdamState): void {
    this.disposeMoments();
    this.step = s.step;
    for (const [k, t] of Object.entries(s.m)) {
      if (!this.vars.has(k)) throw new Error(`DenseAdam.load: moment for unknown variable '${k}'`);
      this.m.set(k, ownedVariable(t.clone()));
    }
    for (const [k, t] of Object.entries(s.v)) this.v.set(k, ownedVariable(t.clone()));
  }

  /** Drops the native resource variables (they are re-created from the TF.js tensors on the next step). */
  private disposeNative(): void {
    for (const s of this.native.values()) for (const nv of [s.x, s.m, s.v]) nv.dispose();
    this.native.clear();
  }

  private disposeMoments(): void {
    this.disposeNative();
    for (const t of this.m.values()) t.dispose();
    for (const t of this.v.values()) t.dispose();
    this.m.clear();
    this.v.clear();
  }

  dispose(): void {
    this.disposeMoments();
  }
}

export interface SparseAdamState {
  /** One step counter for the whole table (bias correction), +1 per update. */
  step: number;
  m: Float32Array;
  v: Float32Array;
}

/**
 * SparseAdam: PyTorch's SparseAdam over a latent table's rows (spec/reference.md §1.2, pitfall 10). Moments
 * live on the host beside the table's values; a step changes only the batch's rows, so rows outside the
 * batch never move, neither their values nor their moments.
 */
export class SparseAdam {
  readonly m: Float32Array;
  readonly v: Float32Array;
  step = 0;

  /** `table`: the codes this optimiser updates (its moments are sized to it). */
  constructor(readonly table: LatentTable, public cfg: AdamConfig) {
    this.m = new Float32Array(table.count * table.dim);
    this.v = new Float32Array(table.count * table.dim);
  }

  /**
   * One step. `grad` is [B, dim] for the batch rows `indices` (duplicates are summed first, like PyTorch's
   * coalesce). Only those rows change:
   *   m ← m + (1−β1)(g − m); v ← v + (1−β2)(g² − v);
   *   x ← x − lr·sqrt(1−β2^t)/(1−β1^t) · m / (sqrt(v) + eps)   (t = the global step).
   */
  apply(indices: readonly number[], grad: ArrayLike<number>): void {
    const { table } = this;
    const d = table.dim;
    if (grad.length !== indices.length * d) throw new Error(`SparseAdam.apply: expected ${indices.length}×${d} gradient values, got ${grad.length}`);
    const summed = new Map<number, Float64Array>();
    indices.forEach((r, k) => {
      table.checkRow(r);
      let acc = summed.get(r);
      if (!acc) summed.set(r, (acc = new Float64Array(d)));
      for (let j = 0; j < d; j++) acc[j] += grad[k * d + j];
    });
    this.step += 1;
    const { lr, beta1, beta2, eps } = this.cfg;
    const stepSize = (lr * Math.sqrt(1 - beta2 ** this.step)) / (1 - beta1 ** this.step);
    const x = table.values;
    for (const [r, g] of summed) {
      const o = r * d;
      for (let j = 0; j < d; j++) {
        const m = this.m[o + j] + (1 - beta1) * (g[j] - this.m[o + j]);
        const v = this.v[o + j] + (1 - beta2) * (g[j] * g[j] - this.v[o + j]);
        this.m[o + j] = m;
        this.v[o + j] = v;
        x[o + j] -= (stepSize * m) / (Math.sqrt(v) + eps);
      }
    }
  }

  /** Copies of the moments and the step. */
  state(): SparseAdamState {
    return { step: this.step, m: this.m.slice(), v: this.v.slice() };
  }

  load(s: SparseAdamState): void {
    if (s.m.length !== this.m.length || s.v.length !== this.v.length) {
      throw new Error(`SparseAdam.load: moments of ${s.m.length} and ${s.v.length} values, the table has ${this.m.length}`);
    }
    this.m.set(s.m);
    this.v.set(s.v);
    this.step = s.step;
  }

  /** Moments zeroed and the step back to 0 (a fresh optimiser). */
  reset(): void {
    this.m.fill(0);
    this.v.fill(0);
    this.step = 0;
  }
}
