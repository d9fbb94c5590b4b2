/**
 * Cameras as plain numbers (no tensors): intrinsics files, 4×4 camera-to-world poses, look-at
 * poses and the camera paths the dataset and the experiments use.
 * Conventions (spec/reference.md §2): OpenCV camera (x right, y down, looks along +z), world z-up,
 * poses are camera-to-world, row-major 4×4.
 */

/** Row-major 4×4 matrix, 16 numbers. */
export type Mat4 = number[];
export type Vec3 = [number, number, number];

/** Pinhole intrinsics at a given image size (the official file has fx = fy = f). */
export interface Intrinsics {
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  /** Image height and width the intrinsics refer to. */
  height: number;
  width: number;
}

/** The parsed official `intrinsics.txt` (4 or 5 lines). */
export interface IntrinsicsFile {
  intrinsics: Intrinsics;
  /** Line 2, unused by the model. */
  gridBarycenter: Vec3;
  /** Line 3, unused by the model. */
  scale: number;
  /** Optional line 5, parsed and ignored, as in the reference. */
  world2cam?: boolean;
}

function numbersOf(line: string | undefined): number[] {
  if (line === undefined) return [];
  return line.trim().split(/\s+/).filter((s) => s.length > 0).map(Number);
}

/** Parses the official intrinsics format; `source` names the file in errors. */
export function parseIntrinsics(text: string, source = 'intrinsics.txt'): IntrinsicsFile {
  const lines = text.split(/\r?\n/).filter((l) => l.trim().length > 0);
  if (lines.length < 4) {
    throw new Error(`${source}: expected at least 4 lines ('f cx cy _', barycenter, scale, 'height width'), got ${lines.length}`);
  }
  const l1 = numbersOf(lines[0]);
  const l2 = numbersOf(lines[1]);
  const l3 = numbersOf(lines[2]);
  const l4 = numbersOf(lines[3]);
  const bad = (n: number, what: string): never => {
    throw new Error(`${source}: line ${n} should hold ${what}, got '${lines[n - 1].trim()}'`);
  };
  if (l1.length < 3 || l1.slice(0, 3).some((v) => !Number.isFinite(v))) bad(1, "'f cx cy' (3 or 4 numbers)");
  if (l2.length !== 3 || l2.some((v) => !Number.isFinite(v))) bad(2, 'the grid barycenter (3 numbers)');
  if (l3.length !== 1 || !Number.isFinite(l3[0])) bad(3, 'the scale (1 number)');
  if (l4.length !== 2 || l4.some((v) => !Number.isInteger(v) || v <= 0)) bad(4, "'height width' (2 positive integers)");
  if (!(l1[0] > 0)) bad(1, 'a positive focal length');
  const out: IntrinsicsFile = {
    intrinsics: { fx: l1[0], fy: l1[0], cx: l1[1], cy: l1[2], height: l4[0], width: l4[1] },
    gridBarycenter: [l2[0], l2[1], l2[2]],
    scale: l3[0],
  };
  if (lines.length >= 5) {
    const flag = lines[4].trim();
    out.world2cam = flag === '1' || flag.toLowerCase() === 'true';
  }
  return out;
}

/** Writes the official 4-line format. */
export function formatIntrinsics(k: Intrinsics): string {
  if (k.fx !== k.fy) throw new Error(`formatIntrinsics: the official format has one focal length, got fx=${k.fx} fy=${k.fy}`);
  return `${k.fx} ${k.cx} ${k.cy} 0.\n0. 0. 0.\n1.\n${k.height} ${k.width}\n`;
}

/**
 * Rescales intrinsics to a square side S as the reference does (no y inversion):
 * f' = f·S/H, cx' = cx·S/W, cy' = cy·S/H.
 */
export function rescaleIntrinsics(k: Intrinsics, side: number): Intrinsics {
  return {
    fx: (k.fx * side) / k.height,
    fy: (k.fy * side) / k.height,
    cx: (k.cx * side) / k.width,
    cy: (k.cy * side) / k.height,
    height: side,
    width: side,
  };
}

/** Parses a pose file: 16 numbers, as 4 lines of 4 or one line of 16 (row-major). */
export function parsePose(text: string, source = 'pose.txt', tolerance = 1e-3): Mat4 {
  const nums = numbersOf(text.replace(/[,\[\]]/g, ' '));
  if (nums.length !== 16) {
    throw new Error(`${source}: expected a 4×4 camera-to-world matrix (16 numbers), got ${nums.length} numbers`);
  }
  const bad = nums.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    const word = text.replace(/[,\[\]]/g, ' ').trim().split(/\s+/)[bad];
    throw new Error(`${source}: entry at row ${Math.floor(bad / 4) + 1}, column ${(bad % 4) + 1} is '${word}', expected a finite number (a 4×4 camera-to-world matrix)`);
  }
  const err = rigidError(nums);
  if (err > tolerance) {
    throw new Error(`${source}: not a rigid transform (rotation not orthonormal or last row not 0 0 0 1; error ${err.toExponential(2)})`);
  }
  return nums;
}

/** Max deviation of a 4×4 from a rigid transform: |RᵀR − I| and the last row vs [0 0 0 1]. */
export function rigidError(m: Mat4): number {
  let e = Math.max(Math.abs(m[12]), Math.abs(m[13]), Math.abs(m[14]), Math.abs(m[15] - 1));
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let dot = 0;
      for (let k = 0; k < 3; k++) dot += m[k * 4 + i] * m[k * 4 + j];
      e = Math.max(e, Math.abs(dot - (i === j ? 1 : 0)));
    }
  }
  const det =
    m[0] * (m[5] * m[10] - m[6] * m[9]) - m[1] * (m[4] * m[10] - m[6] * m[8]) + m[2] * (m[4] * m[9] - m[5] * m[8]);
  return Math.max(e, Math.abs(det - 1));
}

export function formatPose(m: Mat4): string {
  const rows: string[] = [];
  for (let r = 0; r < 4; r++) rows.push(m.slice(r * 4, r * 4 + 4).map((v) => v.toPrecision(9)).join(' '));
  return rows.join('\n') + '\n';
}

const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a: Vec3): number => Math.hypot(a[0], a[1], a[2]);
function normalize(a: Vec3): Vec3 {
  const n = norm(a);
  return [a[0] / n, a[1] / n, a[2] / n];
}

/**
 * Camera-to-world pose of an OpenCV camera at `eye` looking at `target`; `up` is the world up
 * (z). Columns: x = right, y = down, z = forward, then the eye position.
 */
export function lookAt(eye: Vec3, target: Vec3 = [0, 0, 0], up: Vec3 = [0, 0, 1]): Mat4 {
  const z = normalize(sub(target, eye));
  let xRaw = cross(z, up);
  // Looking straight along the up axis: any right vector perpendicular to z will do.
  if (norm(xRaw) < 1e-9) xRaw = cross(z, Math.abs(z[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0]);
  const x = normalize(xRaw);
  const y = cross(z, x);
  return [x[0], y[0], z[0], eye[0], x[1], y[1], z[1], eye[1], x[2], y[2], z[2], eye[2], 0, 0, 0, 1];
}

/** Camera position from spherical coordinates (z-up): azimuth from +x towards +y, elevation above the xy-plane. */
export function sphericalToCartesian(radius: number, azimuth: number, elevation: number): Vec3 {
  return [
    radius * Math.cos(elevation) * Math.cos(azimuth),
    radius * Math.cos(elevation) * Math.sin(azimuth),
    radius * Math.sin(elevation),
  ];
}

/**
 * `count` poses at random on a sphere of `radius` around the origin, looking at it, uniform in
 * area. `minElevation`/`maxElevation` (radians) restrict the band; default: the upper hemisphere.
 */
export function randomSpherePoses(
  count: number,
  radius: number,
  rand: () => number,
  minElevation = 0,
  maxElevation = Math.PI / 2,
): Mat4[] {
  const out: Mat4[] = [];
  const zLo = Math.sin(minElevation);
  const zHi = Math.sin(maxElevation);
  for (let i = 0; i < count; i++) {
    const az = 2 * Math.PI * rand();
    const el = Math.asin(zLo + (zHi - zLo) * rand());
    out.push(lookAt(sphericalToCartesian(radius, az, el)));
  }
  return out;
}

/**
 * The test-split camera path: an Archimedean spiral over the upper hemisphere, from the equator
 * towards the pole while winding around it, as the official test renders (251 views by default).
 * It stops short of the pole so every pose has a well-defined up direction.
 */
export function archimedeanSpiralPoses(count = 251, radius = 1.3, turns = 20 / (2 * Math.PI)): Mat4[] {
  const out: Mat4[] = [];
  for (let k = 0; k < count; k++) {
    const t = k / count; // in [0, 1): equator → just below the pole
    const elevation = (t * Math.PI) / 2;
    const azimuth = -2 * Math.PI * turns * t;
    out.push(lookAt(sphericalToCartesian(radius, azimuth, elevation)));
  }
  return out;
}

/**
 * The interpolation path (reference.md §7.1): `count` poses orbiting at `altitude` (radians),
 * azimuth a ∈ linspace(−π, π), camera at (r·cos(alt)·sin(a), r·cos(alt)·cos(a), r·sin(alt)).
 */
export function orbitPoses(count = 200, radius = 1.5, altitude = (22.5 * Math.PI) / 180): Mat4[] {
  const out: Mat4[] = [];
  for (let j = 0; j < count; j++) {
    const a = count === 1 ? -Math.PI : -Math.PI + (2 * Math.PI * j) / (count - 1);
    out.push(lookAt([radius * Math.cos(altitude) * Math.sin(a), radius * Math.cos(altitude) * Math.cos(a), radius * Math.sin(altitude)]));
  }
  return out;
}

/** Camera centre of a cam2world pose. */
export function cameraCenter(m: Mat4): Vec3 {
  return [m[3], m[7], m[11]];
}

/** Rigid inverse [Rᵀ | −Rᵀt] (world-to-camera). */
export function rigidInverse(m: Mat4): Mat4 {
  const r = (i: number, j: number) => m[i * 4 + j];
  const t: Vec3 = [m[3], m[7], m[11]];
  const out: Mat4 = new Array(16).fill(0);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) out[i * 4 + j] = r(j, i);
    out[i * 4 + 3] = -(r(0, i) * t[0] + r(1, i) * t[1] + r(2, i) * t[2]);
  }
  out[15] = 1;
  return out;
}

/** Applies a 4×4 to a point. */
export function transformPoint(m: Mat4, p: Vec3): Vec3 {
  return [
    m[0] * p[0] + m[1] * p[1] + m[2] * p[2] + m[3],
    m[4] * p[0] + m[5] * p[1] + m[6] * p[2] + m[7],
    m[8] * p[0] + m[9] * p[1] + m[10] * p[2] + m[11],
  ];
}

/** World point of pixel (u, v) = (column, row) at camera z-depth d (integer pixel indices, no +0.5). */
export function liftPixel(k: Intrinsics, cam2world: Mat4, u: number, v: number, depth: number): Vec3 {
  return transformPoint(cam2world, [((u - k.cx) / k.fx) * depth, ((v - k.cy) / k.fy) * depth, depth]);
}

/** Pixel (u, v) and camera z-depth of a world point. */
export function projectPoint(k: Intrinsics, cam2world: Mat4, p: Vec3): { u: number; v: number; depth: number } {
  const c = transformPoint(rigidInverse(cam2world), p);
  return { u: (c[0] / c[2]) * k.fx + k.cx, v: (c[1] / c[2]) * k.fy + k.cy, depth: c[2] };
}

/** Unit ray direction through pixel (u, v). */
export function pixelRayDirection(k: Intrinsics, cam2world: Mat4, u: number, v: number): Vec3 {
  return normalize(sub(liftPixel(k, cam2world, u, v, 1), cameraCenter(cam2world)));
}
