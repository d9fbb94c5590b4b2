/**
 * relu(LayerNorm(x·W + b)) as one tf.customGrad op with an analytic backward (spec/backends.md §2):
 * on wasm it is faster than op-by-op LN and keeps far fewer intermediates alive for backprop
 * (only x, W, x̂ and 1/σ are saved). Plain tf ops inside. On the native backend with our kernels loaded
 * (native/srn_ops.cc) every ReLU case is the matMul plus one kernel each way; without them, the backward's ReLU
 * mask and LayerNorm gradient use TF's fused ReluGrad / FusedBatchNormGradV3 (native_ops.ts) and the
 * bias/affine sums are matMuls with ones, same formulas.
 */
import * as tf from '@tensorflow/tfjs';
import {
  fusedKernelBackend, fusedLayerNormRelu, fusedLayerNormReluGrad, nativeBackend, nativeLayerNormGrad, nativeReluGrad,
} from './native_ops';

export interface DenseLayerNormOptions {
  /** LayerNorm epsilon (default 1e-5). */
  eps?: number;
  /** Optional affine LN scale, shape [out]. */
  gamma?: tf.Tensor;
  /** Optional affine LN shift, shape [out]. */
  beta?: tf.Tensor;
  /** Apply ReLU after LN (default true). */
  relu?: boolean;
}

/** Sums `g` down to `shape` (undoing broadcasting), like tf's own broadcast gradients. */
function sumToShape(g: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape, g.shape);
  let r = axes.length ? tf.sum(g, axes, true) : g;
  if (r.rank !== shape.length) r = tf.reshape(r, shape);
  return r;
}

/**
 * The same sums as `sumToShape` for a bias-like `shape` ([out], [1, out] or [B, 1, out]) as a matMul with a
 * row of ones: on the native backend TF's row reduction is ~2.5× slower than that matMul ([4096, 256]).
 */
function sumRowsByMatMul(g: tf.Tensor, shape: number[]): tf.Tensor {
  const out = g.shape[g.rank - 1];
  if (g.rank === 3 && shape.length === 3) return tf.matMul(tf.ones([g.shape[0], 1, g.shape[1] as number]), g); // per instance
  const rows = g.size / out;
  return tf.reshape(tf.matMul(tf.ones([1, rows]), tf.reshape(g, [rows, out])), shape);
}

function checkShapes(x: tf.Tensor, W: tf.Tensor, b: tf.Tensor, gamma?: tf.Tensor, beta?: tf.Tensor): void {
  const where = 'denseLayerNormRelu';
  if (x.rank === 2) {
    if (W.rank !== 2 || W.shape[0] !== x.shape[1]) {
      throw new Error(`${where}: W must be [${x.shape[1]}, out] for x ${JSON.stringify(x.shape)}, got ${JSON.stringify(W.shape)}`);
    }
  } else if (x.rank === 3) {
    if (W.rank !== 3 || W.shape[0] !== x.shape[0] || W.shape[1] !== x.shape[2]) {
      throw new Error(`${where}: W must be [${x.shape[0]}, ${x.shape[2]}, out] for x ${JSON.stringify(x.shape)}, got ${JSON.stringify(W.shape)}`);
    }
  } else {
    throw new Error(`${where}: x must be [N,in] or [B,R,in], got ${JSON.stringify(x.shape)}`);
  }
  const out = W.shape[W.rank - 1];
  const okBias =
    (b.rank === 1 && b.shape[0] === out) ||
    (x.rank === 3 && b.rank === 3 && b.shape[0] === x.shape[0] && b.shape[1] === 1 && b.shape[2] === out) ||
    (x.rank === 2 && b.rank === 2 && b.shape[0] === 1 && b.shape[1] === out);
  if (!okBias) throw new Error(`${where}: b must be [${out}]${x.rank === 3 ? ` or [${x.shape[0]}, 1, ${out}]` : ''}, got ${JSON.stringify(b.shape)}`);
  for (const [name, t] of [['gamma', gamma], ['beta', beta]] as const) {
    if (t && (t.rank !== 1 || t.shape[0] !== out)) throw new Error(`${where}: ${name} must be [${out}], got ${JSON.stringify(t.shape)}`);
  }
}

/**
 * relu(LN(x·W + b)), LN over the last axis with biased variance.
 * x [N,in]·W [in,out] with b [out]; or per-instance weights x [B,R,in]·W [B,in,out] with b [B,1,out] or [out].
 * Gradients flow to x, W, b (and gamma/beta when given).
 */
export function denseLayerNormRelu(x: tf.Tensor, W: tf.Tensor, b: tf.Tensor, opts: DenseLayerNormOptions = {}): tf.Tensor {
  const eps = opts.eps ?? 1e-5;
  const relu = opts.relu ?? true;
  const { gamma, beta } = opts;
  checkShapes(x, W, b, gamma, beta);
  const hasGamma = gamma !== undefined;
  const hasBeta = beta !== undefined;
  if (relu && x.size > 0) {
    const be = fusedKernelBackend();
    if (be) return denseLayerNormReluKernels(be, x, W, b, eps, gamma, beta);
  }

  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [xi, Wi, bi] = args as tf.Tensor[];
    let k = 3;
    const g = hasGamma ? (args[k++] as tf.Tensor) : undefined;
    const be = hasBeta ? (args[k++] as tf.Tensor) : undefined;
    const [value, xhat, rstd] = tf.tidy(() => {
      const z = tf.add(tf.matMul(xi, Wi), bi);
      const mean = tf.mean(z, -1, true);
      const xc = tf.sub(z, mean);
      const variance = tf.mean(tf.square(xc), -1, true);
      const rstd = tf.rsqrt(tf.add(variance, eps));
      const xhat = tf.mul(xc, rstd);
      let y = g ? tf.mul(xhat, g) : xhat;
      if (be) y = tf.add(y, be);
      return [relu ? tf.relu(y) : y, xhat, rstd];
    });
    // y > 0 is recomputed from x̂ (cheap) rather than saving the output too.
    save([xi, Wi, xhat, rstd, ...(g ? [g] : []), ...(be ? [be] : [])]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [sx, sW, sxhat, srstd] = saved;
          const sg = hasGamma ? saved[4] : undefined;
          const sbe = hasBeta ? saved[hasGamma ? 5 : 4] : undefined;
          const native = sxhat.size > 0 ? nativeBackend() : null;
          let gy = dy;
          if (relu) {
            let y = sg ? tf.mul(sxhat, sg) : sxhat;
            if (sbe) y = tf.add(y, sbe);
            gy = native ? nativeReluGrad(native, dy, y) : tf.mul(dy, tf.cast(tf.greater(y, 0), 'float32'));
          }
          const grads: tf.Tensor[] = [];
          const dxhat = sg ? tf.mul(gy, sg) : gy;
          // dz = (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) / σ
          const dz = native
            ? nativeLayerNormGrad(native, dxhat, sxhat, srstd)
            : tf.mul(
                tf.sub(tf.sub(dxhat, tf.mean(dxhat, -1, true)), tf.mul(sxhat, tf.mean(tf.mul(dxhat, sxhat), -1, true))),
                srstd,
              );
          grads.push(tf.matMul(dz, sW, false, true)); // dx
          grads.push(tf.matMul(sx, dz, true, false)); // dW (per instance when batched)
          const sum = native ? sumRowsByMatMul : sumToShape;
          grads.push(sum(dz, bi.shape)); // db
          if (hasGamma) grads.push(sum(tf.mul(gy, sxhat), [sxhat.shape[sxhat.rank - 1]]));
          if (hasBeta) grads.push(sum(gy, [sxhat.shape[sxhat.rank - 1]]));
          return grads;
        }),
    };
  });
  return applyDenseOp(op, x, W, b, gamma, beta);
}

/** Calls a customGrad op of (x, W, b[, γ][, β]) with the affine inputs that are present. */
function applyDenseOp(op: unknown, x: tf.Tensor, W: tf.Tensor, b: tf.Tensor, gamma?: tf.Tensor, beta?: tf.Tensor): tf.Tensor {
  const inputs = [x, W, b];
  if (gamma) inputs.push(gamma);
  if (beta) inputs.push(beta);
  return (op as (...t: tf.Tensor[]) => tf.Tensor)(...inputs);
}

/**
 * The ReLU case (φ without affine; the pixel generator and hyper-MLPs with it) with our two TF kernels
 * (native/srn_ops.cc): the forward is the matMul plus one kernel for bias + LayerNorm + affine + ReLU, the
 * backward one kernel for the ReLU mask, LayerNorm and the bias/γ/β sums, then the two matMuls.
 * Saves z = x·W (pre-bias) and per-row mean and 1/σ.
 */
function denseLayerNormReluKernels(
  be: NonNullable<ReturnType<typeof fusedKernelBackend>>, x: tf.Tensor, W: tf.Tensor, b: tf.Tensor, eps: number, gamma?: tf.Tensor, beta?: tf.Tensor,
): tf.Tensor {
  const out = W.shape[W.rank - 1];
  const hasGamma = gamma !== undefined;
  const hasBeta = beta !== undefined;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [xi, Wi, bi] = args as tf.Tensor[];
    let k = 3;
    // The kernels take γ and β both [out] or both empty (no affine: a faster loop).
    const none = hasGamma && hasBeta ? undefined : tf.zeros([0]);
    const g = hasGamma ? (args[k++] as tf.Tensor) : hasBeta ? tf.ones([out]) : none!;
    const bt = hasBeta ? (args[k++] as tf.Tensor) : hasGamma ? tf.zeros([out]) : none!;
    const z = tf.matMul(xi, Wi);
    // Bias groups: one row of biases per instance ([B, 1, out]) or one shared row ([out] / [1, out]).
    const [value, mean, rstd] = fusedLayerNormRelu(be, z, bi, g, bt, eps);
    save([xi, Wi, z, bi, g, bt, mean, rstd]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [sx, sW, sz, sbias, sg, sbt, smean, srstd] = saved;
          const [dz, db, dgamma, dbeta] = fusedLayerNormReluGrad(be, dy, sz, sbias, sg, sbt, smean, srstd);
          const grads = [tf.matMul(dz, sW, false, true), tf.matMul(sx, dz, true, false), db];
          if (hasGamma) grads.push(dgamma);
          if (hasBeta) grads.push(dbeta);
          return grads;
        }),
    };
  });
  return applyDenseOp(op, x, W, b, gamma, beta);
}

/** Plain op-by-op LayerNorm over the last axis (biased variance), with optional affine gamma/beta. */
export function layerNorm(x: tf.Tensor, eps = 1e-5, gamma?: tf.Tensor, beta?: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const mean = tf.mean(x, -1, true);
    const xc = tf.sub(x, mean);
    const variance = tf.mean(tf.square(xc), -1, true);
    let y = tf.mul(xc, tf.rsqrt(tf.add(variance, eps)));
    if (gamma) y = tf.mul(y, gamma);
    if (beta) y = tf.add(y, beta);
    return y;
  });
}
