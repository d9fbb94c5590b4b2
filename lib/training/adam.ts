/**
 * PyTorch-style Adam for named dense variables (spec/reference.md §4: lr 4e-4, betas (0.9, 0.999),
 * eps 1e-8, no weight decay). Own implementation rather than tf.train.adam so its state
 * (moments + step) is named, checkpointable and restorable exactly.
 *   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  x ← x − lr/(1−β1^t) · m / (sqrt(v)/sqrt(1−β2^t) + eps)
 */
import * as tf from '@tensorflow/tfjs';
import type { AdamConfig } from '../config/types';

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

  /** `vars`: the variables this optimiser owns, by name. */
  constructor(readonly vars: Map<string, tf.Variable>, public cfg: AdamConfig) {}

  /** Applies one step for the gradients given (by variable name); variables without a gradient are not touched. */
  apply(grads: Record<string, tf.Tensor>): void {
    this.step += 1;
    const { lr, beta1, beta2, eps } = this.cfg;
    const bc1 = 1 - beta1 ** this.step;
    const bc2 = Math.sqrt(1 - beta2 ** this.step);
    for (const [name, g] of Object.entries(grads)) {
      const x = this.vars.get(name);
      if (!x) throw new Error(`DenseAdam: gradient for unknown variable '${name}'`);
      let m = this.m.get(name);
      let v = this.v.get(name);
      if (!m) this.m.set(name, (m = ownedVariable(tf.zerosLike(x))));
      if (!v) this.v.set(name, (v = ownedVariable(tf.zerosLike(x))));
      const mm = m;
      const vv = v;
      tf.tidy(() => {
        const m2 = tf.add(tf.mul(mm, beta1), tf.mul(g, 1 - beta1));
        const v2 = tf.add(tf.mul(vv, beta2), tf.mul(tf.square(g), 1 - beta2));
        mm.assign(m2);
        vv.assign(v2);
        const denom = tf.add(tf.div(tf.sqrt(v2), bc2), eps);
        x.assign(tf.sub(x, tf.mul(tf.div(m2, denom), lr / bc1)));
      });
    }
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

  private disposeMoments(): void {
    for (const t of this.m.values()) t.dispose();
    for (const t of this.v.values()) t.dispose();
    this.m.clear();
    this.v.clear();
  }

  dispose(): void {
    this.disposeMoments();
  }
}
