/**
 * DenseAdam's update as one wasm-backend kernel: a single JS pass over the heap (x, m, v, g in; x', m', v' out)
 * instead of 13 element-wise wasm ops, each a full pass over up to 51.9 M parameters on the paper preset.
 * Outputs are fresh buffers, never in place: the stock BatchMatMul caches XNNPACK's packed right operand by
 * tensor id (spec/backends.md §2), so rewriting a weight's buffer would leave a stale packed copy.
 */
import * as tf from '@tensorflow/tfjs';
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { fastOpsEnabled } from './native_ops';
import type { WasmBackendLike } from './wasm_kernels';

const KERNEL = 'SemanticSrnAdamUpdate';

export interface AdamUpdateAttrs {
  beta1: number;
  beta2: number;
  /** lr / (1 − β1^t). */
  stepSize: number;
  /** sqrt(1 − β2^t). */
  bc2: number;
  eps: number;
}

function adamKernel(args: { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: NamedAttrMap }): TensorInfo[] {
  const backend = args.backend as WasmBackendLike;
  const { x, m, v, g } = args.inputs;
  const { beta1, beta2, stepSize, bc2, eps } = args.attrs as unknown as AdamUpdateAttrs;
  const outs = [x, m, v].map((t) => backend.makeOutput(t.shape, 'float32'));
  // Views only after makeOutput: allocation can grow (and detach) the heap.
  const [ox, om, ov] = outs.map((t) => backend.typedArrayFromHeap(t) as Float32Array);
  const [xv, mv, vv, gv] = [x, m, v, g].map((t) => backend.typedArrayFromHeap(t) as Float32Array);
  const fr = Math.fround;
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  for (let i = 0; i < xv.length; i++) {
    const gi = gv[i];
    // Rounded to float32 as stored, so x moves by the moments a checkpoint would hold.
    const mi = fr(beta1 * mv[i] + c1 * gi);
    const vi = fr(beta2 * vv[i] + c2 * gi * gi);
    om[i] = mi;
    ov[i] = vi;
    ox[i] = xv[i] - (stepSize * mi) / (Math.sqrt(vi) / bc2 + eps);
  }
  return outs;
}

/** Whether `wasmAdamUpdate` applies: wasm is active and the fast paths are on. */
export function wasmAdamAvailable(): boolean {
  if (!fastOpsEnabled() || tf.getBackend() !== 'wasm') return false;
  if (!tf.getKernel(KERNEL, 'wasm')) tf.registerKernel({ kernelName: KERNEL, backendName: 'wasm', kernelFunc: adamKernel as unknown as tf.KernelFunc });
  return true;
}

/** One Adam step for x with moments m, v and gradient g; the three variables get the new values. */
export function wasmAdamUpdate(x: tf.Variable, m: tf.Variable, v: tf.Variable, g: tf.Tensor, attrs: AdamUpdateAttrs): void {
  if (g.dtype !== 'float32' || g.size !== x.size) throw new Error(`wasmAdamUpdate: gradient for '${x.name}' must be float32 [${x.shape}], got ${g.dtype} [${g.shape}]`);
  const [x2, m2, v2] = tf.engine().runKernel(KERNEL, { x, m, v, g }, attrs as unknown as NamedAttrMap) as tf.Tensor[];
  m.assign(m2);
  v.assign(v2);
  x.assign(x2);
  tf.dispose([x2, m2, v2]);
}
