/**
 * A small animated-GIF (GIF89a) encoder for the interpolation frames: one global palette of 256
 * colours (a 6×7×6 RGB cube plus 4 greys; fine for renders and the 6–11 label colours), variable-width
 * LZW as the format requires, looping forever. No dependencies.
 */
import type { RgbaImage } from '../io/png';

const R_LEVELS = 6;
const G_LEVELS = 7;
const B_LEVELS = 6;

function paletteRgb(): Uint8Array {
  const p = new Uint8Array(256 * 3);
  let k = 0;
  for (let r = 0; r < R_LEVELS; r++)
    for (let g = 0; g < G_LEVELS; g++)
      for (let b = 0; b < B_LEVELS; b++) {
        p[k++] = Math.round((r * 255) / (R_LEVELS - 1));
        p[k++] = Math.round((g * 255) / (G_LEVELS - 1));
        p[k++] = Math.round((b * 255) / (B_LEVELS - 1));
      }
  for (const v of [64, 128, 192, 224]) p.set([v, v, v], (k += 3) - 3);
  return p;
}

const PALETTE = paletteRgb();

/** Palette index of an RGB colour (nearest cube level per channel). */
export function gifColorIndex(r: number, g: number, b: number): number {
  const q = (v: number, n: number) => Math.min(n - 1, Math.max(0, Math.round((v * (n - 1)) / 255)));
  return (q(r, R_LEVELS) * G_LEVELS + q(g, G_LEVELS)) * B_LEVELS + q(b, B_LEVELS);
}

/** LZW-compresses palette indices (8-bit) into GIF data sub-blocks. */
function lzw(indices: Uint8Array, out: number[]): void {
  const minCode = 8;
  const clear = 1 << minCode;
  const eoi = clear + 1;
  out.push(minCode);
  const bytes: number[] = [];
  let cur = 0;
  let nbits = 0;
  let size = minCode + 1;
  const emit = (code: number) => {
    cur |= code << nbits;
    nbits += size;
    while (nbits >= 8) {
      bytes.push(cur & 0xff);
      cur >>>= 8;
      nbits -= 8;
    }
  };
  let dict = new Map<number, number>();
  let next = eoi + 1;
  emit(clear);
  let prefix = indices.length ? indices[0] : -1;
  for (let i = 1; i < indices.length; i++) {
    const c = indices[i];
    const key = prefix * 256 + c;
    const hit = dict.get(key);
    if (hit !== undefined) {
      prefix = hit;
      continue;
    }
    emit(prefix);
    if (next < 4096) {
      dict.set(key, next++);
      // The decoder widens one code later than the encoder assigns, hence `>` not `>=`.
      if (next > 1 << size && size < 12) size++;
    } else {
      emit(clear);
      dict = new Map();
      next = eoi + 1;
      size = minCode + 1;
    }
    prefix = c;
  }
  if (prefix >= 0) emit(prefix);
  emit(eoi);
  if (nbits > 0) bytes.push(cur & 0xff);
  for (let i = 0; i < bytes.length; i += 255) {
    const n = Math.min(255, bytes.length - i);
    out.push(n);
    for (let j = 0; j < n; j++) out.push(bytes[i + j]);
  }
  out.push(0);
}

/** Encodes equally sized RGBA frames (alpha ignored) as a looping animated GIF. */
export function encodeGif(frames: readonly RgbaImage[], delayMs = 80): Uint8Array {
  if (frames.length === 0) throw new Error('encodeGif: no frames');
  const { width, height } = frames[0];
  if (width < 1 || height < 1 || width > 65535 || height > 65535) throw new Error(`encodeGif: bad size ${width}×${height}`);
  const out: number[] = [];
  const u16 = (v: number) => out.push(v & 0xff, (v >> 8) & 0xff);
  for (const ch of 'GIF89a') out.push(ch.charCodeAt(0));
  u16(width);
  u16(height);
  out.push(0xf7, 0, 0); // global colour table, 8 bits, 256 entries
  for (const v of PALETTE) out.push(v);
  out.push(0x21, 0xff, 11, ...Array.from('NETSCAPE2.0', (c) => c.charCodeAt(0)), 3, 1, 0, 0, 0); // loop forever
  const delay = Math.max(1, Math.round(delayMs / 10));
  frames.forEach((f, k) => {
    if (f.width !== width || f.height !== height) throw new Error(`encodeGif: frame ${k} is ${f.width}×${f.height}, frame 0 is ${width}×${height}`);
    out.push(0x21, 0xf9, 4, 0x04, delay & 0xff, (delay >> 8) & 0xff, 0, 0); // graphic control: no disposal change
    out.push(0x2c);
    u16(0);
    u16(0);
    u16(width);
    u16(height);
    out.push(0);
    const idx = new Uint8Array(width * height);
    for (let i = 0; i < idx.length; i++) idx[i] = gifColorIndex(f.data[4 * i], f.data[4 * i + 1], f.data[4 * i + 2]);
    lzw(idx, out);
  });
  out.push(0x3b);
  return Uint8Array.from(out);
}

/** The palette colour of an index (for tests and decoders). */
export function gifPaletteColor(i: number): [number, number, number] {
  return [PALETTE[3 * i], PALETTE[3 * i + 1], PALETTE[3 * i + 2]];
}
