import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend, maxAbsDiff } from '../helpers/tf';
import { lookAt, liftPixel, pixelRayDirection, type Intrinsics } from '../../lib/geometry/cameras';
import {
  cameraDepth, intrinsicsTensor, liftPixels, pixelGrid, poseTensor, projectPoints, rayBundle, rayDirections,
} from '../../lib/geometry/rays';

before(() => useBackend('cpu'));
const K: Intrinsics = { fx: 40, fy: 40, cx: 8, cy: 8, height: 16, width: 16 };
const poses = [lookAt([1.2, 0.3, 0.5]), lookAt([-0.2, -1.4, 0.8])];

test('pixelGrid is row-major integer (col, row) without +0.5', () => {
  const g = pixelGrid(3).arraySync();
  assert.deepEqual(g, [[0, 0], [1, 0], [2, 0], [0, 1], [1, 1], [2, 1], [0, 2], [1, 2], [2, 2]]);
});

test('batched lift matches the scalar lift, and depth/projection invert it', () => {
  tf.tidy(() => {
    const uv = pixelGrid(16);
    const k = intrinsicsTensor([K, K]);
    const m = poseTensor(poses);
    const depth = tf.linspace(0.3, 2.5, 2 * 256).reshape([2, 256]);
    const pts = liftPixels(uv, depth, k, m);
    assert.deepEqual(pts.shape, [2, 256, 3]);
    const expected: number[] = [];
    const d = depth.arraySync() as number[][];
    for (let b = 0; b < 2; b++) for (let i = 0; i < 256; i++) expected.push(...liftPixel(K, poses[b], i % 16, Math.floor(i / 16), d[b][i]));
    assert.ok(maxAbsDiff(pts, expected) < 1e-5);
    assert.ok(maxAbsDiff(cameraDepth(pts, m), depth) < 1e-5);
    assert.ok(maxAbsDiff(projectPoints(pts, k, m), uv.expandDims(0).tile([2, 1, 1])) < 1e-3);
  });
});

test('ray directions are unit and equal the scalar ones; origins are camera centres', () => {
  tf.tidy(() => {
    const uv = pixelGrid(16);
    const k = intrinsicsTensor([K, K]);
    const m = poseTensor(poses);
    const dirs = rayDirections(uv, k, m);
    const norms = dirs.norm('euclidean', 2);
    assert.ok(maxAbsDiff(norms, tf.onesLike(norms)) < 1e-6);
    const expected: number[] = [];
    for (let b = 0; b < 2; b++) for (let i = 0; i < 256; i++) expected.push(...pixelRayDirection(K, poses[b], i % 16, Math.floor(i / 16)));
    assert.ok(maxAbsDiff(dirs, expected) < 1e-6);
    const { origins } = rayBundle(uv, k, m);
    assert.deepEqual(origins.shape, [2, 256, 3]);
    assert.ok(maxAbsDiff(origins.slice([1, 5, 0], [1, 1, 3]), [poses[1][3], poses[1][7], poses[1][11]]) < 1e-6);
  });
});

test('the initial march point at z = 0.05 has camera depth 0.05 (depth, not distance along the ray)', () => {
  tf.tidy(() => {
    const m = poseTensor(poses);
    const pts = liftPixels(pixelGrid(16), 0.05, intrinsicsTensor([K, K]), m);
    const d = cameraDepth(pts, m);
    assert.ok(maxAbsDiff(d, tf.fill([2, 256], 0.05)) < 1e-6);
  });
});

test('geometry functions return one tensor each and keep no intermediates', () => {
  const k = intrinsicsTensor([K, K]);
  const m = poseTensor(poses);
  const uv = pixelGrid(8);
  const before = tf.memory().numTensors;
  const pts = liftPixels(uv, 1, k, m);
  const outs = [pts, rayDirections(uv, k, m), cameraDepth(pts, m), projectPoints(pts, k, m)];
  assert.equal(tf.memory().numTensors, before + outs.length);
  tf.dispose([k, m, uv, ...outs]);
});
