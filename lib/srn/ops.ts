/** Small differentiable building blocks of the SRN: dense layers, the LSTM cell and the gradient clamp. */
import * as tf from '@tensorflow/tfjs';
import { denseLayerNormRelu } from '../backend/fused_dense';
import type { DenseParams, LayerNormParams } from './params';

/** x·W + b for x [N, in] (or [B, R, in] with shared W, flattened internally). */
export function dense(x: tf.Tensor, p: DenseParams): tf.Tensor {
  if (x.rank === 2) return tf.add(tf.matMul(x as tf.Tensor2D, p.W as tf.Tensor2D), p.b);
  const shape = x.shape;
  const flat = x.reshape([-1, shape[shape.length - 1] as number]) as tf.Tensor2D;
  const y = tf.add(tf.matMul(flat, p.W as tf.Tensor2D), p.b);
  return y.reshape([...shape.slice(0, -1), p.W.shape[1] as number]);
}

/** relu(LN(x·W + b)) with optional affine LN, through the fused custom-gradient op; any leading shape. */
export function denseLnRelu(x: tf.Tensor, p: DenseParams, ln: LayerNormParams | undefined, eps: number): tf.Tensor {
  const shape = x.shape;
  const flat = x.rank === 2 ? x : x.reshape([-1, shape[shape.length - 1] as number]);
  const y = denseLayerNormRelu(flat, p.W, p.b, { eps, gamma: ln?.gamma, beta: ln?.beta, relu: true });
  return x.rank === 2 ? y : y.reshape([...shape.slice(0, -1), p.W.shape[1] as number]);
}

const clampCache = new Map<number, (x: tf.Tensor) => tf.Tensor>();

/**
 * Identity in the forward pass; the backward pass clips the incoming gradient element-wise to
 * [−limit, limit] (the reference's tensor hook on the LSTM hidden state, pitfall 2).
 */
export function clampGradient(x: tf.Tensor, limit: number): tf.Tensor {
  let f = clampCache.get(limit);
  if (!f) {
    f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
      value: tf.clone(args[0] as tf.Tensor),
      gradFunc: (dy: tf.Tensor) => tf.clipByValue(dy, -limit, limit),
    })) as (x: tf.Tensor) => tf.Tensor;
    clampCache.set(limit, f);
  }
  return f(x);
}

export interface LstmParams {
  /** [in, 4H], x·W layout; gate blocks in PyTorch order (input, forget, cell, output). */
  Wih: tf.Variable;
  /** [H, 4H]. */
  Whh: tf.Variable;
  bih: tf.Variable;
  bhh: tf.Variable;
}

/**
 * One PyTorch `LSTMCell` step: gates = x·Wih + bih + h·Whh + bhh split as (i, f, g, o);
 * c' = σ(f)·c + σ(i)·tanh(g); h' = σ(o)·tanh(c'). Returns [h', c'].
 */
export function lstmCell(x: tf.Tensor2D, h: tf.Tensor2D, c: tf.Tensor2D, p: LstmParams): [tf.Tensor2D, tf.Tensor2D] {
  const gates = tf.add(tf.add(tf.matMul(x, p.Wih as tf.Tensor2D), p.bih), tf.add(tf.matMul(h, p.Whh as tf.Tensor2D), p.bhh));
  const [gi, gf, gg, go] = tf.split(gates, 4, 1);
  const c2 = tf.add(tf.mul(tf.sigmoid(gf), c), tf.mul(tf.sigmoid(gi), tf.tanh(gg))) as tf.Tensor2D;
  const h2 = tf.mul(tf.sigmoid(go), tf.tanh(c2)) as tf.Tensor2D;
  return [h2, c2];
}
