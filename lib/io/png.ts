/** PNG read/write through pngjs (pure JS). Images are 8-bit RGBA, row-major. */
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { writeFileAtomic } from '../util/atomic_write';

export interface RgbaImage {
  width: number;
  height: number;
  /** width·height·4 bytes, RGBA, row-major. */
  data: Uint8Array;
}

/** Decodes any PNG colour type to RGBA8; `source` names the file in errors. */
export function decodePng(buf: Uint8Array, source = '<buffer>'): RgbaImage {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
  } catch (e) {
    throw new Error(`${source}: not a readable PNG image (${(e as Error).message})`);
  }
  const data = new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength);
  if (data.length !== png.width * png.height * 4) {
    throw new Error(`${source}: decoded PNG has ${data.length} bytes, expected ${png.width}×${png.height}×4`);
  }
  return { width: png.width, height: png.height, data };
}

export function readPng(path: string): RgbaImage {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new Error(`${path}: cannot read PNG file (${(e as Error).message})`);
  }
  return decodePng(buf, path);
}

export function encodePng(img: RgbaImage): Buffer {
  if (img.data.length !== img.width * img.height * 4) {
    throw new Error(`encodePng: ${img.data.length} bytes for a ${img.width}×${img.height} RGBA image`);
  }
  const png = new PNG({ width: img.width, height: img.height, colorType: 6, inputHasAlpha: true });
  Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength).copy(png.data);
  // Fixed deflate settings keep output byte-identical for identical pixels.
  return PNG.sync.write(png, { colorType: 6, deflateLevel: 6, filterType: -1 });
}

export function writePng(path: string, img: RgbaImage): void {
  writeFileAtomic(path, encodePng(img));
}
