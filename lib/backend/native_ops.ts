/**
 * Raw TensorFlow ops on the native backend (tfjs-node, TF.js backend 'tensorflow'), for the few places where
 * TF has a fused kernel that TF.js does not expose. tfjs-node's binding runs any registered TF op eagerly by
 * name (`binding.executeOp`), including ops on resource variables. Callers check `nativeBackend()` and keep
 * their plain-tf path for every other backend; nothing here imports tfjs-node.
 */
import * as tf from '@tensorflow/tfjs';

export interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

interface TensorMeta {
  id: number;
  shape: number[];
  dtype: number;
}

/** The parts of tfjs-node's binding (tfjs_binding.d.ts) we use. */
interface TfBinding {
  TF_FLOAT: number;
  TF_ATTR_TYPE: number;
  TF_ATTR_SHAPE: number;
  TF_ATTR_STRING: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_FLOAT: number;
  executeOp(name: string, attrs: OpAttr[], inputIds: number[], numOutputs: number): TensorMeta[];
  createTensor(shape: number[], dtype: number, values: Float32Array): number;
  deleteTensor(id: number): void;
}

/** The parts of tfjs-node's NodeJSKernelBackend (nodejs_kernel_backend.d.ts) we use. */
interface NodeBackendLike {
  binding: TfBinding;
  /** Per dataId: `id` is the binding's tensor id (−1 while `values` still waits to be uploaded). */
  tensorMap: { get(dataId: object): { id: number; values: unknown; refCount: number } };
  getInputTensorIds(tensors: tf.Tensor[]): number[];
  createOutputTensor(meta: TensorMeta): tf.Tensor;
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: tf.Tensor[]): tf.Tensor;
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: tf.Tensor[], numOutputs: number): tf.Tensor[];
}

// SRN_FAST_OPS=0 turns the fast paths (these native ops and wasm_adam.ts) off for A/B benchmarks; tests use setFastOps.
let enabled = process.env.SRN_FAST_OPS !== '0';

/** Turns the fast paths on or off (off: plain tf ops on every backend); returns the previous setting. */
export function setFastOps(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

export function fastOpsEnabled(): boolean {
  return enabled;
}

/** The active backend when it is tfjs-node's and the fast paths are on, else null (then use plain tf ops). */
export function nativeBackend(): NodeBackendLike | null {
  if (!enabled || tf.getBackend() !== 'tensorflow') return null;
  const be = tf.backend() as unknown as Partial<NodeBackendLike>;
  return typeof be.binding?.executeOp === 'function' && be.tensorMap ? (be as NodeBackendLike) : null;
}

const floatT = (b: TfBinding, name = 'T'): OpAttr => ({ name, type: b.TF_ATTR_TYPE, value: b.TF_FLOAT });

// ---------------------------------------------------------------------------------------------
// Our own TF kernels (native/srn_ops.cc, built by setup-native.sh into .cache/native/srn_ops.node).

let fusedKernels = false;

/** Records whether select.ts loaded the fused LayerNorm kernels into this process's TensorFlow. */
export function setFusedKernelsLoaded(loaded: boolean): void {
  fusedKernels = loaded;
}

/** The native backend when our fused kernels are loaded (and the fast paths are on), else null. */
export function fusedKernelBackend(): NodeBackendLike | null {
  return fusedKernels ? nativeBackend() : null;
}

/**
 * relu(γ·LayerNorm(z + bias) + β) over the last axis, one kernel: z [..., F], bias G rows of F ([G, F], [G, 1, F],
 * [F]) where the rows of z fall into G equal consecutive groups (instances), γ and β both [F], or both empty for LayerNorm without
 * affine. Returns y (z's shape) and per-row mean and 1/σ.
 */
export function fusedLayerNormRelu(
  be: NodeBackendLike, z: tf.Tensor, bias: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const attrs: OpAttr[] = [{ name: 'epsilon', type: be.binding.TF_ATTR_FLOAT, value: eps }];
  const [y, mean, rstd] = be.executeMultipleOutputs('SrnLayerNormRelu', attrs, [z, bias, gamma, beta], 3);
  return [y, mean, rstd];
}

/** The gradient of `fusedLayerNormRelu` with respect to z, bias (its shape), γ and β (empty without affine), one kernel. */
export function fusedLayerNormReluGrad(
  be: NodeBackendLike, dy: tf.Tensor, z: tf.Tensor, bias: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, mean: tf.Tensor, rstd: tf.Tensor,
): [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor] {
  const [dz, db, dgamma, dbeta] = be.executeMultipleOutputs('SrnLayerNormReluGrad', [], [dy, z, bias, gamma, beta, mean, rstd], 4);
  return [dz, db, dgamma, dbeta];
}

let nextVarId = 0;

/**
 * A float32 TF resource variable that a TF.js variable aliases. TF updates a variable's buffer in place only
 * while nothing else references it (else it copies first: reads taken earlier keep their values), so an
 * update goes sync → release (drop the TF.js handle) → op → rebind (same dataId, new handle, no engine
 * bookkeeping).
 */
export class NativeVariable {
  private readonly handle: number;
  /** The binding tensor id and dataId we last bound; anything else means the TF.js side was reassigned. */
  private boundId = -1;
  private boundDataId: object | null = null;

  constructor(private readonly be: NodeBackendLike, shape: number[]) {
    const b = be.binding;
    const attrs: OpAttr[] = [
      floatT(b, 'dtype'),
      { name: 'shape', type: b.TF_ATTR_SHAPE, value: shape },
      // Unique per process; destroyed in dispose().
      { name: 'shared_name', type: b.TF_ATTR_STRING, value: `semantic-srn/native-var/${nextVarId++}` },
    ];
    this.handle = b.executeOp('VarHandleOp', attrs, [], 1)[0].id;
  }

  /** Copies `t` into the variable unless `t` already aliases its current value. */
  sync(t: tf.Tensor): void {
    const info = this.be.tensorMap.get(t.dataId);
    if (t.dataId === this.boundDataId && info.id === this.boundId) return;
    const [id] = this.be.getInputTensorIds([t]);
    this.be.binding.executeOp('AssignVariableOp', [floatT(this.be.binding, 'dtype')], [this.handle, id], 0);
    this.boundDataId = null;
  }

  /**
   * Releases `t`'s own reference to the buffer, so the next op on the variable updates in place.
   * Only when `t` is the sole user of its dataId; returns whether it did (then `rebind` must follow).
   */
  release(t: tf.Tensor): boolean {
    const info = this.be.tensorMap.get(t.dataId);
    if (info.refCount !== 1 || info.id < 0) return false;
    this.be.binding.deleteTensor(info.id);
    info.id = -1;
    return true;
  }

  /** Points `t` at the variable's current value: in place if released, else via Variable.assign. */
  rebind(t: tf.Variable, released: boolean): void {
    const meta = this.be.binding.executeOp('ReadVariableOp', [floatT(this.be.binding, 'dtype')], [this.handle], 1)[0];
    if (released) {
      const info = this.be.tensorMap.get(t.dataId);
      info.id = meta.id;
      info.values = null;
    } else {
      const fresh = this.be.createOutputTensor(meta);
      t.assign(fresh);
      fresh.dispose();
    }
    this.boundDataId = t.dataId;
    this.boundId = meta.id;
  }

  get id(): number {
    return this.handle;
  }

  dispose(): void {
    const b = this.be.binding;
    b.executeOp('DestroyResourceOp', [{ name: 'ignore_lookup_error', type: b.TF_ATTR_BOOL, value: true }], [this.handle], 0);
    b.deleteTensor(this.handle);
  }
}

/** Per-variable state of the fused Adam: the parameter and both moments as TF resource variables. */
export interface NativeAdamSlot {
  x: NativeVariable;
  m: NativeVariable;
  v: NativeVariable;
}

export function createNativeAdamSlot(be: NodeBackendLike, shape: number[]): NativeAdamSlot {
  return { x: new NativeVariable(be, shape), m: new NativeVariable(be, shape), v: new NativeVariable(be, shape) };
}

/** Scalars shared by every ResourceApplyAdam call of one step (binding ids; free with `freeAdamScalars`). */
export interface AdamScalars {
  ids: number[];
}

/**
 * Scalars for PyTorch Adam through TF's kernel. TF computes lr_t = lr·sqrt(1−β2ᵖ)/(1−β1ᵖ) in float32 and
 * divides by (sqrt(v) + ε); passing β1ᵖ = β2ᵖ = 0 makes lr_t = lr exactly, so the bias corrections are done
 * here in double: lr' = lr·sqrt(1−β2ᵗ)/(1−β1ᵗ), ε' = ε·sqrt(1−β2ᵗ) give lr/(1−β1ᵗ)·m/(sqrt(v)/sqrt(1−β2ᵗ) + ε).
 */
export function adamScalars(be: NodeBackendLike, step: number, lr: number, beta1: number, beta2: number, eps: number): AdamScalars {
  const bc1 = 1 - beta1 ** step;
  const bc2 = Math.sqrt(1 - beta2 ** step);
  const b = be.binding;
  const s = (v: number) => b.createTensor([], b.TF_FLOAT, Float32Array.of(v));
  return { ids: [s(0), s(0), s((lr * bc2) / bc1), s(beta1), s(beta2), s(eps * bc2)] };
}

export function freeAdamScalars(be: NodeBackendLike, s: AdamScalars): void {
  for (const id of s.ids) be.binding.deleteTensor(id);
}

/** One fused Adam update (one pass over x, m, v, g) of variable `x` with moments `m`, `v` in place. */
export function nativeAdamUpdate(
  be: NodeBackendLike, slot: NativeAdamSlot, x: tf.Variable, m: tf.Variable, v: tf.Variable, g: tf.Tensor, s: AdamScalars,
): void {
  const pairs: [NativeVariable, tf.Variable][] = [[slot.x, x], [slot.m, m], [slot.v, v]];
  for (const [nv, t] of pairs) nv.sync(t);
  const [gid] = be.getInputTensorIds([g]);
  const released = pairs.map(([nv, t]) => nv.release(t));
  try {
    const [sx, sm, sv] = [slot.x.id, slot.m.id, slot.v.id];
    be.binding.executeOp('ResourceApplyAdam', [floatT(be.binding)], [sx, sm, sv, ...s.ids, gid], 0);
  } finally {
    // Also after a failure: the released tensors must point at a live value again (the unchanged one).
    pairs.forEach(([nv, t], i) => nv.rebind(t, released[i]));
  }
}

// ---------------------------------------------------------------------------------------------
// Element-wise gradients with fewer passes (inside fused_dense.ts's customGrad backward).

/** dy · (features > 0) as TF's ReluGrad: one pass instead of greater, cast and mul. */
export function nativeReluGrad(be: NodeBackendLike, dy: tf.Tensor, features: tf.Tensor): tf.Tensor {
  return be.executeSingleOutput('ReluGrad', [floatT(be.binding)], [dy, features]);
}

/**
 * LayerNorm backward over the last axis, dz = rstd·(g − mean(g) − x̂·mean(g·x̂)), as one FusedBatchNormGradV3.
 * Rows are the channels of an NCHW [1, rows, 1, width] view (no copy); with mean 0, variance 1 and ε = 0 the
 * op normalises nothing and its per-channel scale is rstd, which leaves exactly the formula above.
 */
export function nativeLayerNormGrad(be: NodeBackendLike, g: tf.Tensor, xhat: tf.Tensor, rstd: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const width = xhat.shape[xhat.rank - 1];
    const rows = xhat.size / width;
    const b = be.binding;
    const attrs: OpAttr[] = [
      floatT(b),
      floatT(b, 'U'),
      { name: 'epsilon', type: b.TF_ATTR_FLOAT, value: 0 },
      { name: 'data_format', type: b.TF_ATTR_STRING, value: 'NCHW' },
      { name: 'is_training', type: b.TF_ATTR_BOOL, value: true },
    ];
    const view = [1, rows, 1, width];
    const inputs = [tf.reshape(g, view), tf.reshape(xhat, view), tf.reshape(rstd, [rows]), tf.zeros([rows]), tf.ones([rows]), tf.zeros([0])];
    const [dz] = be.executeMultipleOutputs('FusedBatchNormGradV3', attrs, inputs, 5);
    return tf.reshape(dz, xhat.shape);
  });
}

/**
 * Train-mode BatchNorm2d of an NHWC tensor with PyTorch semantics, as one FusedBatchNormV3 (normalise by the batch
 * mean and biased variance over N·H·W) and its gradient as one FusedBatchNormGradV3, instead of ~15 element-wise
 * ops each way. The running statistics move in the same op (`exponential_avg_factor` = momentum; TF's batch variance
 * output is the unbiased one, as PyTorch's update uses) and are assigned to `runMean` / `runVar`.
 */
export function nativeBatchNormTrain(
  be: NodeBackendLike, x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor, runMean: tf.Variable, runVar: tf.Variable, momentum: number, eps: number,
): tf.Tensor4D {
  const b = be.binding;
  const common: OpAttr[] = [floatT(b), floatT(b, 'U'), { name: 'epsilon', type: b.TF_ATTR_FLOAT, value: eps }, { name: 'data_format', type: b.TF_ATTR_STRING, value: 'NHWC' }, { name: 'is_training', type: b.TF_ATTR_BOOL, value: true }];
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, g, bt] = args as tf.Tensor[];
    const attrs = [...common, { name: 'exponential_avg_factor', type: b.TF_ATTR_FLOAT, value: momentum }];
    const [y, newMean, newVar, rs1, rs2, rs3] = be.executeMultipleOutputs('FusedBatchNormV3', attrs, [xi, g, bt, runMean, runVar], 6);
    runMean.assign(newMean);
    runVar.assign(newVar);
    (args[3] as tf.GradSaveFunc)([xi, g, rs1, rs2, rs3]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [dx, dg, db, rs4, rs5] = be.executeMultipleOutputs('FusedBatchNormGradV3', common, [dy, ...saved], 5);
        tf.dispose([rs4, rs5]);
        return [dx, dg, db];
      },
    };
  });
  return (f as (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.Tensor)(x, gamma, beta) as tf.Tensor4D;
}
