import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatPose, lookAt } from '../../lib/geometry/cameras';
import { inspectInstance, runInspect } from '../../lib/cli/data_inspect';
import { tempRoot, writeClassFile, writeInstance } from './loader_fixture';

describe('data inspect', () => {
  let root: string;
  let cleanup: () => void;
  let good: string;
  let bad: string;
  before(() => {
    ({ root, cleanup } = tempRoot());
    writeClassFile(root);
    const labels = Int32Array.from({ length: 8 * 6 }, (_, i) => (i < 24 ? 0 : i < 36 ? 2 : 5));
    const views = [1.2, 1.5, 1.3].map((r, i) => ({ width: 8, height: 6, labels, pose: lookAt([r * Math.cos(i), r * Math.sin(i), 0.4]) }));
    good = writeInstance(root, 'good', views, { intrinsics: { fx: 10, fy: 10, cx: 4, cy: 3, height: 6, width: 8 } });
    bad = writeInstance(root, 'bad', views);
    writeFileSync(join(bad, 'pose', '000001.txt'), formatPose([2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 0, 0, 0, 1]));
    rmSync(join(bad, 'seg', '000002.npy'));
    writeFileSync(join(bad, 'rgb', '000000.png'), 'nope');
  });
  after(() => cleanup());

  it('reports views, resolution, classes with names, pose sanity and intrinsics', async () => {
    const r = await inspectInstance(good, { side: 4 });
    assert.match(r, /^views: 3 \(rgb 3, pose 3, seg 3\)$/m);
    assert.match(r, /^resolution: 8×6 \(width×height, all views\)$/m);
    assert.match(r, /^intrinsics: f=10 cx=4 cy=3 for 6×8/m);
    assert.match(r, /at side 4: f=6\.6667 cx=2 cy=2/);
    assert.match(r, /classes present \(Chair-level-1\.txt, C=6\):/);
    assert.match(r, /^ {2}0 background: 50% of pixels$/m);
    assert.match(r, /^ {2}2 chair_back: 25% of pixels$/m);
    assert.match(r, /^ {2}5 chair_seat: 25% of pixels$/m);
    assert.match(r, /absent: 1 chair_head, 3 chair_arm, 4 chair_base/);
    assert.match(r, /poses: 3\/3 rigid/);
    const d = (x: number) => Math.hypot(x, 0.4).toFixed(4).replace(/0+$/, '');
    assert.match(r, new RegExp(`camera distance from origin: min ${d(1.2)}, max ${d(1.5)}`));
    assert.match(r, /max 0°, mean 0° \(all cameras look at the origin\)/);
    assert.match(r, /^problems: none$/m);
  });

  it('lists every problem instead of stopping at the first', async () => {
    const r = await inspectInstance(bad);
    assert.match(r, /seg\/ has 2 files but rgb\/ has 3/);
    assert.match(r, /000000\.png: not a PNG file/);
    assert.match(r, /000001\.txt: not a rigid transform/);
    assert.match(r, /poses: 2\/3 rigid/);
    assert.match(r, /problems \(3\):/);
  });

  it('flags cameras that do not look at the origin and labels outside the class file', async () => {
    const { root: r2, cleanup: c2 } = tempRoot();
    try {
      writeClassFile(r2);
      const dir = writeInstance(r2, 'x', [{ width: 4, height: 4, labels: new Int32Array(16).fill(7), pose: lookAt([0, -2, 0], [0.5, 0, 0]) }]);
      const r = await inspectInstance(dir, { decodeImages: false });
      assert.match(r, /1 cameras look away from the origin/);
      assert.match(r, /labels 7 are outside \[0, 6\)/);
    } finally {
      c2();
    }
  });

  it('runInspect: exit codes and usage', async () => {
    const log = console.log;
    const err = console.error;
    const out: string[] = [];
    console.log = (s: string) => out.push(s);
    console.error = (s: string) => out.push(s);
    try {
      assert.equal(await runInspect([good, '--quick']), 0);
      assert.match(out.join('\n'), /views: 3/);
      assert.equal(await runInspect([bad]), 1);
      assert.equal(await runInspect([join(root, 'nowhere')]), 1);
      assert.equal(await runInspect([]), 2);
      assert.equal(await runInspect([good, '--side', 'x']), 2);
      assert.equal(await runInspect(['--help']), 0);
    } finally {
      console.log = log;
      console.error = err;
    }
  });
});
