import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatentTable } from '../../lib/latent';
import { Rng } from '../../lib/util/random';
import { useBackend } from '../helpers/tf';

test('init: N(0, 0.01)', () => {
  const t = new LatentTable(200, 64, { seed: 1 });
  let s2 = 0;
  for (const v of t.values) s2 += v * v;
  assert.ok(Math.abs(Math.sqrt(s2 / t.values.length) - 0.01) < 0.0005);
});

test('rows(), state round-trip, reinitialize, errors name the problem; the table holds codes only', async () => {
  await useBackend('cpu');
  const t = new LatentTable(3, 2, { seed: 4 });
  const r = t.rows([2, 0, 2]);
  assert.deepEqual(r.shape, [3, 2]);
  assert.deepEqual(Array.from(r.dataSync().slice(0, 2)), Array.from(t.row(2)));
  r.dispose();
  t.setRow(0, [1, 1]);
  const s = t.state();
  const u = new LatentTable(3, 2, { seed: 9 });
  u.load(s);
  assert.deepEqual(u.values, t.values);
  assert.throws(() => t.rows([3]), /row 3 outside \[0, 3\)/);
  assert.throws(() => t.setRow(1, [1]), /expected 2 numbers, got 1/);
  assert.throws(() => u.load(new LatentTable(2, 2).state()), /state is 2×2, table is 3×2/);
  const before = t.values.slice();
  t.reinitialize(new Rng(1), 0.01, [1]);
  assert.deepEqual(t.values.subarray(0, 2), before.subarray(0, 2));
  assert.notDeepEqual(t.values.subarray(2, 4), before.subarray(2, 4));
  for (const k of ['m', 'v', 'step', 'adam', 'applyGradients']) assert.equal(k in t, false, `no optimiser state or update on the table (${k})`);
});
