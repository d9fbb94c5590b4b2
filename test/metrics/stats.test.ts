import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMeanCI, meanCI, median, pairedDifferenceCI, pct1, percentCI, tQuantile975 } from '../../lib/metrics/stats';

test('meanCI: mean, sample std and the t-based 95% half-width', () => {
  const s = meanCI([0.4, 0.5, 0.6]);
  assert.equal(s.n, 3);
  assert.ok(Math.abs(s.mean - 0.5) < 1e-12);
  assert.ok(Math.abs(s.std! - 0.1) < 1e-12);
  // t_{0.975,2} = 4.303: 4.303 · 0.1 / √3
  assert.ok(Math.abs(s.ci95! - (4.303 * 0.1) / Math.sqrt(3)) < 1e-12);
  assert.equal(formatMeanCI({ ...s, mean: 50, ci95: 24.84 }), '50.0 ± 24.8');
});

test('meanCI: one replicate has no interval; non-finite values are dropped; none finite is an error', () => {
  const one = meanCI([0.3, NaN]);
  assert.deepEqual([one.n, one.mean, one.std, one.ci95], [1, 0.3, null, null]);
  assert.equal(formatMeanCI({ ...one, mean: 30 }), '30.0');
  assert.throws(() => meanCI([NaN]), /no finite value among 1/);
  assert.throws(() => meanCI([]), /no finite value among 0/);
});

test('tQuantile975: table values, the normal limit, and bad df refused', () => {
  assert.equal(tQuantile975(1), 12.706);
  assert.equal(tQuantile975(4), 2.776);
  assert.equal(tQuantile975(30), 2.042);
  assert.equal(tQuantile975(100), 1.96);
  assert.throws(() => tQuantile975(0), /integer df ≥ 1/);
});

test('median: the middle value, the mean of the middle two for an even count, input left unsorted; none is an error', () => {
  const xs = [5, 1, 3];
  assert.equal(median(xs), 3);
  assert.deepEqual(xs, [5, 1, 3]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
  assert.throws(() => median([]), /median: no values/);
});

test('percentCI and pct1: fractions as the published percentages', () => {
  const s = percentCI([0.5, 0.6, 0.7]);
  assert.equal(s.n, 3);
  assert.ok(Math.abs(s.mean - 60) < 1e-9);
  assert.ok(Math.abs(s.ci95! - (4.303 * 10) / Math.sqrt(3)) < 1e-9);
  assert.deepEqual(percentCI([0.25]), { mean: 25, ci95: null, n: 1 });
  assert.deepEqual([pct1(0.6769064), pct1(0.05), pct1(null), pct1(undefined), pct1(NaN)], [67.7, 5, null, null, null]);
});

test('pairedDifferenceCI: a − b over the shared finite seeds, tighter than the two intervals when the draw moves both', () => {
  // Seed 2's draw is hard for both methods; the difference is steady.
  const a = new Map([[0, 0.52], [1, 0.576], [2, 0.356], [3, 0.6]]);
  const b = new Map([[0, 0.393], [1, 0.438], [2, 0.306], [4, 0.5]]);
  const p = pairedDifferenceCI(a, b)!;
  assert.deepEqual(p.keys, [0, 1, 2], 'only the seeds both have');
  const d = [0.52 - 0.393, 0.576 - 0.438, 0.356 - 0.306];
  const mean = (d[0] + d[1] + d[2]) / 3;
  const std = Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / 2);
  assert.ok(Math.abs(p.diff.mean - mean) < 1e-12);
  assert.ok(Math.abs(p.diff.ci95! - (4.303 * std) / Math.sqrt(3)) < 1e-12);
  assert.ok(p.diff.ci95! < meanCI([0.52, 0.576, 0.356]).ci95!, 'narrower than a alone');
  assert.equal(pairedDifferenceCI(new Map([[0, NaN], [1, 0.5]]), new Map([[0, 0.2], [1, 0.25]]))!.diff.n, 1, 'a non-finite value drops its seed');
  assert.equal(pairedDifferenceCI(new Map([[0, 0.5]]), new Map([[1, 0.5]])), null, 'nothing shared');
});
