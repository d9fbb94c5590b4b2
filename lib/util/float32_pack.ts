/**
 * Named float32 tensors packed back to back into one blob, with a list of entries (name, shape, offset, length,
 * sha256) kept beside it in JSON: the on-disk form of checkpoints (lib/training/checkpoint.ts) and of the U-Net
 * grid journal's best weights. `unpackFloat32` checks everything a damaged or edited pair can get wrong and names the
 * file and tensor in its errors.
 */
import { float32Sha256 } from './float32_sha256';

export interface NamedFloat32 {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** One tensor's place in a packed blob. */
export interface PackedEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
  /** In float32 values from the blob's start. */
  offset: number;
  length: number;
  /** Hex sha256 of the tensor's bytes. */
  sha256: string;
}

export function packFloat32(items: readonly NamedFloat32[]): { blob: Uint8Array; entries: PackedEntry[] } {
  let total = 0;
  const entries = items.map((it): PackedEntry => {
    const e: PackedEntry = { name: it.name, shape: it.shape, dtype: 'float32', offset: total, length: it.data.length, sha256: float32Sha256(it.data) };
    total += it.data.length;
    return e;
  });
  const blob = new Float32Array(total);
  items.forEach((it, i) => blob.set(it.data, entries[i].offset));
  return { blob: new Uint8Array(blob.buffer), entries };
}

export interface UnpackOptions {
  /** The blob's file and the JSON file that lists its entries, for the errors. */
  blobPath: string;
  listPath: string;
  /**
   * Whether every entry must carry dtype 'float32' and a matching sha256 (default true); false reads lists written
   * before tensors were hashed (checkpoint format 1), checked by size, shape and place only.
   */
  hashed?: boolean;
  /** Whether a hashed entry must name its dtype (checkpoint format 2 does; the grid journal's first files did not). */
  requireDtype?: boolean;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * The tensors of a packed blob by name, after checking the blob's size against the entries, each entry's shape,
 * length and place (back to back, in order) and, when hashed, its sha256 and dtype (float32, where named). The arrays are views of one
 * copy of the blob.
 */
export function unpackFloat32(buf: Uint8Array, entries: readonly unknown[], opts: UnpackOptions): Map<string, { shape: number[]; data: Float32Array }> {
  const { blobPath, listPath } = opts;
  const hashed = opts.hashed ?? true;
  const expected = entries.reduce<number>((s, e) => s + (isObject(e) && Number.isInteger(e.length) ? (e.length as number) : 0), 0);
  if (buf.byteLength !== expected * 4) {
    throw new Error(
      `${blobPath}: ${buf.byteLength} bytes, but ${listPath} lists ${expected} float32 values (${expected * 4} bytes)` +
        (buf.byteLength % 4 ? ' — not even a whole number of float32 values: truncated or not a packed tensor file' : ' — truncated or from another file'),
    );
  }
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  let next = 0;
  for (const [i, e] of entries.entries()) {
    const where = `${listPath}: tensor ${isObject(e) && typeof e.name === 'string' ? `'${e.name}'` : `#${i}`}`;
    if (!isObject(e) || typeof e.name !== 'string') throw new Error(`${where}: expected {name, shape, offset, length}`);
    if (out.has(e.name)) throw new Error(`${where}: listed twice`);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`${where}: shape ${JSON.stringify(shape)} is not a list of sizes`);
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    if (size !== e.length) throw new Error(`${where}: shape [${shape.join(', ')}] has ${size} values but the entry's length is ${e.length} (edited?)`);
    if (e.offset !== next) throw new Error(`${where}: offset ${e.offset}, expected ${next} (tensors are stored back to back)`);
    const data = all.subarray(next, next + size);
    next += size;
    if (hashed) {
      if ((opts.requireDtype || e.dtype !== undefined) && e.dtype !== 'float32') throw new Error(`${where}: dtype ${JSON.stringify(e.dtype)}, expected 'float32'`);
      if (typeof e.sha256 !== 'string') throw new Error(`${where}: no sha256 (every tensor is hashed)`);
      if (float32Sha256(data) !== e.sha256) throw new Error(`${blobPath}: tensor '${e.name}' does not match its sha256 in ${listPath} (the file is corrupt or was edited)`);
    }
    out.set(e.name, { shape: shape as number[], data });
  }
  return out;
}
