/**
 * Reads a PyTorch checkpoint (`torch.save`, the zip format of torch ≥ 1.6, the authors' torch 1.8.1 included) without
 * Python: the zip's `data.pkl` is run through a small pickle machine that knows the few globals a state dict uses
 * (OrderedDict, `_rebuild_tensor_v2`, `_rebuild_parameter`, the typed storages); every other global comes back as an
 * opaque record, so optimiser state and the like never stop a read, and nothing in the file is ever executed. A
 * tensor's values are copied out, in C order, when first read.
 */
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { inflateRawSync } from 'node:zlib';

export type TorchDType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export interface TorchTensor {
  readonly kind: 'tensor';
  dtype: TorchDType;
  shape: number[];
  /** Values in C order: floats as float32, integers and bools as numbers (int64 beyond 2^53 lose precision). */
  data: Float32Array | Float64Array;
}

/** A call the reader does not model (`module.name(args)`), kept for inspection. */
export interface TorchOpaque {
  readonly kind: 'opaque';
  global: string;
  args: TorchValue[];
  state?: TorchValue;
}

export type TorchValue = TorchTensor | TorchOpaque | TorchValue[] | { [key: string]: TorchValue } | string | number | bigint | boolean | null | Uint8Array;

interface ZipEntry {
  name: string;
  method: number;
  compressed: number;
  size: number;
  localOffset: number;
}

const STORAGE_DTYPES: Record<string, TorchDType> = {
  FloatStorage: 'float32', DoubleStorage: 'float64', HalfStorage: 'float16', BFloat16Storage: 'bfloat16', LongStorage: 'int64',
  IntStorage: 'int32', ShortStorage: 'int16', CharStorage: 'int8', ByteStorage: 'uint8', BoolStorage: 'bool',
};
const DTYPE_BYTES: Record<TorchDType, number> = { float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1 };

function zipEntries(buf: Buffer, file: string): Map<string, ZipEntry> {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    const legacy = buf.length >= 2 && buf[0] === 0x80;
    throw new Error(
      legacy
        ? `${file}: a PyTorch file in the legacy (pre-1.6) format; re-save it with torch ≥ 1.6: torch.save(torch.load(path), path)`
        : `${file}: not a PyTorch checkpoint (no zip directory found; expected the file torch.save writes)`,
    );
  }
  let count = buf.readUInt16LE(eocd + 10);
  let cdOffset = buf.readUInt32LE(eocd + 16);
  // Zip64: the end record's fields are saturated and the real ones sit in the zip64 end record.
  if (eocd >= 20 && buf.readUInt32LE(eocd - 20) === 0x07064b50) {
    const z64 = Number(buf.readBigUInt64LE(eocd - 20 + 8));
    if (buf.readUInt32LE(z64) !== 0x06064b50) throw new Error(`${file}: corrupt zip64 end record`);
    count = Number(buf.readBigUInt64LE(z64 + 32));
    cdOffset = Number(buf.readBigUInt64LE(z64 + 48));
  }
  const out = new Map<string, ZipEntry>();
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`${file}: corrupt zip directory (entry ${k} of ${count})`);
    const method = buf.readUInt16LE(p + 10);
    let compressed = buf.readUInt32LE(p + 20);
    let size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    let localOffset = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    // Zip64 extra field: the saturated sizes and offset follow in this order.
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen; ) {
      const id = buf.readUInt16LE(e);
      const len = buf.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) (size = Number(buf.readBigUInt64LE(q))), (q += 8);
        if (compressed === 0xffffffff) (compressed = Number(buf.readBigUInt64LE(q))), (q += 8);
        if (localOffset === 0xffffffff) localOffset = Number(buf.readBigUInt64LE(q));
      }
      e += 4 + len;
    }
    out.set(name, { name, method, compressed, size, localOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

function entryData(buf: Buffer, e: ZipEntry, file: string): Buffer {
  const p = e.localOffset;
  if (p + 30 > buf.length || buf.readUInt32LE(p) !== 0x04034b50) throw new Error(`${file}: corrupt zip entry '${e.name}'`);
  const start = p + 30 + buf.readUInt16LE(p + 26) + buf.readUInt16LE(p + 28);
  if (start + e.compressed > buf.length) throw new Error(`${file}: zip entry '${e.name}' is truncated (${e.compressed} bytes from ${start}, file has ${buf.length})`);
  const raw = buf.subarray(start, start + e.compressed);
  if (e.method === 0) return raw;
  if (e.method === 8) return inflateRawSync(raw);
  throw new Error(`${file}: zip entry '${e.name}' uses compression method ${e.method} (stored or deflate expected)`);
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** One element of a storage as a number. */
function reader(bytes: Buffer, dtype: TorchDType): (i: number) => number {
  switch (dtype) {
    case 'float32': return (i) => bytes.readFloatLE(4 * i);
    case 'float64': return (i) => bytes.readDoubleLE(8 * i);
    case 'float16': return (i) => halfToFloat(bytes.readUInt16LE(2 * i));
    case 'bfloat16': {
      const tmp = Buffer.alloc(4);
      return (i) => (tmp.writeUInt16LE(0, 0), tmp.writeUInt16LE(bytes.readUInt16LE(2 * i), 2), tmp.readFloatLE(0));
    }
    case 'int64': return (i) => Number(bytes.readBigInt64LE(8 * i));
    case 'int32': return (i) => bytes.readInt32LE(4 * i);
    case 'int16': return (i) => bytes.readInt16LE(2 * i);
    case 'int8': return (i) => bytes.readInt8(i);
    case 'uint8': case 'bool': return (i) => bytes[i];
  }
}

interface Storage {
  dtype: TorchDType;
  bytes: Buffer;
  numel: number;
}

/** Whether `stride` is C order for `shape` (size-1 dimensions may carry any stride). */
function contiguous(shape: number[], stride: number[]): boolean {
  let want = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== want) return false;
    want *= shape[d];
  }
  return true;
}

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * A tensor of a storage, read on first use of `data`: a checkpoint's optimiser moments (twice the model's size)
 * are never copied unless asked for. Contiguous float32 is one copy of the bytes.
 */
class LazyTensor implements TorchTensor {
  readonly kind = 'tensor' as const;
  private values?: Float32Array | Float64Array;
  constructor(private readonly storage: Storage, private readonly offset: number, readonly shape: number[], private readonly stride: number[], where: string) {
    const n = shape.reduce((a, b) => a * b, 1);
    const last = offset + shape.reduce((a, s, d) => a + (s - 1) * stride[d], 0);
    if (n > 0 && last >= storage.numel) throw new Error(`${where}: a tensor of shape [${shape}] reaches element ${last} of a storage of ${storage.numel}`);
  }
  get dtype(): TorchDType {
    return this.storage.dtype;
  }
  get data(): Float32Array | Float64Array {
    return (this.values ??= this.read());
  }
  set data(v: Float32Array | Float64Array) {
    this.values = v;
  }
  private read(): Float32Array | Float64Array {
    const { storage, offset, shape, stride } = this;
    const n = shape.reduce((a, b) => a * b, 1);
    if (storage.dtype === 'float32' && LITTLE_ENDIAN && contiguous(shape, stride)) {
      const out = new Float32Array(n);
      new Uint8Array(out.buffer).set(storage.bytes.subarray(4 * offset, 4 * (offset + n)));
      return out;
    }
    const data = storage.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
    const at = reader(storage.bytes, storage.dtype);
    const idx = new Array<number>(shape.length).fill(0);
    for (let k = 0; k < n; k++) {
      let src = offset;
      for (let d = 0; d < shape.length; d++) src += idx[d] * stride[d];
      data[k] = at(src);
      for (let d = shape.length - 1; d >= 0; d--) {
        if (++idx[d] < shape[d]) break;
        idx[d] = 0;
      }
    }
    return data;
  }
}

const MARK = Symbol('mark');
type Global = { global: string };

/** Runs a pickle (protocols 0–5, the opcodes torch.save emits and the common ones beside them). */
function unpickle(pkl: Buffer, persistentLoad: (pid: TorchValue) => TorchValue, where: string): TorchValue {
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let p = 0;
  const popMark = (): unknown[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw new Error(`${where}: pickle has no mark at byte ${p}`);
    const items = stack.splice(i);
    items.shift();
    return items;
  };
  const line = (): string => {
    const e = pkl.indexOf(0x0a, p);
    const s = pkl.toString('latin1', p, e);
    p = e + 1;
    return s;
  };
  const call = (fn: unknown, args: unknown[]): unknown => {
    const g = (fn as Global).global;
    switch (g) {
      case 'collections.OrderedDict':
        return {};
      case 'torch._utils._rebuild_tensor_v2':
      case 'torch._utils._rebuild_tensor': {
        const [storage, offset, shape, stride] = args as [Storage, number, number[], number[]];
        return new LazyTensor(storage, offset, shape, stride, where);
      }
      case 'torch._utils._rebuild_parameter':
      case 'torch._utils._rebuild_parameter_with_state':
        return args[0];
      default:
        return { kind: 'opaque', global: g, args } as TorchOpaque;
    }
  };
  for (;;) {
    if (p >= pkl.length) throw new Error(`${where}: pickle ends without STOP`);
    const op = pkl[p++];
    switch (op) {
      case 0x80: p++; break; // PROTO
      case 0x95: p += 8; break; // FRAME
      case 0x2e: return stack.pop() as TorchValue; // STOP
      case 0x28: stack.push(MARK); break;
      case 0x7d: stack.push({}); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x8f: stack.push([]); break; // EMPTY_SET
      case 0x4e: stack.push(null); break;
      case 0x88: stack.push(true); break;
      case 0x89: stack.push(false); break;
      case 0x4a: stack.push(pkl.readInt32LE(p)); p += 4; break; // BININT
      case 0x4b: stack.push(pkl[p]); p += 1; break; // BININT1
      case 0x4d: stack.push(pkl.readUInt16LE(p)); p += 2; break; // BININT2
      case 0x8a: case 0x8b: { // LONG1, LONG4
        const n = op === 0x8a ? pkl[p] : pkl.readUInt32LE(p);
        p += op === 0x8a ? 1 : 4;
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(pkl[p + i]);
        if (n > 0 && pkl[p + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        p += n;
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x49: { // INT
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : Number(s));
        break;
      }
      case 0x47: stack.push(pkl.readDoubleBE(p)); p += 8; break; // BINFLOAT
      case 0x58: { const n = pkl.readUInt32LE(p); p += 4; stack.push(pkl.toString('utf8', p, p + n)); p += n; break; } // BINUNICODE
      case 0x8c: { const n = pkl[p]; p += 1; stack.push(pkl.toString('utf8', p, p + n)); p += n; break; } // SHORT_BINUNICODE
      case 0x8d: { const n = Number(pkl.readBigUInt64LE(p)); p += 8; stack.push(pkl.toString('utf8', p, p + n)); p += n; break; }
      case 0x54: { const n = pkl.readUInt32LE(p); p += 4; stack.push(pkl.toString('latin1', p, p + n)); p += n; break; } // BINSTRING
      case 0x55: { const n = pkl[p]; p += 1; stack.push(pkl.toString('latin1', p, p + n)); p += n; break; } // SHORT_BINSTRING
      case 0x42: { const n = pkl.readUInt32LE(p); p += 4; stack.push(new Uint8Array(pkl.subarray(p, p + n))); p += n; break; } // BINBYTES
      case 0x43: { const n = pkl[p]; p += 1; stack.push(new Uint8Array(pkl.subarray(p, p + n))); p += n; break; } // SHORT_BINBYTES
      case 0x71: memo.set(pkl[p], stack.at(-1)); p += 1; break; // BINPUT
      case 0x72: memo.set(pkl.readUInt32LE(p), stack.at(-1)); p += 4; break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, stack.at(-1)); break; // MEMOIZE
      case 0x68: stack.push(memo.get(pkl[p])); p += 1; break; // BINGET
      case 0x6a: stack.push(memo.get(pkl.readUInt32LE(p))); p += 4; break; // LONG_BINGET
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x85: stack.push([stack.pop()]); break;
      case 0x86: { const b = stack.pop(); const a = stack.pop(); stack.push([a, b]); break; }
      case 0x87: { const c = stack.pop(); const b = stack.pop(); const a = stack.pop(); stack.push([a, b, c]); break; }
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x64: { // DICT
        const items = popMark();
        const d: Record<string, unknown> = {};
        for (let i = 0; i < items.length; i += 2) d[String(items[i])] = items[i + 1];
        stack.push(d);
        break;
      }
      case 0x61: { const v = stack.pop(); (stack.at(-1) as unknown[]).push(v); break; } // APPEND
      case 0x65: { const items = popMark(); (stack.at(-1) as unknown[]).push(...items); break; } // APPENDS
      case 0x90: { const items = popMark(); (stack.at(-1) as unknown[]).push(...items); break; } // ADDITEMS
      case 0x73: { const v = stack.pop(); const k = stack.pop(); (stack.at(-1) as Record<string, unknown>)[String(k)] = v; break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        const d = stack.at(-1) as Record<string, unknown>;
        for (let i = 0; i < items.length; i += 2) d[String(items[i])] = items[i + 1];
        break;
      }
      case 0x63: { const mod = line(); const name = line(); stack.push({ global: `${mod}.${name}` }); break; } // GLOBAL
      case 0x93: { const name = stack.pop(); const mod = stack.pop(); stack.push({ global: `${mod}.${name}` }); break; } // STACK_GLOBAL
      case 0x52: { const args = stack.pop() as unknown[]; const fn = stack.pop(); stack.push(call(fn, args)); break; } // REDUCE
      case 0x81: { const args = stack.pop() as unknown[]; const cls = stack.pop(); stack.push(call(cls, args)); break; } // NEWOBJ
      case 0x62: { // BUILD: an object's state; a state dict's `_metadata` and the like are kept only on opaque records
        const state = stack.pop();
        const obj = stack.at(-1) as TorchOpaque;
        if (obj && typeof obj === 'object' && (obj as TorchOpaque).kind === 'opaque') obj.state = state as TorchValue;
        break;
      }
      case 0x51: stack.push(persistentLoad(stack.pop() as TorchValue)); break; // BINPERSID
      case 0x30: stack.pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(stack.at(-1)); break; // DUP
      default:
        throw new Error(`${where}: pickle opcode 0x${op.toString(16)} at byte ${p - 1} is not supported`);
    }
  }
}

/** Reads the object a `torch.save` wrote to `file` (a state dict, or a dict of them). */
export function readTorchCheckpoint(file: string): TorchValue {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new Error(`${file}: cannot read the PyTorch checkpoint (${(e as Error).message})`);
  }
  const entries = zipEntries(buf, file);
  const pklName = [...entries.keys()].find((n) => n.endsWith('/data.pkl') || n === 'data.pkl');
  if (!pklName) throw new Error(`${file}: a zip without data.pkl is not a PyTorch checkpoint`);
  const prefix = pklName.slice(0, -'data.pkl'.length);
  const order = entries.get(`${prefix}byteorder`);
  if (order && entryData(buf, order, file).toString('latin1') !== 'little') throw new Error(`${file}: big-endian tensors are not supported`);
  const storages = new Map<string, Storage>();
  const persistentLoad = (pid: TorchValue): TorchValue => {
    const t = pid as [string, Global, string, string, number];
    if (!Array.isArray(t) || t[0] !== 'storage') throw new Error(`${file}: unknown persistent id ${JSON.stringify(pid)}`);
    const [, type, key, , numel] = t;
    let s = storages.get(key);
    if (!s) {
      const typeName = type.global.split('.').pop()!;
      const dtype = STORAGE_DTYPES[typeName];
      if (!dtype) throw new Error(`${file}: storage type ${type.global} is not supported (${Object.keys(STORAGE_DTYPES).join(', ')})`);
      const e = entries.get(`${prefix}data/${key}`);
      if (!e) throw new Error(`${file}: storage '${key}' is missing from the archive`);
      const bytes = entryData(buf, e, file);
      if (bytes.length < numel * DTYPE_BYTES[dtype]) throw new Error(`${file}: storage '${key}' holds ${bytes.length} bytes, ${numel} × ${dtype} expected`);
      s = { dtype, bytes, numel };
      storages.set(key, s);
    }
    return s as unknown as TorchValue;
  };
  return unpickle(entryData(buf, entries.get(pklName)!, file), persistentLoad, file);
}

export function isTorchTensor(v: unknown): v is TorchTensor {
  return typeof v === 'object' && v !== null && (v as TorchTensor).kind === 'tensor';
}

/**
 * The tensors of a state dict in `file`: the object itself, or its `key` entry (the authors' `custom_save` writes
 * `{ model: state_dict, optimizer_0: … }`).
 */
export function readTorchStateDict(file: string, key = 'model'): Map<string, TorchTensor> {
  const obj = readTorchCheckpoint(file);
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj) || isTorchTensor(obj)) throw new Error(`${file}: expected a dict of tensors, found ${Array.isArray(obj) ? 'a list' : typeof obj}`);
  const rec = obj as Record<string, TorchValue>;
  const sd = key in rec && !isTorchTensor(rec[key]) ? (rec[key] as Record<string, TorchValue>) : rec;
  const out = new Map<string, TorchTensor>();
  for (const [k, v] of Object.entries(sd)) if (isTorchTensor(v)) out.set(k, v);
  if (!out.size) throw new Error(`${file}: no tensors found${key in rec ? ` under '${key}'` : ` (and no '${key}' entry)`}`);
  return out;
}
