import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SegmentationScores, imageIoU, perClassByName } from '../../lib/metrics/segmentation';

const close = (a: number, b: number, msg?: string) => assert.ok(Math.abs(a - b) < 1e-12, `${msg ?? ''} ${a} != ${b}`);

// Image A (C = 4): class 3 absent from both → skipped; background counted.
//   class 0: I 1 / U 3, class 1: I 2 / U 3, class 2: I 1 / U 2 → (1/3 + 2/3 + 1/2) / 3 = 0.5
const gtA = Int32Array.from([0, 0, 1, 1, 2, 2]);
const prA = Int32Array.from([0, 1, 1, 1, 2, 0]);
// Image B: classes 1 and 2 absent → skipped. class 0: 3/4, class 3: 2/3 → 17/24
const gtB = Int32Array.from([0, 0, 0, 3, 3, 3]);
const prB = Int32Array.from([0, 0, 0, 3, 3, 0]);

test('per-image IoU skips classes absent from GT and prediction, includes background', () => {
  const a = imageIoU(prA, gtA, 4);
  close(a.score, 0.5, 'image A');
  assert.deepEqual(Array.from(a.intersection), [1, 2, 1, 0]);
  assert.deepEqual(Array.from(a.union), [3, 3, 2, 0]);
  close(imageIoU(prB, gtB, 4).score, 17 / 24, 'image B');
});

test('a class present only in the prediction counts as IoU 0', () => {
  // All-background GT; one pixel wrongly predicted as class 1: (3/4 + 0) / 2.
  close(imageIoU([0, 0, 0, 1], [0, 0, 0, 0], 3).score, 0.375);
  // Background alone, predicted perfectly: 1.
  close(imageIoU([0, 0, 0, 0], [0, 0, 0, 0], 3).score, 1);
});

test('mIOU averages images; shape-mIOU pools per class over all images', () => {
  const s = new SegmentationScores(4, ['background', 'a', 'b', 'c']);
  s.add(prA, gtA);
  s.add(prB, gtB);
  const sum = s.summary();
  assert.equal(sum.images, 2);
  close(sum.mIOU, (0.5 + 17 / 24) / 2, 'mIOU');
  // pooled: class0 (1+3)/(3+4) = 4/7, class1 2/3, class2 1/2, class3 2/3
  const pooled = [4 / 7, 2 / 3, 1 / 2, 2 / 3];
  sum.perClassIoU.forEach((v, c) => close(v as number, pooled[c], `class ${c}`));
  close(sum.shapeMIOU, pooled.reduce((x, y) => x + y) / 4, 'shape-mIOU');
  assert.deepEqual(sum.intersection, [4, 2, 1, 2]);
  assert.deepEqual(sum.union, [7, 3, 2, 3]);
  assert.deepEqual(Object.keys(perClassByName(sum)), ['background', 'a', 'b', 'c']);
  assert.deepEqual(s.imageScores.length, 2);
});

test('shape-mIOU drops classes with zero pooled union', () => {
  const s = new SegmentationScores(6);
  s.add(prA, gtA);
  s.add(prB, gtB);
  const sum = s.summary();
  assert.equal(sum.perClassIoU[4], null);
  assert.equal(sum.perClassIoU[5], null);
  close(sum.shapeMIOU, (4 / 7 + 2 / 3 + 1 / 2 + 2 / 3) / 4);
  // Per-image scores do not depend on C either (absent classes skipped).
  close(sum.mIOU, (0.5 + 17 / 24) / 2);
});

test('an image where every class is skipped scores 1', () => {
  close(imageIoU(new Int32Array(0), new Int32Array(0), 3).score, 1);
  const s = new SegmentationScores(3);
  s.add([], []);
  close(s.summary().mIOU, 1);
  assert.ok(Number.isNaN(s.summary().shapeMIOU));
});

test('accepts number[], Uint8Array and Int32Array alike', () => {
  const s = new SegmentationScores(4);
  close(s.add(Uint8Array.from(prA), Array.from(gtA)), 0.5);
});

test('shape mismatch and out-of-range labels throw clear errors; totals stay untouched', () => {
  const s = new SegmentationScores(4);
  assert.throws(() => s.add([0, 1], [0, 1, 2]), /prediction has 2 pixels but ground truth has 3/);
  assert.throws(() => s.add([0, 4], [0, 1]), /predicted label 4 at pixel 1 is outside 0\.\.3/);
  assert.throws(() => s.add([0, 1], [-1, 1]), /ground-truth label -1 at pixel 0 is outside 0\.\.3/);
  assert.throws(() => s.add([0, 1.5], [0, 1]), /predicted label 1\.5/);
  assert.throws(() => new SegmentationScores(3, ['a', 'b']), /2 class names for 3 classes/);
  assert.equal(s.images, 0);
  assert.ok(Number.isNaN(s.summary().mIOU));
});

test('merge equals adding everything to one accumulator', () => {
  const a = new SegmentationScores(4);
  const b = new SegmentationScores(4);
  const all = new SegmentationScores(4);
  a.add(prA, gtA);
  b.add(prB, gtB);
  all.add(prA, gtA);
  all.add(prB, gtB);
  a.merge(b);
  assert.deepEqual(a.summary(), all.summary());
});

test('shape-mIOU over present classes drops a class absent from the ground truth; the released one keeps it at 0', () => {
  // 5 classes; class 4 never occurs in the ground truth but one pixel of it is predicted.
  const gt = [0, 0, 1, 1, 2, 2, 3, 3];
  const pred = [0, 0, 1, 1, 2, 2, 3, 4];
  const s = new SegmentationScores(5);
  s.add(pred, gt);
  const r = s.summary();
  // Per class: 0 → 1, 1 → 1, 2 → 1, 3 → 1/2, 4 → 0 (union 1, no GT).
  assert.equal(r.shapeMIOU, (1 + 1 + 1 + 0.5 + 0) / 5);
  assert.equal(r.shapeMIOUPresent, (1 + 1 + 1 + 0.5) / 4);
  assert.deepEqual(r.groundTruthPixels, [2, 2, 2, 2, 0]);
  // Merging keeps the ground-truth counts.
  const a = new SegmentationScores(5);
  a.add(pred.slice(0, 4), gt.slice(0, 4));
  const b = new SegmentationScores(5);
  b.add(pred.slice(4), gt.slice(4));
  a.merge(b);
  assert.equal(a.summary().shapeMIOUPresent, r.shapeMIOUPresent);
});
