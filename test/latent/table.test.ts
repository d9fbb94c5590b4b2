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

test('SparseAdam: rows outside the batch keep values and moments; batch rows match a hand-computed update (betas 0.5)', () => {
  const t = new LatentTable(4, 2, { seed: 2 });
  const before = t.values.slice();
  const g1 = [0.3, -0.2, 1.0, 0.5]; // rows 1 and 3
  t.applyGradients([1, 3], g1);
  const { lr, eps } = { lr: 4e-4, eps: 1e-5 };
  // step 1: m = 0.5·g, v = 0.5·g², step size = lr·sqrt(1−0.5)/(1−0.5)
  const hand = (x: number, m: number, v: number, step: number) => x - ((lr * Math.sqrt(1 - 0.5 ** step)) / (1 - 0.5 ** step)) * (m / (Math.sqrt(v) + eps));
  const expect1 = [hand(before[2], 0.15, 0.045, 1), hand(before[3], -0.1, 0.02, 1)];
  assert.ok(Math.abs(t.values[2] - expect1[0]) < 1e-9 && Math.abs(t.values[3] - expect1[1]) < 1e-9);
  assert.equal(t.values[0], before[0]);
  assert.equal(t.values[1], before[1]);
  assert.equal(t.values[4], before[4]);
  assert.equal(t.m[0], 0);
  assert.equal(t.v[5], 0);
  assert.ok(Math.abs(t.m[2] - 0.15) < 1e-7 && Math.abs(t.v[2] - 0.045) < 1e-7);
  // Step 2 only touches row 0; row 1's moments must not decay (a dense Adam would move them).
  const m1 = t.m.slice(), v1 = t.v.slice(), x1 = t.values.slice();
  t.applyGradients([0], [0.1, 0.1]);
  for (const i of [2, 3, 4, 5, 6, 7]) {
    assert.equal(t.values[i], x1[i]);
    assert.equal(t.m[i], m1[i]);
    assert.equal(t.v[i], v1[i]);
  }
  // Global step counter: the first update of row 0 uses bias correction with t = 2.
  assert.equal(t.step, 2);
  assert.ok(Math.abs(t.values[0] - hand(x1[0], 0.05, 0.005, 2)) < 1e-9);
});

test('SparseAdam: duplicate rows in a batch are summed (coalesced) before the update', () => {
  const a = new LatentTable(2, 1, { seed: 3 });
  const b = new LatentTable(2, 1, { seed: 3 });
  a.applyGradients([1, 1], [0.2, 0.3]);
  b.applyGradients([1], [0.5]);
  assert.equal(a.values[1], b.values[1]);
  assert.equal(a.m[1], b.m[1]);
});

test('rows(), state round-trip, errors name the problem', async () => {
  await useBackend('cpu');
  const t = new LatentTable(3, 2, { seed: 4 });
  const r = t.rows([2, 0, 2]);
  assert.deepEqual(r.shape, [3, 2]);
  assert.deepEqual(Array.from(r.dataSync().slice(0, 2)), Array.from(t.row(2)));
  t.applyGradients([0], [1, 1]);
  const s = t.state();
  const u = new LatentTable(3, 2, { seed: 9 });
  u.load(s);
  assert.deepEqual(u.values, t.values);
  assert.equal(u.step, 1);
  assert.throws(() => t.rows([3]), /row 3 outside \[0, 3\)/);
  assert.throws(() => t.applyGradients([0], [1]), /expected 1×2 gradient values/);
  t.reinitialize(new Rng(1), 0.01, [1]);
  assert.equal(t.m[2], 0);
});

test('SparseAdam settings are the caller\'s (the trainer passes its stage config per step): the step scales with lr, lr 0 leaves the row', () => {
  const cfg = { lr: 4e-4, beta1: 0.5, beta2: 0.5, eps: 1e-5 };
  const a = new LatentTable(1, 2, { seed: 5 });
  const b = new LatentTable(1, 2, { seed: 5 });
  const c = new LatentTable(1, 2, { seed: 5 });
  const x0 = a.values.slice();
  a.applyGradients([0], [0.3, -0.1], cfg);
  b.applyGradients([0], [0.3, -0.1], { ...cfg, lr: 2 * cfg.lr });
  c.applyGradients([0], [0.3, -0.1], { ...cfg, lr: 0 });
  for (const j of [0, 1]) assert.ok(Math.abs(b.values[j] - x0[j] - 2 * (a.values[j] - x0[j])) < 1e-9);
  assert.deepEqual(c.values, x0);
  assert.equal('adam' in a, false, 'the table holds no optimiser settings');
});
