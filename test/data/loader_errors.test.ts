// Bad input (issue 2): every file the loader reads can be wrong; each error names the file and what was expected.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatPose } from '../../lib/geometry/cameras';
import { writeNpy } from '../../lib/io/npy';
import { loadView, openSplit, selectFewShot, subsetSplit } from '../../lib/data';
import { tempRoot, writeClassFile, writeInstance } from './loader_fixture';

describe('loader: bad input', () => {
  let root: string;
  let cleanup: () => void;
  let dir: string;
  const labels = new Int32Array(16).fill(2);

  beforeEach(() => {
    ({ root, cleanup } = tempRoot());
    writeClassFile(root);
    dir = writeInstance(root, 'inst0', [
      { width: 4, height: 4, labels },
      { width: 4, height: 4, labels },
    ]);
  });
  afterEach(() => cleanup());

  const open = () => openSplit(root, 'Chair', 'train');
  const load = (v = 0) => loadView(open(), 0, v, 2);

  it('the fixture itself loads', () => {
    assert.equal(load().labels!.length, 4);
  });

  it('truncated PNG', () => {
    const f = join(dir, 'rgb', '000000.png');
    const buf = readFileSync(f);
    writeFileSync(f, buf.subarray(0, Math.floor(buf.length / 2)));
    assert.throws(load, (e: Error) => e.message.startsWith(f) && /truncated or corrupt PNG/.test(e.message));
  });

  it('non-PNG image', () => {
    const f = join(dir, 'rgb', '000001.png');
    writeFileSync(f, 'this is not a png');
    assert.throws(() => load(1), (e: Error) => e.message.startsWith(f) && /not a PNG file \(bad signature/.test(e.message));
  });

  it('pose without 16 numbers', () => {
    const f = join(dir, 'pose', '000000.txt');
    writeFileSync(f, '1 0 0 0\n0 1 0 0\n0 0 1 0\n0 0 0\n');
    assert.throws(load, (e: Error) => e.message.startsWith(f) && /16 numbers\), got 15/.test(e.message));
    writeFileSync(f, '1 0 0 0 0 1 0 0 0 0 1 0 0 0 0 x\n');
    assert.throws(load, (e: Error) => e.message.startsWith(f) && /row 4, column 4 is 'x', expected a finite number/.test(e.message));
  });

  it('pose that is not rigid', () => {
    const f = join(dir, 'pose', '000000.txt');
    writeFileSync(f, formatPose([2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1.5, 0, 0, 0, 1]));
    assert.throws(load, (e: Error) => e.message.startsWith(f) && /not a rigid transform/.test(e.message));
    writeFileSync(f, formatPose([-1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1.5, 0, 0, 0, 1])); // reflection, det −1
    assert.throws(load, (e: Error) => e.message.startsWith(f) && /not a rigid transform/.test(e.message));
  });

  it('intrinsics with missing lines or bad values', () => {
    const f = join(dir, 'intrinsics.txt');
    writeFileSync(f, '8 2 2 0.\n0. 0. 0.\n1.\n');
    assert.throws(open, (e: Error) => e.message.startsWith(f) && /at least 4 lines/.test(e.message));
    writeFileSync(f, '8 2 2 0.\n0. 0. 0.\n1.\n4\n');
    assert.throws(open, (e: Error) => e.message.startsWith(f) && /line 4 should hold 'height width'/.test(e.message));
    rmSync(f);
    assert.throws(open, (e: Error) => e.message.startsWith(f) && /cannot read intrinsics/.test(e.message));
  });

  it('labels outside [0, C) of the class file', () => {
    const f = join(dir, 'seg', '000001.npy');
    const bad = new Int32Array(16).fill(1);
    bad[6] = 6; // C = 6 for chairs
    writeNpy(f, { dtype: 'int32', shape: [4, 4], data: bad });
    assert.throws(() => load(1), (e: Error) => e.message.startsWith(f) && /label 6 at row 1, column 2 is outside \[0, 6\)/.test(e.message));
    bad[6] = -1;
    writeNpy(f, { dtype: 'int32', shape: [4, 4], data: bad });
    assert.throws(() => load(1), /label -1 .* outside \[0, 6\)/);
  });

  it('rgb/pose/seg counts that disagree', () => {
    rmSync(join(dir, 'pose', '000001.txt'));
    assert.throws(open, (e: Error) => e.message.startsWith(dir) && /rgb\/ has 2 \.png files but pose\/ has 1 \.txt files/.test(e.message));
  });

  it('seg count that disagrees with rgb', () => {
    rmSync(join(dir, 'seg', '000000.npy'));
    assert.throws(open, (e: Error) => e.message.startsWith(dir) && /but seg\/ has 1 \.npy files/.test(e.message));
  });

  it('seg map whose size differs from the rgb image', () => {
    const f = join(dir, 'seg', '000000.npy');
    writeNpy(f, { dtype: 'uint8', shape: [4, 3], data: new Uint8Array(12) });
    assert.throws(load, (e: Error) => e.message.startsWith(f) && /label map of shape \[4, 3\], expected \[4, 4\]/.test(e.message));
  });

  it('depth map with the wrong size', () => {
    const f = join(dir, 'depth', '000000.npy');
    writeNpy(join(dir, 'depth', '000001.npy'), { dtype: 'float32', shape: [4, 4], data: new Float32Array(16) });
    writeNpy(f, { dtype: 'float32', shape: [2, 2], data: new Float32Array(4) });
    assert.throws(load, (e: Error) => e.message.startsWith(f) && /depth map of shape \[2, 2\], expected \[4, 4\]/.test(e.message));
  });

  it('an empty split, a missing split folder, a missing class folder', () => {
    mkdirSync(join(root, 'Chair', 'Chair.val'));
    assert.throws(() => openSplit(root, 'Chair', 'val'), /Chair\.val: empty split \(no instance folders\)/);
    assert.throws(() => openSplit(root, 'Chair', 'test'), /Chair\.test: split folder not found/);
    assert.throws(() => openSplit(root, 'Table', 'train'), /Table: class folder not found/);
  });

  it('an instance folder with no views', () => {
    mkdirSync(join(root, 'Chair', 'Chair.train', 'empty', 'rgb'), { recursive: true });
    mkdirSync(join(root, 'Chair', 'Chair.train', 'empty', 'pose'), { recursive: true });
    writeFileSync(join(root, 'Chair', 'Chair.train', 'empty', 'intrinsics.txt'), '8 2 2 0.\n0. 0. 0.\n1.\n4 4\n');
    assert.throws(open, /empty[/\\]rgb: no \.png views/);
  });

  it('a missing or malformed class file', () => {
    const f = join(root, 'Chair', 'Chair-level-1.txt');
    writeFileSync(f, '1 chair_head\nchair_back 2\n');
    assert.throws(open, (e: Error) => e.message.startsWith(f) && /line 2 should be '<id> <name>'/.test(e.message));
    writeFileSync(f, '1 a\n1 b\n');
    assert.throws(open, /class id 1 appears twice/);
    rmSync(f);
    assert.throws(open, (e: Error) => e.message.startsWith(f) && /cannot read the class file/.test(e.message));
  });

  it('an unknown instance id, a bad view index, a bad .npy', () => {
    assert.throws(() => openSplit(root, 'Chair', 'train', { instanceIds: ['nope'] }), /instance 'nope' not found/);
    assert.throws(() => openSplit(root, 'Chair', 'train', { viewIndices: [0, 5] }), /view index 5 outside \[0, 2\)/);
    assert.throws(() => subsetSplit(open(), { positions: [1] }), /instance position 1 outside \[0, 1\)/);
    const f = join(dir, 'seg', '000000.npy');
    writeFileSync(f, 'garbage');
    assert.throws(load, (e: Error) => e.message.startsWith(f) && /not a NumPy \.npy file/.test(e.message));
  });

  it('few-shot on an unlabelled split asks for labels', () => {
    rmSync(join(dir, 'seg'), { recursive: true });
    assert.throws(() => selectFewShot(open(), { instances: 1, views: [0], seed: 1 }), /has no seg\/ label map/);
  });
});
