/** Tensor-side helpers: logits → class ids on the device, then to host typed arrays for the metrics. */
import * as tf from '@tensorflow/tfjs';

/** argmax over the last axis, int32, same leading shape. */
export function argmaxLabels(logits: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.argMax(logits, -1).toInt());
}

/**
 * Logits [N, P, C] (or [P, C]) → N host label maps of P ids each. The input is not disposed.
 */
export async function logitsToLabelMaps(logits: tf.Tensor): Promise<Int32Array[]> {
  if (logits.rank !== 2 && logits.rank !== 3) {
    throw new Error(`logitsToLabelMaps: expected logits [P, C] or [N, P, C], got shape [${logits.shape}]`);
  }
  const labels = argmaxLabels(logits);
  try {
    const data = (await labels.data()) as Int32Array;
    const n = logits.rank === 3 ? logits.shape[0] : 1;
    const p = (logits.rank === 3 ? logits.shape[1] : logits.shape[0]) as number;
    return Array.from({ length: n }, (_, i) => data.slice(i * p, (i + 1) * p));
  } finally {
    labels.dispose();
  }
}
