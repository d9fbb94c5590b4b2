/**
 * PyTorch-style Adam for named dense variables (spec/reference.md §4: lr 4e-4, betas (0.9, 0.999),
 * eps 1e-8, no weight decay). Own implementation rather than tf.train.adam so its state
 * (moments + step) is named, checkpointable and restorable exactly.
 *   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  x ← x − lr/(1−β1^t) · m / (sqrt(v)/sqrt(1−β2^t) + eps)
 * On the native backend the update is TF's fused ResourceApplyAdam (one pass instead of 13 element-wise
 * ops; most of a paper-preset step's Adam time), on wasm one JS pass over the heap (wasm_adam.ts); same
 * formula; elsewhere plain tf ops.
 */
import * as tf from '@tensorflow/tfjs';
import type { AdamConfig } from '../config/types';
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
