/** torch.save files read without Python: test/fixtures/torch-save (made by its make.py with torch) holds every layout. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTorchCheckpoint, readTorchStateDict, type TorchTensor } from '../../lib/io/torch_checkpoint';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'torch-save');
const want = JSON.parse(readFileSync(join(DIR, 'various.json'), 'utf8')) as {
  tensors: Record<string, { dtype: string; shape: number[]; data: number[] }>;
  p: number[];
};

describe('readTorchCheckpoint', () => {
  it('gives every tensor its dtype, shape and values in C order: views with offsets and strides, float64, int64, float16, empty', () => {
    const sd = readTorchStateDict(join(DIR, 'various.pth'));
    assert.deepEqual([...sd.keys()], Object.keys(want.tensors));
    for (const [name, w] of Object.entries(want.tensors)) {
      const t = sd.get(name)!;
      assert.equal(t.dtype, w.dtype, name);
      assert.deepEqual(t.shape, w.shape, name);
      assert.equal(t.data.length, w.data.length, name);
      // float32 storage → exact; float64 exact in a Float64Array; float16 converted exactly.
      w.data.forEach((v, i) => assert.ok(Math.abs(t.data[i] - v) <= (w.dtype === 'float64' ? 0 : Math.abs(v) * 1e-7), `${name}[${i}]: ${t.data[i]} vs ${v}`));
    }
    // The transposed view and the slice share one storage with an offset and non-unit strides.
    assert.deepEqual(sd.get('view.t')!.shape, [6, 4]);
    assert.deepEqual(sd.get('view.slice')!.shape, [2, 3]);
  });

  it('keeps the rest of the object: an optimiser state dict as plain values, a Parameter as its tensor', () => {
    const all = readTorchCheckpoint(join(DIR, 'various.pth')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(all), ['model', 'optimizer_0', 'p']);
    assert.deepEqual(all.optimizer_0, { state: {}, param_groups: [{ lr: 1e-4, betas: [0.9, 0.999] }] });
    const p = all.p as TorchTensor;
    assert.deepEqual([p.kind, p.shape], ['tensor', [2]]);
    assert.deepEqual(Array.from(p.data), want.p.map((v) => Math.fround(v)));
  });
});
