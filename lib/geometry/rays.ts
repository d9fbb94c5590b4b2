/**
 * Batched ray geometry as tensors, in the layout the model consumes: every per-pixel tensor is
 * [B, N, ch] with pixels flattened row-major (k = row·S + col), pixel coordinates the integer
 * indices u = col, v = row (no +0.5), as in the reference (spec/reference.md §2).
 */
import * as tf from '@tensorflow/tfjs';
import type { Intrinsics, Mat4 } from './cameras';

/** Per-image intrinsics packed as [B, 4] = (fx, fy, cx, cy). */
export type IntrinsicsTensor = tf.Tensor2D;
/** Camera-to-world poses [B, 4, 4]. */
export type PoseTensor = tf.Tensor3D;

export interface RayBundle {
  /** Camera centres broadcast per ray, [B, N, 3]. */
  origins: tf.Tensor3D;
  /** Unit directions, [B, N, 3]. */
  directions: tf.Tensor3D;
}

/** [S·S, 2] float32 (u, v) = (col, row), row-major. */
export function pixelGrid(side: number): tf.Tensor2D {
  const out = new Float32Array(side * side * 2);
  for (let r = 0; r < side; r++) {
    for (let c = 0; c < side; c++) {
      out[(r * side + c) * 2] = c;
      out[(r * side + c) * 2 + 1] = r;
    }
  }
  return tf.tensor2d(out, [side * side, 2]);
}

export function intrinsicsTensor(ks: Intrinsics[]): IntrinsicsTensor {
  return tf.tensor2d(ks.flatMap((k) => [k.fx, k.fy, k.cx, k.cy]), [ks.length, 4]);
}

export function poseTensor(poses: Mat4[]): PoseTensor {
  for (const [i, p] of poses.entries()) {
    if (p.length !== 16) throw new Error(`poseTensor: pose ${i} has ${p.length} numbers, expected 16`);
  }
  return tf.tensor3d(poses.flat(), [poses.length, 4, 4]);
}

function expandUv(uv: tf.Tensor, batch: number): tf.Tensor3D {
  return (uv.rank === 2 ? uv.expandDims(0).tile([batch, 1, 1]) : uv) as tf.Tensor3D;
}

/**
 * World points of pixels at camera z-depths.
 * uv: [N, 2] (shared) or [B, N, 2]; depth: a number, [B, N] or [B, N, 1]; returns [B, N, 3].
 */
export function liftPixels(
  uv: tf.Tensor2D | tf.Tensor3D,
  depth: number | tf.Tensor,
  intrinsics: IntrinsicsTensor,
  cam2world: PoseTensor,
): tf.Tensor3D {
  return tf.tidy(() => {
    const b = cam2world.shape[0];
    const uvb = expandUv(uv, b);
    const n = uvb.shape[1];
    const k = intrinsics.reshape([b, 1, 4]);
    const f = k.slice([0, 0, 0], [b, 1, 2]);
    const c = k.slice([0, 0, 2], [b, 1, 2]);
    const d = typeof depth === 'number' ? tf.fill([b, n, 1], depth) : depth.reshape([b, n, 1]);
    const xy = uvb.sub(c).div(f).mul(d); // [B,N,2]
    const camPts = tf.concat([xy, d], 2); // [B,N,3]
    const r = cam2world.slice([0, 0, 0], [b, 3, 3]);
    const t = cam2world.slice([0, 0, 3], [b, 3, 1]).reshape([b, 1, 3]);
    return tf.matMul(camPts, r, false, true).add(t) as tf.Tensor3D;
  });
}

/** Camera centres [B, 3]. */
export function cameraCenters(cam2world: PoseTensor): tf.Tensor2D {
  return tf.tidy(() => cam2world.slice([0, 0, 3], [cam2world.shape[0], 3, 1]).reshape([cam2world.shape[0], 3]) as tf.Tensor2D);
}

/** Unit ray directions [B, N, 3]: normalize(lift(uv, 1) − camera centre). */
export function rayDirections(uv: tf.Tensor2D | tf.Tensor3D, intrinsics: IntrinsicsTensor, cam2world: PoseTensor): tf.Tensor3D {
  return tf.tidy(() => {
    const b = cam2world.shape[0];
    const p = liftPixels(uv, 1, intrinsics, cam2world);
    const dir = p.sub(cameraCenters(cam2world).reshape([b, 1, 3]));
    return dir.div(dir.norm('euclidean', 2, true)) as tf.Tensor3D;
  });
}

export function rayBundle(uv: tf.Tensor2D | tf.Tensor3D, intrinsics: IntrinsicsTensor, cam2world: PoseTensor): RayBundle {
  return tf.tidy(() => {
    const directions = rayDirections(uv, intrinsics, cam2world);
    const [b, n] = directions.shape;
    const origins = cameraCenters(cam2world).reshape([b, 1, 3]).tile([1, n, 1]) as tf.Tensor3D;
    return { origins, directions };
  });
}

/**
 * Camera z-depth of world points [B, N, 3] → [B, N]: the third component of the rigid inverse
 * applied to p, i.e. r₃ᵀ(p − t) with r₃ the camera's z axis (third column of R).
 */
export function cameraDepth(points: tf.Tensor3D, cam2world: PoseTensor): tf.Tensor2D {
  return tf.tidy(() => {
    const b = cam2world.shape[0];
    const zAxis = cam2world.slice([0, 0, 2], [b, 3, 1]); // [B,3,1]
    const t = cam2world.slice([0, 0, 3], [b, 3, 1]).reshape([b, 1, 3]);
    return tf.matMul(points.sub(t), zAxis).squeeze([2]) as tf.Tensor2D;
  });
}

/** World points [B, N, 3] → pixel coordinates [B, N, 2] (u, v). */
export function projectPoints(points: tf.Tensor3D, intrinsics: IntrinsicsTensor, cam2world: PoseTensor): tf.Tensor3D {
  return tf.tidy(() => {
    const b = cam2world.shape[0];
    const r = cam2world.slice([0, 0, 0], [b, 3, 3]);
    const t = cam2world.slice([0, 0, 3], [b, 3, 1]).reshape([b, 1, 3]);
    const cam = tf.matMul(points.sub(t), r); // (p − t)·R = (Rᵀ(p − t))ᵀ
    const xy = cam.slice([0, 0, 0], [b, -1, 2]).div(cam.slice([0, 0, 2], [b, -1, 1]));
    const k = intrinsics.reshape([b, 1, 4]);
    return xy.mul(k.slice([0, 0, 0], [b, 1, 2])).add(k.slice([0, 0, 2], [b, 1, 2])) as tf.Tensor3D;
  });
}
