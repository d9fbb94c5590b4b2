import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { lookAt } from '../../lib/geometry/cameras';
import {
  areaResize,
  centreCropBox,
  disposeBatch,
  firstInstances,
  loadBatch,
  loadView,
  nearestResize,
  openSplit,
  parseClassFile,
  subsetSplit,
  ViewCache,
  viewClassCounts,
} from '../../lib/data';
import { assertNoTensorLeak, useBackend } from '../helpers/tf';
import { tempRoot, writeClassFile, writeInstance, type FixtureView } from './loader_fixture';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

describe('image ops', () => {
  it('area resize 4×4 → 2×2 averages 2×2 blocks', () => {
    const src = Float32Array.from({ length: 16 }, (_, i) => i);
    assert.deepEqual(Array.from(areaResize(src, 4, 1, 2)), [2.5, 4.5, 10.5, 12.5]);
  });

  it('area resize with a non-integer ratio (3 → 2) weights partial pixels by overlap', () => {
    // Per axis: dst 0 = (2/3)·src0 + (1/3)·src1, dst 1 = (1/3)·src1 + (2/3)·src2. With v = 3r + c:
    const src = Float32Array.from({ length: 9 }, (_, i) => i);
    const out = areaResize(src, 3, 1, 2);
    [4 / 3, 8 / 3, 16 / 3, 20 / 3].forEach((e, i) => close(out[i], e, 1e-5));
  });

  it('area resize keeps channels separate and preserves the mean (5 → 3, 2 channels)', () => {
    const src = Float32Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? i : -1));
    const out = areaResize(src, 5, 2, 3);
    const mean = (a: Float32Array, ch: number) => a.filter((_, i) => i % 2 === ch).reduce((s, x) => s + x, 0) / (a.length / 2);
    close(mean(out, 0), mean(src, 0), 1e-4);
    assert.ok(out.filter((_, i) => i % 2 === 1).every((x) => Math.abs(x + 1) < 1e-6));
  });

  it('area resize equals brute-force 2-D pixel-area overlap for non-integer ratios', () => {
    // Reference: destination pixel (i, j) covers [i·s, (i+1)·s) × [j·s, (j+1)·s) of the source, s = n/m.
    const brute = (src: Float32Array, n: number, m: number) => {
      const s = n / m;
      const out = new Float64Array(m * m);
      const ov = (a0: number, a1: number, b0: number) => Math.max(0, Math.min(a1, b0 + 1) - Math.max(a0, b0));
      for (let i = 0; i < m; i++)
        for (let j = 0; j < m; j++)
          for (let r = 0; r < n; r++)
            for (let c = 0; c < n; c++) out[i * m + j] += (src[r * n + c] * ov(i * s, (i + 1) * s, r) * ov(j * s, (j + 1) * s, c)) / (s * s);
      return out;
    };
    for (const [n, m] of [[7, 3], [10, 4], [9, 6], [5, 5], [3, 7]]) {
      const src = Float32Array.from({ length: n * n }, (_, i) => Math.sin(i * 1.7) * 3);
      const got = areaResize(src, n, 1, m);
      const want = brute(src, n, m);
      want.forEach((w, i) => close(got[i], w, 1e-5));
    }
  });

  it('area resize enlarging by 2 replicates pixels', () => {
    const out = areaResize(Float32Array.from([1, 2, 3, 4]), 2, 1, 4);
    assert.deepEqual(Array.from(out), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });

  it('centre crop follows the reference (6 wide × 4 high → columns 1..4; odd sides drop one)', () => {
    assert.deepEqual(centreCropBox(4, 6), { top: 0, left: 1, side: 4 });
    assert.deepEqual(centreCropBox(6, 4), { top: 1, left: 0, side: 4 });
    assert.deepEqual(centreCropBox(5, 7), { top: 0, left: 1, side: 4 });
  });

  it('nearest resize uses src = floor(dst·scale)', () => {
    const src = Int32Array.from({ length: 16 }, (_, i) => i);
    assert.deepEqual(Array.from(nearestResize(src, 4, 2, (n) => new Int32Array(n))), [0, 2, 8, 10]);
    const s3 = Int32Array.from({ length: 9 }, (_, i) => i);
    assert.deepEqual(Array.from(nearestResize(s3, 3, 2, (n) => new Int32Array(n))), [0, 1, 3, 4]);
    assert.deepEqual(Array.from(nearestResize(Int32Array.from([1, 2, 3, 4]), 2, 3, (n) => new Int32Array(n))), [1, 1, 2, 1, 1, 2, 3, 3, 4]);
  });

  it('class file: C = 1 + max id, id 0 is background, gaps get placeholder names', () => {
    const c = parseClassFile('1 chair_head\n2 chair_back\n\n5 chair_seat leaf\n');
    assert.equal(c.numClasses, 6);
    assert.deepEqual(c.classNames, ['background', 'chair_head', 'chair_back', 'class_3', 'class_4', 'chair_seat']);
  });
});

describe('loader', () => {
  let root: string;
  let cleanup: () => void;
  const W = 6;
  const H = 4;
  // RGBA: R = 40r + 10c, G = 200, B = 0, A = 255; pixel (0, 1) is transparent with junk colour.
  const rgba = new Uint8Array(W * H * 4);
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const o = (r * W + c) * 4;
      rgba.set([40 * r + 10 * c, 200, 0, 255], o);
    }
  }
  rgba.set([50, 60, 70, 0], (0 * W + 1) * 4);
  const labels = Int32Array.from({ length: W * H }, (_, i) => (Math.floor(i / W) + (i % W)) % 6);
  const depth = Float32Array.from({ length: W * H }, (_, i) => Math.floor(i / W) * 10 + (i % W));
  // View files named so that sorted order ('1' < '10' < '2') differs from numeric order.
  const names = ['1', '10', '2'];
  const camY = (name: string) => -1 - Number(name) / 10;

  before(async () => {
    await useBackend();
    ({ root, cleanup } = tempRoot());
    writeClassFile(root);
    const views = (): FixtureView[] =>
      names.map((name) => ({
        name,
        width: W,
        height: H,
        rgba,
        labels: name === '1' ? labels : new Int32Array(W * H).fill(Number(name) % 6),
        labelsDtype: 'int64' as const,
        depth,
        pose: lookAt([0, camY(name), 0.5]),
      }));
    const k = { fx: 12, fy: 12, cx: 3, cy: 2, height: H, width: W };
    for (const id of ['ccc', 'aaa', 'bbb']) writeInstance(root, id, views(), { intrinsics: k });
    // An unlabelled split.
    writeInstance(root, 'u1', [{ width: 4, height: 4 }, { width: 4, height: 4 }], { split: 'test' });
  });
  after(() => cleanup());

  it('lists instances in sorted order with index = position', () => {
    const info = openSplit(root, 'Chair', 'train');
    assert.deepEqual(info.instances.map((i) => i.id), ['aaa', 'bbb', 'ccc']);
    assert.deepEqual(info.instances.map((i) => i.index), [0, 1, 2]);
    assert.equal(info.numClasses, 6);
    assert.equal(info.classNames[5], 'chair_seat');
    assert.equal(info.fullSplitSize, 3);
    assert.equal(info.splitDir, join(root, 'Chair', 'Chair.train'));
    // Case-insensitive class folder ('chair' as on the generator's command line).
    assert.equal(openSplit(root, 'chair', 'train').className, 'Chair');
  });

  it('subsets by instance ids and maxInstances keep each instance’s full-list index', () => {
    const byId = openSplit(root, 'Chair', 'train', { instanceIds: ['ccc', 'aaa'] });
    assert.deepEqual(byId.instances.map((i) => [i.id, i.index]), [['aaa', 0], ['ccc', 2]]);
    // The reference's trap: truncating first would drop 'ccc'; here the ids are chosen first.
    const both = openSplit(root, 'Chair', 'train', { instanceIds: ['ccc'], maxInstances: 1 });
    assert.deepEqual(both.instances.map((i) => [i.id, i.index]), [['ccc', 2]]);
    assert.equal(both.fullSplitSize, 3);
    const first = openSplit(root, 'Chair', 'train', { maxInstances: 2 });
    assert.deepEqual(first.instances.map((i) => i.id), ['aaa', 'bbb']);
    assert.deepEqual(firstInstances(openSplit(root, 'Chair', 'train'), 1).instances.map((i) => i.id), ['aaa']);
    const sub = subsetSplit(openSplit(root, 'Chair', 'train'), { positions: [2, 1] });
    assert.deepEqual(sub.instances.map((i) => i.index), [1, 2]);
  });

  it('matches views across rgb/pose/seg by sorted file order; viewIndices subset keeps file indices', () => {
    const info = openSplit(root, 'Chair', 'train');
    const inst = info.instances[0];
    assert.deepEqual(inst.views.map((v) => v.rgb.split('/').pop()), ['1.png', '10.png', '2.png']);
    const sorted = ['1', '10', '2'];
    sorted.forEach((name, v) => {
      const view = loadView(info, 0, v, 2);
      close(view.pose[7], camY(name), 1e-6);
      if (name !== '1') assert.ok(view.labels!.every((l) => l === Number(name) % 6));
    });
    const sub = openSplit(root, 'Chair', 'train', { viewIndices: [2, 0] });
    assert.deepEqual(sub.instances[0].views.map((v) => v.index), [2, 0]);
    close(loadView(sub, 0, 0, 2).pose[7], camY('2'), 1e-6);
  });

  it('loadView: crop 6×4 → 4×4, transparent → white, area resize, [-1, 1], labels and depth nearest, intrinsics rescaled', () => {
    const info = openSplit(root, 'Chair', 'train');
    const v = loadView(info, 0, 0, 2); // view '1'
    assert.equal(v.rgba.length, 2 * 2 * 4);
    // dst (0,0) averages crop rows 0–1, crop columns 0–1 = image columns 1–2; (0,1) is transparent → 1,1,1,1.
    const px00 = [(1 + (20 + 50 + 60) / 255) / 4, (1 + (3 * 200) / 255) / 4, 0.25, 1].map((x) => x * 2 - 1);
    px00.forEach((e, c) => close(v.rgba[c], e, 1e-6));
    // dst (1,1): image rows 2–3, columns 3–4: R = 110, 120, 150, 160.
    const px11 = [135 / 255, 200 / 255, 0, 1].map((x) => x * 2 - 1);
    px11.forEach((e, c) => close(v.rgba[12 + c], e, 1e-6));
    assert.ok(v.rgba.every((x) => x >= -1 && x <= 1));
    // Nearest: dst (i, j) ← image (2i, 1 + 2j); label = (r + c) % 6, depth = 10r + c.
    assert.deepEqual(Array.from(v.labels!), [1, 3, 3, 5]);
    assert.deepEqual(Array.from(v.depth!), [1, 3, 21, 23]);
    assert.deepEqual(v.intrinsics, { fx: 6, fy: 6, cx: 1, cy: 1, height: 2, width: 2 });
  });

  it('fully transparent pixels become 1.0 in all four channels', () => {
    const { root: r2, cleanup: c2 } = tempRoot();
    try {
      writeClassFile(r2);
      const px = new Uint8Array(4 * 4 * 4); // all zero: black, alpha 0
      writeInstance(r2, 'x', [{ width: 4, height: 4, rgba: px }]);
      const v = loadView(openSplit(r2, 'Chair', 'train'), 0, 0, 4);
      assert.ok(v.rgba.every((x) => x === 1));
    } finally {
      c2();
    }
  });

  it('full-resolution view counts match the labels', () => {
    const info = openSplit(root, 'Chair', 'train');
    const counts = viewClassCounts(info, 0, 0);
    assert.equal(counts.reduce((a, b) => a + b, 0), W * H);
    assert.deepEqual(counts, [4, 4, 4, 4, 4, 4]);
    assert.deepEqual(viewClassCounts(info, 0, 0, 2), [0, 1, 0, 2, 0, 1]);
  });

  it('loadBatch: shapes, dtypes and values', () => {
    const info = openSplit(root, 'Chair', 'train', { instanceIds: ['bbb', 'ccc'] });
    const b = loadBatch(info, [{ instance: 1, view: 0 }, { instance: 0, view: 2 }], 2);
    try {
      assert.deepEqual(b.rgba.shape, [2, 4, 4]);
      assert.equal(b.rgba.dtype, 'float32');
      assert.deepEqual(b.labels!.shape, [2, 4]);
      assert.equal(b.labels!.dtype, 'int32');
      assert.deepEqual(b.depth!.shape, [2, 4]);
      assert.deepEqual(b.cam2world.shape, [2, 4, 4]);
      assert.deepEqual(b.intrinsics.shape, [2, 4]);
      assert.equal(b.instanceIndex.dtype, 'int32');
      assert.deepEqual(Array.from(b.instanceIndex.dataSync()), [2, 1]);
      assert.deepEqual(b.instancePositions, [1, 0]);
      assert.deepEqual(b.viewIndex, [0, 2]);
      assert.deepEqual(Array.from(b.intrinsics.dataSync()), [6, 6, 1, 1, 6, 6, 1, 1]);
      assert.deepEqual(Array.from(b.labels!.dataSync()).slice(0, 4), [1, 3, 3, 5]);
      assert.equal(b.side, 2);
      close(b.cam2world.arraySync()[1][1][3], camY('2'), 1e-6);
    } finally {
      disposeBatch(b);
    }
    const refs = [{ instance: 0, view: 1 }];
    return assertNoTensorLeak(() => disposeBatch(loadBatch(info, refs, 2)));
  });

  it('unlabelled split: views without seg load without labels', () => {
    const info = openSplit(root, 'Chair', 'test');
    assert.equal(info.instances[0].views[0].seg, undefined);
    const v = loadView(info, 0, 1, 4);
    assert.equal(v.labels, undefined);
    const b = loadBatch(info, [{ instance: 0, view: 0 }], 4);
    assert.equal(b.labels, undefined);
    assert.equal(b.depth, undefined);
    disposeBatch(b);
    assert.equal(tf.memory().numTensors >= 0, true);
  });

  it('LRU cache returns cached views and stays within its bound', () => {
    const info = openSplit(root, 'Chair', 'train');
    const cache = new ViewCache(1 << 20, 2);
    const a = loadView(info, 0, 0, 2, { cache });
    assert.equal(loadView(info, 0, 0, 2, { cache }), a);
    assert.equal(cache.hits, 1);
    loadView(info, 0, 1, 2, { cache });
    loadView(info, 0, 2, 2, { cache });
    assert.equal(cache.size, 2);
    assert.notEqual(loadView(info, 0, 0, 2, { cache }), a); // evicted, reloaded
    // A different side is a different entry.
    assert.notEqual(loadView(info, 0, 0, 4, { cache }).rgba.length, a.rgba.length);
    const small = new ViewCache(400);
    loadView(info, 0, 0, 2, { cache: small });
    loadView(info, 0, 1, 2, { cache: small });
    assert.ok(small.bytes <= 400 && small.size === 1);
  });
});
