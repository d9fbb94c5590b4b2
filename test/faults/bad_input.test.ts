// Finding 6: each bad input names the file, the field and what was expected, and nothing is accepted silently.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpy } from '../../lib/io/npy';
import { writePng } from '../../lib/io/png';
import { loadView, openSplit, selectFewShot } from '../../lib/data';
import { FewShotCoverageError } from '../../lib/data/sampler';
import { inspectInstance } from '../../lib/cli/data_inspect';
import { tempRoot, writeClassFile, writeInstance } from '../data/loader_fixture';

describe('bad input: clear errors', () => {
  let root: string;
  let cleanup: () => void;
  let dir: string;
  const labels = new Int32Array(64).fill(2);

  beforeEach(() => {
    ({ root, cleanup } = tempRoot());
    writeClassFile(root);
    dir = writeInstance(root, 'inst0', [0, 1, 2].map(() => ({ width: 8, height: 8, labels })));
  });
  afterEach(() => cleanup());

  const open = () => openSplit(root, 'Chair', 'train');
  const wrongSizePng = () => {
    const f = join(dir, 'rgb', '000001.png');
    writePng(f, { width: 6, height: 6, data: new Uint8Array(6 * 6 * 4).fill(128) });
    return f;
  };

  it('a wrong-size PNG is blamed on the PNG (not on its label map), with both sizes', () => {
    const f = wrongSizePng();
    assert.throws(() => loadView(open(), 0, 1, 4), (e: Error) => e.message === `${f}: image is 6×6, but the other views of ${dir} are 8×8; every view of an instance must have one size`);
  });

  it('a wrong-size PNG is refused in training data too (no label map to compare with)', () => {
    const f = wrongSizePng();
    assert.throws(() => loadView(open(), 0, 1, 4, { skipLabels: true, skipDepth: true }), (e: Error) => e.message.startsWith(`${f}: image is 6×6`));
  });

  it('a label map of the wrong size is blamed on the label map, naming the rgb image it must match', () => {
    const f = join(dir, 'seg', '000002.npy');
    writeNpy(f, { dtype: 'int32', shape: [4, 4], data: new Int32Array(16) });
    assert.throws(() => loadView(open(), 0, 2, 4), (e: Error) => e.message === `${f}: label map of shape [4, 4], expected [8, 8] or [8, 8, 1] (the size of ${join(dir, 'rgb', '000002.png')})`);
  });

  it('a NaN in a pose names the entry', () => {
    const f = join(dir, 'pose', '000000.txt');
    writeFileSync(f, '1 0 0 0\n0 1 0 0\n0 0 1 nan\n0 0 0 1\n');
    assert.throws(() => loadView(open(), 0, 0, 4), (e: Error) => e.message === `${f}: entry at row 3, column 4 is 'nan', expected a finite number (a 4×4 camera-to-world matrix)`);
  });

  it('a corrupt training label is an error, not the "cannot cover every class" fallback', () => {
    const f = join(dir, 'seg', '000000.npy');
    writeFileSync(f, 'not a npy file');
    let err: unknown;
    try {
      selectFewShot(open(), { instances: 1, views: [0], seed: 0, requireAllClasses: true });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof Error && !(err instanceof FewShotCoverageError), `got ${String(err)}`);
    assert.ok((err as Error).message.includes(f), (err as Error).message);
    // While a true coverage failure is the one error the callers may answer by relaxing the rule.
    writeNpy(f, { dtype: 'int32', shape: [8, 8], data: labels });
    assert.throws(() => selectFewShot(open(), { instances: 1, views: [0], seed: 0, requireAllClasses: true }), FewShotCoverageError);
  });

  it('data inspect reports an [H, W, 3] label map that eval would refuse', async () => {
    const f = join(dir, 'seg', '000001.npy');
    writeNpy(f, { dtype: 'int32', shape: [8, 8, 3], data: new Int32Array(8 * 8 * 3) });
    const r = await inspectInstance(dir);
    assert.ok(r.includes(`${f}: label map of shape [8, 8, 3], expected [8, 8] (the rgb size) or [H, W, 1]`), r);
    assert.match(r, /problems \(1\):/);
  });
});
