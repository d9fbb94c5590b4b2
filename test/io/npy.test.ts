import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeNpy, encodeNpy, npyToFloat32, npyToFloat64, npyToInt32, readNpy, writeNpy, type NpyArray } from '../../lib/io/npy';

describe('.npy', () => {
  it('round-trips uint8, int32, int64, float32 and float64 through a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'srn-npy-'));
    try {
      const arrays: NpyArray[] = [
        { dtype: 'uint8', shape: [2, 3], data: Uint8Array.from([0, 1, 2, 253, 254, 255]) },
        { dtype: 'int32', shape: [3, 2], data: Int32Array.from([-2147483648, -1, 0, 1, 5, 2147483647]) },
        { dtype: 'int64', shape: [5], data: BigInt64Array.from([-(2n ** 40n), -1n, 0n, 7n, 2n ** 62n]) },
        { dtype: 'float32', shape: [2, 2, 1], data: Float32Array.from([-1.5, 0, 3.25, Math.fround(0.1)]) },
        { dtype: 'float32', shape: [0], data: new Float32Array(0) },
        { dtype: 'float64', shape: [1, 3], data: Float64Array.from([0.1, -1e300, 2 ** -1074]) },
      ];
      arrays.forEach((a, i) => {
        const f = join(dir, `a${i}.npy`);
        writeNpy(f, a);
        const b = readNpy(f);
        assert.equal(b.dtype, a.dtype);
        assert.deepEqual(b.shape, a.shape);
        assert.deepEqual(Array.from(b.data as ArrayLike<number | bigint>), Array.from(a.data as ArrayLike<number | bigint>));
        // Header + magic is a multiple of 64 bytes, as NumPy writes it.
        const raw = readFileSync(f);
        assert.equal((10 + raw.readUInt16LE(8)) % 64, 0);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the exact bytes NumPy 1.x writes for np.save(f, np.array([[1, 2, 3], [-4, 5, 2**40]], dtype=np.int64))', () => {
    const dict = "{'descr': '<i8', 'fortran_order': False, 'shape': (2, 3), }";
    const header = dict + ' '.repeat(128 - 10 - dict.length - 1) + '\n'; // 118 bytes
    assert.equal(header.length, 118);
    const body = Buffer.alloc(48);
    [1n, 2n, 3n, -4n, 5n, 2n ** 40n].forEach((v, i) => body.writeBigInt64LE(v, i * 8));
    const bytes = Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00, 118, 0x00]), Buffer.from(header, 'latin1'), body]);
    assert.equal(bytes.length, 128 + 48);
    const a = decodeNpy(bytes, 'numpy.npy');
    assert.equal(a.dtype, 'int64');
    assert.deepEqual(a.shape, [2, 3]);
    assert.deepEqual(Array.from(a.data as BigInt64Array), [1n, 2n, 3n, -4n, 5n, 2n ** 40n]);
    // Our writer produces the same bytes NumPy does.
    assert.deepEqual(encodeNpy(a), bytes);
    assert.throws(() => npyToInt32(a, 'numpy.npy'), /numpy\.npy: int64 value 1099511627776 at index 5 does not fit in int32/);
    const small = decodeNpy(Buffer.concat([bytes.subarray(0, 128), body.subarray(0, 40), Buffer.alloc(8)]));
    assert.deepEqual(Array.from(npyToInt32(small)), [1, 2, 3, -4, 5, 0]);
    assert.deepEqual(Array.from(npyToFloat32(small)), [1, 2, 3, -4, 5, 0]);
  });

  it('reads a version 2.0 header and a uint8 label map (|u1)', () => {
    const dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }";
    const header = dict + ' '.repeat(128 - 12 - dict.length - 1) + '\n';
    const len = Buffer.alloc(4);
    len.writeUInt32LE(header.length);
    const bytes = Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x02, 0x00]), len, Buffer.from(header, 'latin1'), Buffer.from([0, 1, 5, 2])]);
    const a = decodeNpy(bytes);
    assert.equal(a.dtype, 'uint8');
    assert.deepEqual(Array.from(npyToInt32(a)), [0, 1, 5, 2]);
  });

  it('rejects bad files with the file name and what was expected', () => {
    assert.throws(() => decodeNpy(Buffer.from('not numpy at all'), 'x.npy'), /x\.npy: not a NumPy \.npy file/);
    const good = encodeNpy({ dtype: 'int32', shape: [4], data: Int32Array.from([1, 2, 3, 4]) });
    assert.throws(() => decodeNpy(good.subarray(0, good.length - 3), 'y.npy'), /y\.npy: truncated \.npy data: shape \[4\] int32 needs 16 bytes, file has 13/);
    const big = Buffer.from(good);
    big.write("'>f4'", big.indexOf("'<i4'"), 'latin1');
    assert.throws(() => decodeNpy(big, 'z.npy'), /z\.npy: unsupported dtype '>f4'/);
    const fortran = Buffer.from(good);
    fortran.write('True ', fortran.indexOf('False'), 'latin1');
    assert.throws(() => decodeNpy(fortran, 'f.npy'), /Fortran-ordered/);
    assert.throws(() => readNpy('/nonexistent/file.npy'), /\/nonexistent\/file\.npy: cannot read \.npy file/);
    assert.throws(() => npyToInt32({ dtype: 'float32', shape: [1], data: new Float32Array(1) }, 'd.npy'), /d\.npy: expected an integer array/);
    assert.throws(() => npyToInt32({ dtype: 'float64', shape: [1], data: new Float64Array(1) }, 'e.npy'), /e\.npy: expected an integer array, got float64/);
  });

  it('converts float64 to float32 by rounding, and every dtype to float64 exactly', () => {
    const f64: NpyArray = { dtype: 'float64', shape: [2], data: Float64Array.from([0.1, 1 + 2 ** -40]) };
    assert.deepEqual(Array.from(npyToFloat32(f64)), [Math.fround(0.1), 1]);
    assert.deepEqual(Array.from(npyToFloat64(f64)), [0.1, 1 + 2 ** -40]);
    assert.deepEqual(Array.from(npyToFloat64({ dtype: 'int64', shape: [2], data: BigInt64Array.from([-(2n ** 40n), 3n]) })), [-(2 ** 40), 3]);
    assert.deepEqual(Array.from(npyToFloat64({ dtype: 'float32', shape: [1], data: Float32Array.from([0.1]) })), [Math.fround(0.1)]);
  });
});
