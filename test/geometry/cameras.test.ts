import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  archimedeanSpiralPoses, cameraCenter, formatIntrinsics, formatPose, liftPixel, lookAt, orbitPoses,
  parseIntrinsics, parsePose, pixelRayDirection, projectPoint, randomSpherePoses, rescaleIntrinsics,
  rigidError, rigidInverse, transformPoint, type Intrinsics, type Vec3,
} from '../../lib/geometry/cameras';
import { Rng } from '../../lib/util/random';

const close = (a: number, b: number, tol = 1e-9, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);
const K: Intrinsics = { fx: 100, fy: 100, cx: 32, cy: 32, height: 64, width: 64 };

test('parseIntrinsics reads the official 4-line format and the optional 5th line', () => {
  const f = parseIntrinsics('131.25 64. 64. 0.\n0. 0. 0.\n1.\n128 128\n');
  assert.deepEqual(f.intrinsics, { fx: 131.25, fy: 131.25, cx: 64, cy: 64, height: 128, width: 128 });
  assert.equal(f.world2cam, undefined);
  assert.equal(parseIntrinsics('1 2 3 0\n0 0 0\n1\n4 4\n1\n').world2cam, true);
  assert.deepEqual(parseIntrinsics(formatIntrinsics(K)).intrinsics, K);
});

test('parseIntrinsics names the file and the line that is wrong', () => {
  assert.throws(() => parseIntrinsics('1 2 3 0\n0 0 0\n1\n', 'a/intrinsics.txt'), /a\/intrinsics\.txt: expected at least 4 lines/);
  assert.throws(() => parseIntrinsics('1 2\n0 0 0\n1\n4 4\n', 'k.txt'), /k\.txt: line 1/);
  assert.throws(() => parseIntrinsics('1 2 3\n0 0 0\n1\n4 x\n', 'k.txt'), /k\.txt: line 4 .*height width/);
});

test('rescaleIntrinsics scales f and cy by S/H and cx by S/W', () => {
  const k = rescaleIntrinsics({ fx: 131.25, fy: 131.25, cx: 64, cy: 60, height: 128, width: 160 }, 64);
  close(k.fx, 65.625);
  close(k.cx, 25.6);
  close(k.cy, 30);
  assert.equal(k.height, 64);
});

test('lookAt gives an OpenCV camera: +z towards the target, y down in a z-up world, rigid', () => {
  const m = lookAt([0, -2, 0]);
  assert.ok(rigidError(m) < 1e-12);
  // forward (column 2) points from the eye to the origin: +y
  close(m[2], 0); close(m[6], 1); close(m[10], 0);
  // right (column 0) is +x, down (column 1) is −z
  close(m[0], 1); close(m[4], 0); close(m[8], 0);
  close(m[9], -1);
  // straight down the up axis still gives a rigid pose
  assert.ok(rigidError(lookAt([0, 0, 3])) < 1e-12);
});

test('a pixel lifted to depth d and projected back lands on itself', () => {
  const pose = lookAt([1.1, -0.7, 0.6]);
  for (const [u, v, d] of [[0, 0, 0.5], [17, 40, 1.3], [63, 63, 2.0], [32, 32, 0.05]]) {
    const p = liftPixel(K, pose, u, v, d);
    const back = projectPoint(K, pose, p);
    close(back.u, u, 1e-9, 'u');
    close(back.v, v, 1e-9, 'v');
    close(back.depth, d, 1e-12, 'depth');
  }
});

test('hand-computed lift: identity pose, pixel (cx+f, cy) at depth 2 is (2, 0, 2)', () => {
  const id = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  assert.deepEqual(liftPixel(K, id, 132, 32, 2), [2, 0, 2]);
  assert.deepEqual(liftPixel(K, id, 32, 132, 1), [0, 1, 1]);
});

test("the camera centre's depth is 0 and the centre pixel's ray is the view axis", () => {
  const pose = lookAt([0.3, 1.2, 0.9]);
  close(projectPoint(K, pose, cameraCenter(pose)).depth, 0, 1e-12);
  const dir = pixelRayDirection(K, pose, K.cx, K.cy);
  close(dir[0], pose[2], 1e-12); close(dir[1], pose[6], 1e-12); close(dir[2], pose[10], 1e-12);
});

test('rigidInverse inverts a pose', () => {
  const pose = lookAt([0.4, -1, 0.7]);
  const p: Vec3 = [0.1, 0.2, -0.3];
  const q = transformPoint(rigidInverse(pose), transformPoint(pose, p));
  q.forEach((x, i) => close(x, p[i], 1e-12));
});

test('the test spiral has 251 rigid poses at one radius, all looking at the origin, over the upper hemisphere', () => {
  const poses = archimedeanSpiralPoses();
  assert.equal(poses.length, 251);
  let maxZ = 0;
  for (const m of poses) {
    assert.ok(rigidError(m) < 1e-9);
    const c = cameraCenter(m);
    close(Math.hypot(...c), 1.3, 1e-9, 'radius');
    const toOrigin = c.map((x) => -x / Math.hypot(...c));
    const cos = toOrigin[0] * m[2] + toOrigin[1] * m[6] + toOrigin[2] * m[10];
    close(cos, 1, 1e-9, 'view axis · direction to origin');
    assert.ok(c[2] >= -1e-12);
    maxZ = Math.max(maxZ, c[2]);
  }
  assert.ok(maxZ > 1.29, 'spiral reaches near the pole');
  assert.equal(new Set(poses.map((m) => m.join(','))).size, 251, 'all poses distinct');
});

test('random sphere poses are seeded, at the radius, and in the requested band', () => {
  const a = randomSpherePoses(50, 1.5, (() => { const r = new Rng(3); return () => r.next(); })());
  const b = randomSpherePoses(50, 1.5, (() => { const r = new Rng(3); return () => r.next(); })());
  assert.deepEqual(a, b);
  for (const m of a) {
    close(Math.hypot(...cameraCenter(m)), 1.5, 1e-9);
    assert.ok(cameraCenter(m)[2] >= 0);
  }
});

test('orbitPoses follows the interpolation path of the reference', () => {
  const poses = orbitPoses(200, 1.5, (22.5 * Math.PI) / 180);
  assert.equal(poses.length, 200);
  const c0 = cameraCenter(poses[0]);
  close(c0[0], 0, 1e-9); // sin(−π)·…
  close(c0[1], -1.5 * Math.cos((22.5 * Math.PI) / 180), 1e-9);
  close(c0[2], 1.5 * Math.sin((22.5 * Math.PI) / 180), 1e-9);
});

test('parsePose accepts 4 lines or one line of 16, rejects wrong counts and non-rigid matrices', () => {
  const m = lookAt([1, 1, 1]);
  assert.deepEqual(parsePose(formatPose(m)).map((x) => +x.toFixed(6)), m.map((x) => +x.toFixed(6)));
  assert.equal(parsePose(m.join(' ')).length, 16);
  assert.throws(() => parsePose('1 0 0 0\n0 1 0 0\n0 0 1 0\n', 'p/000001.txt'), /p\/000001\.txt: expected a 4×4 .*got 12 numbers/);
  assert.throws(() => parsePose('2 0 0 0 0 1 0 0 0 0 1 0 0 0 0 1', 'p.txt'), /p\.txt: not a rigid transform/);
});
