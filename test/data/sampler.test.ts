import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  allViewRefs,
  firstInstances,
  openSplit,
  selectFewShot,
  selectLabelSubset,
  ViewSampler,
  viewClassCounts,
  type SplitInfo,
  type ViewRef,
} from '../../lib/data';
import { tempRoot, writeUniformSplit } from './loader_fixture';

const key = (r: ViewRef) => `${r.instance}:${r.view}`;
const ids = (n: number) => Array.from({ length: n }, (_, i) => `inst${String(i).padStart(3, '0')}`);

describe('ViewSampler', () => {
  let root: string;
  let cleanup: () => void;
  let info: SplitInfo;
  before(() => {
    ({ root, cleanup } = tempRoot());
    writeUniformSplit(root, ids(5), 4);
    info = openSplit(root, 'Chair', 'train');
  });
  after(() => cleanup());

  it('is deterministic per seed and differs across seeds and epochs', () => {
    const a = new ViewSampler(info, { batchSize: 3, seed: 7 });
    const b = new ViewSampler(info, { batchSize: 3, seed: 7 });
    const c = new ViewSampler(info, { batchSize: 3, seed: 8 });
    const seqA = Array.from({ length: 20 }, () => a.next().refs.map(key).join());
    const seqB = Array.from({ length: 20 }, () => b.next().refs.map(key).join());
    assert.deepEqual(seqA, seqB);
    assert.notDeepEqual(seqA.slice(0, 6), Array.from({ length: 6 }, (_, i) => c.at(i).refs.map(key).join()));
    assert.notDeepEqual(a.epochOrder(0).map(key), a.epochOrder(1).map(key));
  });

  it('drops the last incomplete batch; each epoch visits distinct pairs', () => {
    const s = new ViewSampler(info, { batchSize: 3, seed: 1 });
    assert.equal(s.pairs.length, 20);
    assert.equal(s.batchesPerEpoch, 6);
    for (let e = 0; e < 3; e++) {
      const seen = s.epochBatches(e).flat().map(key);
      assert.equal(seen.length, 18);
      assert.equal(new Set(seen).size, 18);
    }
    const all = new ViewSampler(info, { batchSize: 3, seed: 1, dropLast: false });
    assert.equal(all.batchesPerEpoch, 7);
    const seen = all.epochBatches(0).flat().map(key);
    assert.deepEqual(seen.slice().sort(), allViewRefs(info).map(key).sort());
    assert.equal(all.epochBatches(0)[6].length, 2);
  });

  it('steps map to (epoch, batch) and resume from a step', () => {
    const s = new ViewSampler(info, { batchSize: 4, seed: 'x' });
    const first = Array.from({ length: 12 }, () => s.next());
    assert.deepEqual([first[5].epoch, first[5].batch], [1, 0]);
    const r = new ViewSampler(info, { batchSize: 4, seed: 'x' });
    r.step = 7;
    assert.deepEqual(r.next().refs, first[7].refs);
    assert.deepEqual(s.at(3).refs, s.epochBatches(0)[3]);
  });

  it('shuffle: false keeps instance-major order; bad sizes throw', () => {
    const s = new ViewSampler(info, { batchSize: 4, seed: 0, shuffle: false });
    assert.deepEqual(s.at(0).refs.map(key), ['0:0', '0:1', '0:2', '0:3']);
    assert.throws(() => new ViewSampler(info, { batchSize: 21, seed: 0 }), /batch size 21 exceeds the 20/);
    assert.throws(() => new ViewSampler(info, { batchSize: 0, seed: 0 }), /positive integer/);
  });
});

describe('few-shot selection', () => {
  let root: string;
  let cleanup: () => void;
  let info: SplitInfo;
  // 30 instances × 3 views on 6×6 label maps. Chair head (1) only in instance 17, arm (3) only in 4 and 22.
  const classesOf = (i: number) => [0, 2, 4, 5, ...(i === 17 ? [1] : []), ...(i === 4 || i === 22 ? [3] : [])];
  before(() => {
    ({ root, cleanup } = tempRoot());
    writeUniformSplit(root, ids(30), 3, (i) => classesOf(i), 6);
    info = openSplit(root, 'Chair', 'train');
  });
  after(() => cleanup());

  const covers = (sel: { info: SplitInfo }) => {
    const present = new Set<number>();
    sel.info.instances.forEach((_, p) =>
      sel.info.instances[p].views.forEach((_, v) => viewClassCounts(sel.info, p, v).forEach((k, c) => k > 0 && present.add(c))),
    );
    return present.size === info.numClasses;
  };

  it('draws 10 instances × 3 views covering every class, deterministically per seed', () => {
    const a = selectFewShot(info, { seed: 3 });
    const b = selectFewShot(info, { seed: 3 });
    assert.deepEqual(a.instanceIds, b.instanceIds);
    assert.equal(a.info.instances.length, 10);
    assert.ok(a.info.instances.every((inst) => inst.views.length === 3));
    assert.ok(a.instanceIds.includes('inst017'));
    assert.ok(covers(a));
    assert.ok(a.classPixelCounts!.every((k) => k > 0));
    // Instances keep their full-split index.
    assert.deepEqual(a.info.instances.map((i) => i.index), a.positions);
    assert.ok(['rejection', 'greedy'].includes(a.method));
    const other = [4, 5, 6, 7, 8].map((seed) => selectFewShot(info, { seed }).instanceIds.join());
    assert.ok(new Set(other).size > 1, 'different seeds should give different draws');
  });

  it('falls back to a seeded greedy pick that still covers every class', () => {
    const g = selectFewShot(info, { seed: 5, maxTries: 0 });
    assert.equal(g.method, 'greedy');
    assert.equal(g.info.instances.length, 10);
    assert.ok(covers(g));
    assert.deepEqual(selectFewShot(info, { seed: 5, maxTries: 0 }).instanceIds, g.instanceIds);
  });

  it('fails clearly when impossible', () => {
    assert.throws(() => selectFewShot(info, { seed: 1, views: [0], instances: 2, maxTries: 5 }), /greedy fallback needed 3 instances/);
    const { root: r2, cleanup: c2 } = tempRoot();
    try {
      writeUniformSplit(r2, ids(4), 3, () => [0, 2, 4, 5], 6);
      const i2 = openSplit(r2, 'Chair', 'train');
      assert.throws(() => selectFewShot(i2, { seed: 1, instances: 2, maxTries: 3 }), /classes 1 \(chair_head\), 3 \(chair_arm\) appear in no instance/);
      assert.throws(() => selectFewShot(i2, { seed: 1, instances: 5 }), /asked for 5 instances/);
      assert.throws(() => selectFewShot(i2, { seed: 1, instances: 2, views: [3] }), /few-shot view 3 outside \[0, 3\)/);
      const u = selectFewShot(i2, { seed: 1, instances: 2, requireAllClasses: false });
      assert.equal(u.method, 'uniform');
      assert.equal(u.info.instances.length, 2);
    } finally {
      c2();
    }
  });

  it('firstInstances takes the first n sorted folders (the released scripts)', () => {
    const f = firstInstances(info, 10);
    assert.deepEqual(f.instances.map((i) => i.id), ids(10));
    assert.deepEqual(f.instances.map((i) => i.index), Array.from({ length: 10 }, (_, i) => i));
  });

  it('label-count subsets are seeded, nested and keep indices', () => {
    const small = selectLabelSubset(info, { instances: 3, views: 1, seed: 9 });
    const big = selectLabelSubset(info, { instances: 6, views: 2, seed: 9 });
    assert.equal(small.instances.length, 3);
    assert.ok(small.instances.every((i) => i.views.length === 1));
    for (const inst of small.instances) {
      const inBig = big.instances.find((b) => b.id === inst.id);
      assert.ok(inBig, `${inst.id} should also be in the larger subset`);
      assert.ok(inst.views.every((v) => inBig.views.some((w) => w.index === v.index)));
      assert.equal(inst.index, Number(inst.id.slice(4)));
    }
    assert.deepEqual(selectLabelSubset(info, { instances: 6, views: 2, seed: 9 }), big);
    assert.equal(selectLabelSubset(info, { fraction: 0.2, views: 3, seed: 1 }).instances.length, 6);
    const first = selectLabelSubset(info, { instances: 2, views: 2, seed: 1, viewChoice: 'first' });
    assert.ok(first.instances.every((i) => i.views.map((v) => v.index).join() === '0,1'));
    assert.throws(() => selectLabelSubset(info, { instances: 31, views: 1, seed: 1 }), /in \[1, 30\]/);
    assert.throws(() => selectLabelSubset(info, { instances: 2, views: 4, seed: 1 }), /asked for 4 views/);
  });
});
