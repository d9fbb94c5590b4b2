import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SegmentationScores } from '../../lib/metrics/segmentation';
import { PsnrScores } from '../../lib/metrics/psnr';

test('segmentation scores: a state through JSON gives the same accumulator; merging states equals adding the images', () => {
  const whole = new SegmentationScores(3, ['bg', 'a', 'b']);
  const first = new SegmentationScores(3);
  const second = new SegmentationScores(3);
  const images: [number[], number[]][] = [
    [[0, 1, 2, 2], [0, 1, 1, 2]],
    [[0, 0, 2, 1], [0, 1, 2, 2]],
    [[1, 1, 1, 0], [0, 1, 1, 0]],
  ];
  images.forEach(([p, g], i) => {
    whole.add(p, g);
    (i < 2 ? first : second).add(p, g);
  });
  const total = new SegmentationScores(3, ['bg', 'a', 'b']);
  for (const part of [first, second]) total.merge(SegmentationScores.fromState(JSON.parse(JSON.stringify(part.toState())), ['bg', 'a', 'b']));
  assert.deepEqual(total.summary(), whole.summary());
  assert.deepEqual(total.imageScores, whole.imageScores);
  assert.throws(() => SegmentationScores.fromState({ ...first.toState(), union: [1, -1, 0] }, undefined, 'j.json (instance 3)'), /j\.json \(instance 3\): 'union' must be 3 non-negative counts/);
  assert.throws(() => SegmentationScores.fromState({ ...first.toState(), scoreSum: NaN }), /'scoreSum' must be a finite number/);
});

test('PSNR scores: an exact image (∞) survives the JSON state as null and stays out of the mean', () => {
  const a = new PsnrScores();
  a.add([0, 0.5], [0, 0.5]); // exact: ∞
  a.add([0, 0.5], [0.1, 0.5]);
  const state = JSON.parse(JSON.stringify(a.toState()));
  assert.equal(state.imageScores[0], null);
  const b = PsnrScores.fromState(state);
  assert.deepEqual(b.summary(), a.summary());
  assert.deepEqual(b.imageScores, a.imageScores);
  const merged = new PsnrScores();
  merged.merge(b);
  merged.merge(b);
  assert.deepEqual(merged.summary(), { images: 4, psnr: a.summary().psnr, exact: 2 });
  assert.throws(() => PsnrScores.fromState({ sum: 1, imageScores: ['x' as unknown as number] }, 'j.json'), /j\.json: expected \{ sum: number, imageScores/);
});
