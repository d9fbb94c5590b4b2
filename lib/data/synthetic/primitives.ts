/**
 * The solids procedural objects are made of — boxes, cylinders and capsules in any orientation —
 * with exact ray intersection (for rendering) and signed distance (for tests and checks).
 * Every primitive carries one part label and one colour.
 */
import type { Vec3 } from '../../geometry/cameras';

export type PrimitiveKind = 'box' | 'cylinder' | 'capsule';

/** An 8-bit sRGB colour. */
export type Rgb = [number, number, number];

/**
 * A solid in its local frame, placed by world = center + axes·local.
 * - box: half extents `size` along the local axes;
 * - cylinder: radius `size[0]`, half height `size[2]` along local z;
 * - capsule: radius `size[0]`, half length `size[2]` of its core segment along local z.
 */
export interface Primitive {
  kind: PrimitiveKind;
  center: Vec3;
  /** The local x, y, z axes in world coordinates (orthonormal, right-handed): the rotation's columns. */
  axes: [Vec3, Vec3, Vec3];
  size: Vec3;
  label: number;
  color: Rgb;
}

// ---------------------------------------------------------------------------------------------
// small vector helpers

export const add = (a: Vec3, b: Vec3): Vec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
export const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
export const scale = (a: Vec3, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];
export const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
export const length = (a: Vec3): number => Math.sqrt(dot(a, a));
export const normalize = (a: Vec3): Vec3 => scale(a, 1 / length(a));

export const IDENTITY_AXES: [Vec3, Vec3, Vec3] = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
];

/** Axes of a rotation by `angle` about world x (then z, if given): columns of Rz·Rx. */
export function rotationAxes(angleX: number, angleZ = 0): [Vec3, Vec3, Vec3] {
  const cx = Math.cos(angleX);
  const sx = Math.sin(angleX);
  const cz = Math.cos(angleZ);
  const sz = Math.sin(angleZ);
  const rz = (v: Vec3): Vec3 => [cz * v[0] - sz * v[1], sz * v[0] + cz * v[1], v[2]];
  return [rz([1, 0, 0]), rz([0, cx, sx]), rz([0, -sx, cx])];
}

/** Orthonormal axes whose z is `dir`; x is as close to `hintX` as possible. */
export function axesAlong(dir: Vec3, hintX: Vec3 = [1, 0, 0]): [Vec3, Vec3, Vec3] {
  const z = normalize(dir);
  let x = sub(hintX, scale(z, dot(hintX, z)));
  if (length(x) < 1e-6) {
    const alt: Vec3 = Math.abs(z[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
    x = sub(alt, scale(z, dot(alt, z)));
  }
  x = normalize(x);
  return [x, cross(z, x), z];
}

// ---------------------------------------------------------------------------------------------
// constructors

export function box(center: Vec3, half: Vec3, label: number, color: Rgb, axes = IDENTITY_AXES): Primitive {
  return { kind: 'box', center, axes, size: [half[0], half[1], half[2]], label, color };
}

/** A box from `a` to `b` (its local z), with half cross-section `halfX`×`halfY`; local x near `hintX`. */
export function beam(a: Vec3, b: Vec3, halfX: number, halfY: number, label: number, color: Rgb, hintX: Vec3 = [1, 0, 0]): Primitive {
  const d = sub(b, a);
  return box(scale(add(a, b), 0.5), [halfX, halfY, length(d) / 2], label, color, axesAlong(d, hintX));
}

/** A cylinder with its axis from `a` to `b`. */
export function cylinderBetween(a: Vec3, b: Vec3, radius: number, label: number, color: Rgb): Primitive {
  const d = sub(b, a);
  return { kind: 'cylinder', center: scale(add(a, b), 0.5), axes: axesAlong(d), size: [radius, radius, length(d) / 2], label, color };
}

/** An upright cylinder centred at `center`. */
export function cylinder(center: Vec3, radius: number, halfHeight: number, label: number, color: Rgb): Primitive {
  return { kind: 'cylinder', center, axes: IDENTITY_AXES, size: [radius, radius, halfHeight], label, color };
}

/** A capsule around the segment `a`–`b` (a sphere when a = b). */
export function capsule(a: Vec3, b: Vec3, radius: number, label: number, color: Rgb): Primitive {
  const d = sub(b, a);
  const axes = length(d) < 1e-12 ? IDENTITY_AXES : axesAlong(d);
  return { kind: 'capsule', center: scale(add(a, b), 0.5), axes, size: [radius, radius, length(d) / 2], label, color };
}

// ---------------------------------------------------------------------------------------------
// bounds and transforms

/** Radius of a sphere around `center` that holds the primitive. */
export function boundingRadius(p: Primitive): number {
  const [a, b, c] = p.size;
  if (p.kind === 'box') return Math.sqrt(a * a + b * b + c * c);
  if (p.kind === 'cylinder') return Math.sqrt(a * a + c * c);
  return a + c;
}

/** Exact world-axis-aligned bounds: [min, max]. */
export function aabb(p: Primitive): [Vec3, Vec3] {
  const lo: Vec3 = [0, 0, 0];
  const hi: Vec3 = [0, 0, 0];
  const [ax, ay, az] = p.axes;
  for (let i = 0; i < 3; i++) {
    let ext: number;
    if (p.kind === 'box') {
      ext = p.size[0] * Math.abs(ax[i]) + p.size[1] * Math.abs(ay[i]) + p.size[2] * Math.abs(az[i]);
    } else if (p.kind === 'cylinder') {
      ext = p.size[2] * Math.abs(az[i]) + p.size[0] * Math.sqrt(Math.max(0, 1 - az[i] * az[i]));
    } else {
      ext = p.size[2] * Math.abs(az[i]) + p.size[0];
    }
    lo[i] = p.center[i] - ext;
    hi[i] = p.center[i] + ext;
  }
  return [lo, hi];
}

/** world → s·(world − offset), applied to a primitive. */
export function translateScale(p: Primitive, offset: Vec3, s: number): Primitive {
  return { ...p, center: scale(sub(p.center, offset), s), size: scale(p.size, s) };
}

// ---------------------------------------------------------------------------------------------
// ray intersection, in the primitive's local frame

/** Scratch output of `intersectLocal`: the local-frame normal of the nearest hit. */
export const hitNormal = new Float64Array(3);

/**
 * Entry distance t > 0 of the ray o + t·d (local frame, d unit) into the primitive, or Infinity;
 * on a hit, `hitNormal` holds the outward local normal there. Rays starting inside a primitive
 * report no hit (cameras are always outside the objects).
 */
export function intersectLocal(
  kind: PrimitiveKind,
  sx: number,
  sy: number,
  sz: number,
  ox: number,
  oy: number,
  oz: number,
  dx: number,
  dy: number,
  dz: number,
): number {
  if (kind === 'box') {
    // Slabs: entry = the latest entry over the three axes.
    let tn = -Infinity;
    let tf = Infinity;
    let axis = -1;
    let sign = 0;
    // x
    if (dx !== 0) {
      const inv = 1 / dx;
      let t0 = (-sx - ox) * inv;
      let t1 = (sx - ox) * inv;
      let s = -1;
      if (t0 > t1) {
        const tmp = t0;
        t0 = t1;
        t1 = tmp;
        s = 1;
      }
      if (t0 > tn) {
        tn = t0;
        axis = 0;
        sign = s;
      }
      if (t1 < tf) tf = t1;
    } else if (ox < -sx || ox > sx) return Infinity;
    // y
    if (dy !== 0) {
      const inv = 1 / dy;
      let t0 = (-sy - oy) * inv;
      let t1 = (sy - oy) * inv;
      let s = -1;
      if (t0 > t1) {
        const tmp = t0;
        t0 = t1;
        t1 = tmp;
        s = 1;
      }
      if (t0 > tn) {
        tn = t0;
        axis = 1;
        sign = s;
      }
      if (t1 < tf) tf = t1;
    } else if (oy < -sy || oy > sy) return Infinity;
    // z
    if (dz !== 0) {
      const inv = 1 / dz;
      let t0 = (-sz - oz) * inv;
      let t1 = (sz - oz) * inv;
      let s = -1;
      if (t0 > t1) {
        const tmp = t0;
        t0 = t1;
        t1 = tmp;
        s = 1;
      }
      if (t0 > tn) {
        tn = t0;
        axis = 2;
        sign = s;
      }
      if (t1 < tf) tf = t1;
    } else if (oz < -sz || oz > sz) return Infinity;
    if (tn > tf || tn <= 0 || axis < 0) return Infinity;
    hitNormal[0] = axis === 0 ? sign : 0;
    hitNormal[1] = axis === 1 ? sign : 0;
    hitNormal[2] = axis === 2 ? sign : 0;
    return tn;
  }
  const r = sx;
  if (kind === 'cylinder') {
    // Infinite cylinder ∩ z-slab, both convex: entry = max of the two entries.
    const a = dx * dx + dy * dy;
    const b = ox * dx + oy * dy;
    const c = ox * ox + oy * oy - r * r;
    let t0: number;
    let t1: number;
    if (a > 1e-18) {
      const disc = b * b - a * c;
      if (disc < 0) return Infinity;
      const q = Math.sqrt(disc);
      t0 = (-b - q) / a;
      t1 = (-b + q) / a;
    } else {
      if (c > 0) return Infinity;
      t0 = -Infinity;
      t1 = Infinity;
    }
    let z0: number;
    let z1: number;
    if (dz !== 0) {
      z0 = (-sz - oz) / dz;
      z1 = (sz - oz) / dz;
      if (z0 > z1) {
        const tmp = z0;
        z0 = z1;
        z1 = tmp;
      }
    } else {
      if (oz < -sz || oz > sz) return Infinity;
      z0 = -Infinity;
      z1 = Infinity;
    }
    const tn = t0 > z0 ? t0 : z0;
    const tf = t1 < z1 ? t1 : z1;
    if (tn > tf || tn <= 0) return Infinity;
    if (t0 > z0) {
      hitNormal[0] = (ox + tn * dx) / r;
      hitNormal[1] = (oy + tn * dy) / r;
      hitNormal[2] = 0;
    } else {
      hitNormal[0] = 0;
      hitNormal[1] = 0;
      hitNormal[2] = dz > 0 ? -1 : 1;
    }
    return tn;
  }
  // capsule: the body cylinder within |z| ≤ h, or either end sphere; the nearest entry wins.
  const h = sz;
  let best = Infinity;
  let nx = 0;
  let ny = 0;
  let nz = 0;
  const a = dx * dx + dy * dy;
  if (a > 1e-18) {
    const b = ox * dx + oy * dy;
    const c = ox * ox + oy * oy - r * r;
    const disc = b * b - a * c;
    if (disc >= 0) {
      const t = (-b - Math.sqrt(disc)) / a;
      const z = oz + t * dz;
      if (t > 0 && z >= -h && z <= h) {
        best = t;
        nx = (ox + t * dx) / r;
        ny = (oy + t * dy) / r;
        nz = 0;
      }
    }
  }
  for (let e = -1; e <= 1; e += 2) {
    const cz = e * h;
    const pz = oz - cz;
    const b = ox * dx + oy * dy + pz * dz;
    const c = ox * ox + oy * oy + pz * pz - r * r;
    const disc = b * b - c;
    if (disc < 0) continue;
    const t = -b - Math.sqrt(disc);
    if (t > 0 && t < best) {
      best = t;
      nx = (ox + t * dx) / r;
      ny = (oy + t * dy) / r;
      nz = (pz + t * dz) / r;
    }
  }
  if (best === Infinity) return Infinity;
  hitNormal[0] = nx;
  hitNormal[1] = ny;
  hitNormal[2] = nz;
  return best;
}

/** World point → the primitive's local frame. */
export function toLocal(p: Primitive, x: number, y: number, z: number): Vec3 {
  const rx = x - p.center[0];
  const ry = y - p.center[1];
  const rz = z - p.center[2];
  const [a, b, c] = p.axes;
  return [a[0] * rx + a[1] * ry + a[2] * rz, b[0] * rx + b[1] * ry + b[2] * rz, c[0] * rx + c[1] * ry + c[2] * rz];
}

/** World direction → the primitive's local frame. */
export function dirToLocal(p: Primitive, x: number, y: number, z: number): Vec3 {
  const [a, b, c] = p.axes;
  return [a[0] * x + a[1] * y + a[2] * z, b[0] * x + b[1] * y + b[2] * z, c[0] * x + c[1] * y + c[2] * z];
}

/** Entry distance of a world ray (unit direction) into `p`, or Infinity. */
export function intersectPrimitive(p: Primitive, origin: Vec3, dir: Vec3): number {
  const o = toLocal(p, origin[0], origin[1], origin[2]);
  const d = dirToLocal(p, dir[0], dir[1], dir[2]);
  return intersectLocal(p.kind, p.size[0], p.size[1], p.size[2], o[0], o[1], o[2], d[0], d[1], d[2]);
}

/**
 * Nearest primitive along a world ray by brute force (no culling): index into `prims` and t, or
 * index −1. Ties go to the earlier primitive, as in the renderer.
 */
export function castRay(prims: readonly Primitive[], origin: Vec3, dir: Vec3): { index: number; t: number } {
  let index = -1;
  let t = Infinity;
  for (let i = 0; i < prims.length; i++) {
    const ti = intersectPrimitive(prims[i], origin, dir);
    if (ti < t) {
      t = ti;
      index = i;
    }
  }
  return { index, t };
}

/** Signed distance from a world point to the primitive's surface (negative inside). */
export function signedDistance(p: Primitive, point: Vec3): number {
  const [x, y, z] = toLocal(p, point[0], point[1], point[2]);
  const [a, , c] = p.size;
  if (p.kind === 'box') {
    const qx = Math.abs(x) - p.size[0];
    const qy = Math.abs(y) - p.size[1];
    const qz = Math.abs(z) - p.size[2];
    const outside = Math.hypot(Math.max(qx, 0), Math.max(qy, 0), Math.max(qz, 0));
    return outside + Math.min(Math.max(qx, qy, qz), 0);
  }
  if (p.kind === 'cylinder') {
    const dr = Math.hypot(x, y) - a;
    const dzz = Math.abs(z) - c;
    return Math.min(Math.max(dr, dzz), 0) + Math.hypot(Math.max(dr, 0), Math.max(dzz, 0));
  }
  const zc = Math.min(Math.max(z, -c), c);
  return Math.hypot(x, y, z - zc) - a;
}
