/**
 * Named, grouped parameters and the initialisers of the reference (all drawn from `Rng`, so weights
 * are identical on every backend). Dense weights are stored in x·W layout, W [in, out].
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/random';

/** Parameter groups; freezing a part of the model is a choice of groups. */
export const PARAM_GROUPS = ['latents', 'hypernet', 'raymarcher', 'renderer', 'segHead'] as const;
export type ParamGroup = (typeof PARAM_GROUPS)[number];

export interface NamedParam {
  name: string;
  group: ParamGroup;
  variable: tf.Variable;
}

/** A flat registry of the model's dense variables, by unique name (e.g. `hypernet.0.fc2.W`). */
export class ParamStore {
  private readonly byName = new Map<string, NamedParam>();

  add(group: ParamGroup, name: string, init: tf.Tensor): tf.Variable {
    if (this.byName.has(name)) throw new Error(`ParamStore: duplicate parameter name '${name}'`);
    // No TF.js variable name: several models may coexist in one process.
    const variable = tf.variable(init, true);
    init.dispose();
    this.byName.set(name, { name, group, variable });
    return variable;
  }

  get(name: string): NamedParam | undefined {
    return this.byName.get(name);
  }

  list(groups?: readonly ParamGroup[]): NamedParam[] {
    const all = [...this.byName.values()];
    return groups ? all.filter((p) => groups.includes(p.group)) : all;
  }

  count(groups?: readonly ParamGroup[]): number {
    return this.list(groups).reduce((s, p) => s + p.variable.size, 0);
  }

  /** Removes (and disposes) every parameter whose name starts with `prefix`. */
  removePrefix(prefix: string): void {
    for (const [k, p] of this.byName) {
      if (k.startsWith(prefix)) {
        p.variable.dispose();
        this.byName.delete(k);
      }
    }
  }

  dispose(): void {
    for (const p of this.byName.values()) p.variable.dispose();
    this.byName.clear();
  }
}

/** Plain (not truncated) Kaiming-normal, fan_in, ReLU gain: std = sqrt(2/fanIn) (pitfall 6). */
export function kaimingNormal(rng: Rng, shape: number[], fanIn: number, scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(rng.normalArray(n, 0, scale * Math.sqrt(2 / fanIn)), shape, 'float32');
}

/** Uniform(±bound) — PyTorch's default Linear/LSTM/conv init uses bound = 1/sqrt(fan_in). */
export function uniformInit(rng: Rng, shape: number[], bound: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(rng.uniformArray(n, -bound, bound), shape, 'float32');
}

export interface DenseParams {
  W: tf.Variable;
  b: tf.Variable;
}

export interface LayerNormParams {
  gamma: tf.Variable;
  beta: tf.Variable;
}

/** `FCBlock` Linear: Kaiming-normal weight (×scale), default Uniform(±1/sqrt(in)) bias. */
export function addKaimingDense(store: ParamStore, group: ParamGroup, name: string, rng: Rng, inDim: number, outDim: number, scale = 1): DenseParams {
  return {
    W: store.add(group, `${name}.W`, kaimingNormal(rng, [inDim, outDim], inDim, scale)),
    b: store.add(group, `${name}.b`, uniformInit(rng, [outDim], 1 / Math.sqrt(inDim))),
  };
}

/** PyTorch default nn.Linear init: weight and bias Uniform(±1/sqrt(in)). */
export function addDefaultDense(store: ParamStore, group: ParamGroup, name: string, rng: Rng, inDim: number, outDim: number): DenseParams {
  const bound = 1 / Math.sqrt(inDim);
  return {
    W: store.add(group, `${name}.W`, uniformInit(rng, [inDim, outDim], bound)),
    b: store.add(group, `${name}.b`, uniformInit(rng, [outDim], bound)),
  };
}

/** LayerNorm affine parameters, γ = 1, β = 0. */
export function addLayerNorm(store: ParamStore, group: ParamGroup, name: string, dim: number): LayerNormParams {
  return {
    gamma: store.add(group, `${name}.gamma`, tf.ones([dim])),
    beta: store.add(group, `${name}.beta`, tf.zeros([dim])),
  };
}
