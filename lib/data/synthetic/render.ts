/**
 * Exact ray casting of an object's primitives: one ray per pixel through integer pixel coordinates
 * (u = column, v = row, no +0.5, spec/reference.md §2), nearest hit → label, colour, normal and
 * camera z-depth; Lambertian shading under the lights of the SRN ShapeNet renderer (see LIGHTS).
 * Ray directions are computed with exactly the arithmetic of `pixelRayDirection`, so re-casting a
 * pixel's ray from the written pose and intrinsics reproduces the renderer's hit bit for bit.
 */
import { archimedeanSpiralPoses, randomSpherePoses, type Intrinsics, type Mat4, type Vec3 } from '../../geometry/cameras';
import type { Rng } from '../../util/random';
import { OBJECT_RADIUS } from './object';
import { boundingRadius, hitNormal, intersectLocal, normalize, toLocal, type Primitive } from './primitives';

/** Distance of every camera from the origin (the object's centre). */
export const CAMERA_DISTANCE = 1.3;

/**
 * The SRN ShapeNet renderer (vsitzmann/shapenet_renderer, blender_interface.py) lights every object with
 * white environment light plus three shadowless, non-specular sun lamps: Blender's default lamp
 * (energy 1), a copy turned by 180 (radians, as written) about x (energy 1) and one turned by 90 (energy
 * 0.3). These are the directions towards those suns, from the default lamp's Euler angles (0.6503,
 * 0.0552, 1.8664), in our z-up world. Blender Internal's exact exposure is not reproduced: ambient and
 * diffuse are scaled so that a surface facing the main sun reaches white without clipping most colours.
 */
export const LIGHTS: readonly { direction: Vec3; energy: number }[] = [
  { direction: normalize([0.5664, 0.2184, 0.7947]), energy: 1 },
  { direction: normalize([-0.9567, -0.2908, 0.0087]), energy: 1 },
  { direction: normalize([0.4356, 0.0808, -0.8965]), energy: 0.3 },
];
export const AMBIENT = 0.5;
export const DIFFUSE = 0.5;

/** Ambient plus the Lambert terms of LIGHTS for a unit normal facing the camera. */
export function shading(nx: number, ny: number, nz: number): number {
  let s = AMBIENT;
  for (const { direction: d, energy } of LIGHTS) s += DIFFUSE * energy * Math.max(0, nx * d[0] + ny * d[1] + nz * d[2]);
  return s;
}

/**
 * Intrinsics of a side×side render: principal point at S/2 as in the official files, and a focal
 * length at which the object sphere (radius OBJECT_RADIUS at CAMERA_DISTANCE) fills most of the
 * frame but never leaves it in any view.
 */
export function syntheticIntrinsics(side: number): Intrinsics {
  if (!Number.isInteger(side) || side < 8) throw new Error(`synthetic data: resolution must be an integer ≥ 8, got ${side}`);
  const tanHalf = OBJECT_RADIUS / Math.sqrt(CAMERA_DISTANCE * CAMERA_DISTANCE - OBJECT_RADIUS * OBJECT_RADIUS);
  const f = Math.min(1.1 * side, Math.floor(((side / 2 - 1) / tanHalf) * 100) / 100);
  return { fx: f, fy: f, cx: side / 2, cy: side / 2, height: side, width: side };
}

/**
 * Camera poses of one instance: uniform on the whole sphere for train/val (the SRN renderer's
 * `sample_spherical` normalises 3D Gaussian draws, so views from below are as common as from above),
 * and the upper-hemisphere Archimedean spiral for test.
 */
export function syntheticPoses(split: 'train' | 'val' | 'test', count: number, rng: Rng): Mat4[] {
  if (split === 'test') return archimedeanSpiralPoses(count, CAMERA_DISTANCE);
  return randomSpherePoses(count, CAMERA_DISTANCE, () => rng.next(), -Math.PI / 2, Math.PI / 2);
}

export interface SyntheticView {
  /** H·W·4 bytes; background (0,0,0,0). */
  rgba: Uint8Array;
  /** H·W class ids, 0 = background. */
  labels: Uint8Array;
  /** H·W camera z-depths, 0 = background. */
  depth: Float32Array;
  /** H·W index of the primitive hit, −1 = background (for checks and statistics). */
  primitive: Int32Array;
}

/** Renders the primitives seen from `cam2world` with intrinsics `k` (image size k.height × k.width). */
export function renderView(prims: readonly Primitive[], cam2world: Mat4, k: Intrinsics): SyntheticView {
  const H = k.height;
  const W = k.width;
  const m = cam2world;
  const n = H * W;
  // Unit ray directions, as pixelRayDirection computes them (lift at depth 1, minus the centre, normalise).
  const dirs = new Float64Array(3 * n);
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      const x = ((u - k.cx) / k.fx) * 1;
      const y = ((v - k.cy) / k.fy) * 1;
      const z = 1;
      const ax = m[0] * x + m[1] * y + m[2] * z + m[3] - m[3];
      const ay = m[4] * x + m[5] * y + m[6] * z + m[7] - m[7];
      const az = m[8] * x + m[9] * y + m[10] * z + m[11] - m[11];
      const len = Math.hypot(ax, ay, az);
      const i = 3 * (v * W + u);
      dirs[i] = ax / len;
      dirs[i + 1] = ay / len;
      dirs[i + 2] = az / len;
    }
  }
  const tBuf = new Float64Array(n).fill(Infinity);
  const hit = new Int32Array(n).fill(-1);
  const nrm = new Float64Array(3 * n);
  const cx = m[3];
  const cy = m[7];
  const cz = m[11];
  for (let pi = 0; pi < prims.length; pi++) {
    const p = prims[pi];
    // Screen rectangle of the primitive's bounding sphere (1-pixel margin), in camera coordinates.
    const rx = p.center[0] - cx;
    const ry = p.center[1] - cy;
    const rz = p.center[2] - cz;
    const X = m[0] * rx + m[4] * ry + m[8] * rz;
    const Y = m[1] * rx + m[5] * ry + m[9] * rz;
    const Z = m[2] * rx + m[6] * ry + m[10] * rz;
    const br = boundingRadius(p) * (1 + 1e-9) + 1e-9;
    let u0 = 0;
    let u1 = W - 1;
    let v0 = 0;
    let v1 = H - 1;
    if (Z - br > 1e-6) {
      const span = (a: number, c: number, f: number, hi: number): [number, number] => {
        const theta = Math.atan2(a, Z);
        const alpha = Math.asin(br / Math.hypot(a, Z));
        const lo = Math.floor(c + f * Math.tan(theta - alpha)) - 1;
        const up = Math.ceil(c + f * Math.tan(theta + alpha)) + 1;
        return [Math.max(0, lo), Math.min(hi, up)];
      };
      [u0, u1] = span(X, k.cx, k.fx, W - 1);
      [v0, v1] = span(Y, k.cy, k.fy, H - 1);
    }
    if (u0 > u1 || v0 > v1) continue;
    const [ox, oy, oz] = toLocal(p, cx, cy, cz);
    const [a, b, c] = p.axes;
    const [sx, sy, sz] = p.size;
    for (let v = v0; v <= v1; v++) {
      for (let u = u0; u <= u1; u++) {
        const q = v * W + u;
        const wx = dirs[3 * q];
        const wy = dirs[3 * q + 1];
        const wz = dirs[3 * q + 2];
        const t = intersectLocal(
          p.kind,
          sx,
          sy,
          sz,
          ox,
          oy,
          oz,
          a[0] * wx + a[1] * wy + a[2] * wz,
          b[0] * wx + b[1] * wy + b[2] * wz,
          c[0] * wx + c[1] * wy + c[2] * wz,
        );
        if (t < tBuf[q]) {
          tBuf[q] = t;
          hit[q] = pi;
          const h0 = hitNormal[0];
          const h1 = hitNormal[1];
          const h2 = hitNormal[2];
          nrm[3 * q] = a[0] * h0 + b[0] * h1 + c[0] * h2;
          nrm[3 * q + 1] = a[1] * h0 + b[1] * h1 + c[1] * h2;
          nrm[3 * q + 2] = a[2] * h0 + b[2] * h1 + c[2] * h2;
        }
      }
    }
  }
  const rgba = new Uint8Array(4 * n);
  const labels = new Uint8Array(n);
  const depth = new Float32Array(n);
  for (let q = 0; q < n; q++) {
    const pi = hit[q];
    if (pi < 0) continue;
    const p = prims[pi];
    const dx = dirs[3 * q];
    const dy = dirs[3 * q + 1];
    const dz = dirs[3 * q + 2];
    let nx = nrm[3 * q];
    let ny = nrm[3 * q + 1];
    let nz = nrm[3 * q + 2];
    if (nx * dx + ny * dy + nz * dz > 0) {
      nx = -nx;
      ny = -ny;
      nz = -nz;
    }
    const shade = shading(nx, ny, nz);
    rgba[4 * q] = Math.min(255, Math.round(p.color[0] * shade));
    rgba[4 * q + 1] = Math.min(255, Math.round(p.color[1] * shade));
    rgba[4 * q + 2] = Math.min(255, Math.round(p.color[2] * shade));
    rgba[4 * q + 3] = 255;
    labels[q] = p.label;
    // Camera z of the hit point: t times the ray's component along the optical axis (column 2).
    depth[q] = tBuf[q] * (dx * m[2] + dy * m[6] + dz * m[10]);
  }
  return { rgba, labels, depth, primitive: hit };
}
