/**
 * NumPy .npy (format 1.0/2.0) read and write for the dtypes the data uses:
 * uint8, int32, int64 (official label maps), float32 and float64 (what NumPy writes by default). Little-endian, C order only.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic_write';

export type NpyDType = 'uint8' | 'int32' | 'int64' | 'float32' | 'float64';

export interface NpyArray {
  dtype: NpyDType;
  shape: number[];
  /** int64 is returned as BigInt64Array; use `npyToInt32` / `npyToFloat32` for arithmetic. */
  data: Uint8Array | Int32Array | BigInt64Array | Float32Array | Float64Array;
}

const DESCR: Record<NpyDType, string> = { uint8: '|u1', int32: '<i4', int64: '<i8', float32: '<f4', float64: '<f8' };
const FROM_DESCR: Record<string, NpyDType> = { '|u1': 'uint8', '<u1': 'uint8', '|i1': 'uint8', '<i4': 'int32', '<i8': 'int64', '<f4': 'float32', '<f8': 'float64' };
const BYTES: Record<NpyDType, number> = { uint8: 1, int32: 4, int64: 8, float32: 4, float64: 8 };
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function encodeNpy(arr: NpyArray): Buffer {
  const count = arr.shape.reduce((a, b) => a * b, 1);
  if (arr.data.length !== count) {
    throw new Error(`encodeNpy: data has ${arr.data.length} elements, shape [${arr.shape}] needs ${count}`);
  }
  const shapeStr = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  let header = `{'descr': '${DESCR[arr.dtype]}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  // Pad so that magic(6)+version(2)+len(2)+header ends on a 64-byte boundary, newline-terminated.
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = Buffer.alloc(10 + header.length + count * BYTES[arr.dtype]);
  MAGIC.forEach((b, i) => (out[i] = b));
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  const body = Buffer.from(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength);
  body.copy(out, 10 + header.length);
  return out;
}

/** Decodes an .npy buffer; `source` names the file in error messages. */
export function decodeNpy(buf: Uint8Array, source = '<buffer>'): NpyArray {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 10 || !MAGIC.every((m, i) => b[i] === m)) {
    throw new Error(`${source}: not a NumPy .npy file (bad magic bytes)`);
  }
  const major = b[6];
  let headerLen: number;
  let offset: number;
  if (major === 1) {
    headerLen = b.readUInt16LE(8);
    offset = 10;
  } else if (major === 2 || major === 3) {
    if (b.length < 12) throw new Error(`${source}: truncated .npy header`);
    headerLen = b.readUInt32LE(8);
    offset = 12;
  } else {
    throw new Error(`${source}: unsupported .npy format version ${major}`);
  }
  if (b.length < offset + headerLen) throw new Error(`${source}: truncated .npy header`);
  const header = b.toString('latin1', offset, offset + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new Error(`${source}: malformed .npy header ${JSON.stringify(header.trim())}`);
  }
  const dtype = FROM_DESCR[descr];
  if (!dtype) throw new Error(`${source}: unsupported dtype '${descr}' (expected uint8, int32, int64, float32 or float64, little-endian)`);
  if (fortran === 'True') throw new Error(`${source}: Fortran-ordered arrays are not supported`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`${source}: bad shape (${shapeText})`);
  const count = shape.reduce((a, c) => a * c, 1);
  const start = offset + headerLen;
  const need = count * BYTES[dtype];
  if (b.length - start < need) {
    throw new Error(`${source}: truncated .npy data: shape [${shape}] ${dtype} needs ${need} bytes, file has ${b.length - start}`);
  }
  // Copy into an aligned buffer: typed-array views need aligned offsets.
  const raw = new Uint8Array(need);
  raw.set(b.subarray(start, start + need));
  const data =
    dtype === 'uint8' ? raw
    : dtype === 'int32' ? new Int32Array(raw.buffer)
    : dtype === 'int64' ? new BigInt64Array(raw.buffer)
    : dtype === 'float64' ? new Float64Array(raw.buffer)
    : new Float32Array(raw.buffer);
  return { dtype, shape, data };
}

export function readNpy(path: string): NpyArray {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new Error(`${path}: cannot read .npy file (${(e as Error).message})`);
  }
  return decodeNpy(buf, path);
}

export function writeNpy(path: string, arr: NpyArray): void {
  writeFileAtomic(path, encodeNpy(arr));
}

/** Integer view of an integer array; int64 values must fit in int32. */
export function npyToInt32(arr: NpyArray, source = '<array>'): Int32Array {
  if (arr.dtype === 'float32' || arr.dtype === 'float64') throw new Error(`${source}: expected an integer array, got ${arr.dtype}`);
  if (arr.data instanceof Int32Array) return arr.data;
  const out = new Int32Array(arr.data.length);
  if (arr.data instanceof BigInt64Array) {
    for (let i = 0; i < out.length; i++) {
      const v = arr.data[i];
      if (v > 2147483647n || v < -2147483648n) throw new Error(`${source}: int64 value ${v} at index ${i} does not fit in int32`);
      out[i] = Number(v);
    }
  } else {
    out.set(arr.data as Uint8Array);
  }
  return out;
}

/** Float32 copy or view (float64 rounds to float32). */
export function npyToFloat32(arr: NpyArray): Float32Array {
  if (arr.data instanceof Float32Array) return arr.data;
  if (arr.data instanceof BigInt64Array) return Float32Array.from(arr.data, (v) => Number(v));
  return Float32Array.from(arr.data as ArrayLike<number>);
}

/** Float64 values of any numeric array (exact for every dtype but int64 beyond 2^53). */
export function npyToFloat64(arr: NpyArray): Float64Array {
  if (arr.data instanceof Float64Array) return arr.data;
  if (arr.data instanceof BigInt64Array) return Float64Array.from(arr.data, (v) => Number(v));
  return Float64Array.from(arr.data as ArrayLike<number>);
}
