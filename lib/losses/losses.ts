/** The loss terms of spec/reference.md §3 and their weighted sum. */
import * as tf from '@tensorflow/tfjs';
import type { LossWeights } from '../config/types';

/** Plain MSE averaged over every element (B·R·4 on RGBA; the reference's misnamed `l1` term). */
export function imageLoss(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(pred, target)) as tf.Scalar);
}

/** Mean cross-entropy of logits [..., C] against integer labels [...], averaged over every pixel, background included. */
export function crossEntropyLoss(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const c = logits.shape[logits.rank - 1];
    const flat = logits.reshape([-1, c]);
    const lse = tf.logSumExp(flat, 1);
    const onehot = tf.oneHot(tf.cast(labels.reshape([-1]), 'int32'), c);
    const picked = tf.sum(tf.mul(flat, onehot), 1);
    return tf.mean(tf.sub(lse, picked)) as tf.Scalar;
  });
}

/** mean(z²) over the batch's codes (B·D elements). */
export function latentLoss(z: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.square(z)) as tf.Scalar);
}

/** 10,000 · mean(min(d, 0)²): penalises negative final depths only. */
export function depthLoss(depth: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mul(tf.mean(tf.square(tf.minimum(depth, 0))), 10_000) as tf.Scalar);
}

export interface LossTerms {
  img?: tf.Scalar;
  ce?: tf.Scalar;
  latent?: tf.Scalar;
  depth?: tf.Scalar;
}

/** Σ weight·term over the terms present with non-zero weight. */
export function weightedTotal(terms: LossTerms, w: LossWeights): tf.Scalar {
  return tf.tidy(() => {
    let total: tf.Scalar = tf.scalar(0);
    for (const k of ['img', 'ce', 'latent', 'depth'] as const) {
      const t = terms[k];
      if (t && w[k] !== 0) total = tf.add(total, tf.mul(t, w[k]));
    }
    return total;
  });
}
