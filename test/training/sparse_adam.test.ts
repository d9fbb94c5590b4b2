// The latent codes' SparseAdam: the trainer's optimiser over a LatentTable's rows (PyTorch SparseAdam semantics).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LATENT_ADAM } from '../../lib/config/defaults';
import { LatentTable } from '../../lib/latent';
import { SparseAdam } from '../../lib/training';

test('rows outside the batch keep values and moments; batch rows match a hand-computed update (betas 0.5)', () => {
  const t = new LatentTable(4, 2, { seed: 2 });
  const opt = new SparseAdam(t, DEFAULT_LATENT_ADAM);
  const before = t.values.slice();
  const g1 = [0.3, -0.2, 1.0, 0.5]; // rows 1 and 3
  opt.apply([1, 3], g1);
  const { lr, eps } = { lr: 4e-4, eps: 1e-5 };
  // step 1: m = 0.5·g, v = 0.5·g², step size = lr·sqrt(1−0.5)/(1−0.5)
  const hand = (x: number, m: number, v: number, step: number) => x - ((lr * Math.sqrt(1 - 0.5 ** step)) / (1 - 0.5 ** step)) * (m / (Math.sqrt(v) + eps));
  const expect1 = [hand(before[2], 0.15, 0.045, 1), hand(before[3], -0.1, 0.02, 1)];
  assert.ok(Math.abs(t.values[2] - expect1[0]) < 1e-9 && Math.abs(t.values[3] - expect1[1]) < 1e-9);
  assert.equal(t.values[0], before[0]);
  assert.equal(t.values[1], before[1]);
  assert.equal(t.values[4], before[4]);
  assert.equal(opt.m[0], 0);
  assert.equal(opt.v[5], 0);
  assert.ok(Math.abs(opt.m[2] - 0.15) < 1e-7 && Math.abs(opt.v[2] - 0.045) < 1e-7);
  // Step 2 only touches row 0; row 1's moments must not decay (a dense Adam would move them).
  const m1 = opt.m.slice(), v1 = opt.v.slice(), x1 = t.values.slice();
  opt.apply([0], [0.1, 0.1]);
  for (const i of [2, 3, 4, 5, 6, 7]) {
    assert.equal(t.values[i], x1[i]);
    assert.equal(opt.m[i], m1[i]);
    assert.equal(opt.v[i], v1[i]);
  }
  // Global step counter: the first update of row 0 uses bias correction with t = 2.
  assert.equal(opt.step, 2);
  assert.ok(Math.abs(t.values[0] - hand(x1[0], 0.05, 0.005, 2)) < 1e-9);
});

test('duplicate rows in a batch are summed (coalesced) before the update', () => {
  const a = new SparseAdam(new LatentTable(2, 1, { seed: 3 }), DEFAULT_LATENT_ADAM);
  const b = new SparseAdam(new LatentTable(2, 1, { seed: 3 }), DEFAULT_LATENT_ADAM);
  a.apply([1, 1], [0.2, 0.3]);
  b.apply([1], [0.5]);
  assert.equal(a.table.values[1], b.table.values[1]);
  assert.equal(a.m[1], b.m[1]);
});

test('settings are the trainer\'s: the step scales with lr, lr 0 leaves the row', () => {
  const cfg = { lr: 4e-4, beta1: 0.5, beta2: 0.5, eps: 1e-5 };
  const [a, b, c] = [cfg, { ...cfg, lr: 2 * cfg.lr }, { ...cfg, lr: 0 }].map((s) => new SparseAdam(new LatentTable(1, 2, { seed: 5 }), s));
  const x0 = a.table.values.slice();
  for (const o of [a, b, c]) o.apply([0], [0.3, -0.1]);
  for (const j of [0, 1]) assert.ok(Math.abs(b.table.values[j] - x0[j] - 2 * (a.table.values[j] - x0[j])) < 1e-9);
  assert.deepEqual(c.table.values, x0);
});

test('state round-trip continues identically; reset is a fresh optimiser; errors name the problem', () => {
  const a = new SparseAdam(new LatentTable(3, 2, { seed: 4 }), DEFAULT_LATENT_ADAM);
  a.apply([0, 2], [1, 1, -0.5, 0.25]);
  const b = new SparseAdam(new LatentTable(3, 2, { seed: 4 }), DEFAULT_LATENT_ADAM);
  b.table.load(a.table.state());
  b.load(a.state());
  assert.equal(b.step, 1);
  a.apply([2], [0.1, 0.2]);
  b.apply([2], [0.1, 0.2]);
  assert.deepEqual(b.table.values, a.table.values);
  assert.deepEqual([b.m, b.v], [a.m, a.v]);
  assert.throws(() => a.apply([0], [1]), /expected 1×2 gradient values/);
  assert.throws(() => a.apply([3], [1, 1]), /row 3 outside \[0, 3\)/);
  assert.throws(() => a.load({ step: 1, m: new Float32Array(2), v: new Float32Array(2) }), /moments of 2 and 2 values, the table has 6/);
  a.reset();
  assert.equal(a.step, 0);
  assert.ok(a.m.every((x) => x === 0) && a.v.every((x) => x === 0));
});
