import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packFloat32, unpackFloat32, type PackedEntry } from '../../lib/util/float32_pack';

const items = [
  { name: 'w', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
  { name: 'b', shape: [2], data: Float32Array.from([-0.5, 7.25]) },
  { name: 'empty', shape: [0, 4], data: new Float32Array(0) },
];
const paths = { blobPath: '/x/weights.bin', listPath: '/x/list.json' };
const clone = (e: PackedEntry[]): Record<string, unknown>[] => JSON.parse(JSON.stringify(e));

test('pack then unpack gives every tensor back, in place, with its shape and a sha256 per tensor', () => {
  const { blob, entries } = packFloat32(items);
  assert.equal(blob.byteLength, 8 * 4);
  assert.deepEqual(entries.map((e) => [e.name, e.offset, e.length, e.dtype]), [['w', 0, 6, 'float32'], ['b', 6, 2, 'float32'], ['empty', 8, 0, 'float32']]);
  assert.match(entries[0].sha256, /^[0-9a-f]{64}$/);
  assert.notEqual(entries[0].sha256, entries[1].sha256);
  const back = unpackFloat32(blob, clone(entries), paths);
  assert.deepEqual([...back.keys()], ['w', 'b', 'empty']);
  assert.deepEqual(Array.from(back.get('w')!.data), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(back.get('w')!.shape, [2, 3]);
  assert.deepEqual(Array.from(back.get('b')!.data), [-0.5, 7.25]);
  assert.equal(back.get('empty')!.data.length, 0);
  // A Buffer with a byte offset (as readFileSync may give) reads the same.
  const shifted = Buffer.concat([Buffer.alloc(3), Buffer.from(blob)]).subarray(3);
  assert.deepEqual(Array.from(unpackFloat32(shifted, clone(entries), paths).get('b')!.data), [-0.5, 7.25]);
});

test('a truncated or foreign blob is refused by size, naming both files', () => {
  const { blob, entries } = packFloat32(items);
  assert.throws(() => unpackFloat32(blob.subarray(0, 30), clone(entries), paths), /\/x\/weights\.bin: 30 bytes, but \/x\/list\.json lists 8 float32 values \(32 bytes\) — not even a whole number/);
  assert.throws(() => unpackFloat32(blob.subarray(0, 28), clone(entries), paths), /28 bytes, .* — truncated or from another file/);
});

test('a flipped value fails its sha256; unhashed reading (checkpoint format 1) checks places and shapes only', () => {
  const { blob, entries } = packFloat32(items);
  const bad = blob.slice();
  bad[4 * 7] ^= 1; // a bit of b[1]
  assert.throws(() => unpackFloat32(bad, clone(entries), paths), /\/x\/weights\.bin: tensor 'b' does not match its sha256 in \/x\/list\.json/);
  const plain = clone(entries).map(({ sha256: _s, dtype: _d, ...e }) => e);
  assert.equal(unpackFloat32(bad, plain, { ...paths, hashed: false }).get('b')!.data.length, 2);
  assert.throws(() => unpackFloat32(blob, plain, paths), /tensor 'w': no sha256/);
});

test('edited entries are named: shape, length, place, duplicates, dtype', () => {
  const { blob, entries } = packFloat32(items);
  const edit = (i: number, patch: Record<string, unknown>) => clone(entries).map((e, k) => (k === i ? { ...e, ...patch } : e));
  assert.throws(() => unpackFloat32(blob, edit(0, { shape: [3, 3] }), paths), /list\.json: tensor 'w': shape \[3, 3\] has 9 values but the entry's length is 6/);
  assert.throws(() => unpackFloat32(blob, edit(1, { shape: 'two' }), paths), /tensor 'b': shape "two" is not a list of sizes/);
  assert.throws(() => unpackFloat32(blob, edit(1, { offset: 5 }), paths), /tensor 'b': offset 5, expected 6 \(tensors are stored back to back\)/);
  assert.throws(() => unpackFloat32(blob, edit(1, { name: 'w' }), paths), /tensor 'w': listed twice/);
  assert.throws(() => unpackFloat32(blob, [...clone(entries).slice(0, 2), 42], paths), /tensor #2: expected \{name, shape, offset, length\}/);
  assert.throws(() => unpackFloat32(blob, edit(0, { dtype: 'int32' }), paths), /tensor 'w': dtype "int32", expected 'float32'/);
  // An entry without dtype (the grid journal's first files) reads unless the format requires one.
  const noDtype = clone(entries).map(({ dtype: _d, ...e }) => e);
  assert.equal(unpackFloat32(blob, noDtype, paths).size, 3);
  assert.throws(() => unpackFloat32(blob, noDtype, { ...paths, requireDtype: true }), /tensor 'w': dtype undefined, expected 'float32'/);
});
