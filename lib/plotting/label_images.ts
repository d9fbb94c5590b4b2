/**
 * Model outputs → 8-bit RGBA images (the `RgbaImage` of lib/io/png) in the class palette, plus nearest
 * upscaling for figures (tiled by image_grid.ts). Host-side on typed arrays.
 */
import type { RgbaImage } from '../io/png';
import { labelPalette, type Rgb8 } from './palette';

function squareSide(n: number, what: string): number {
  const s = Math.round(Math.sqrt(n));
  if (s * s !== n) throw new Error(`${what}: ${n} pixels is not a square image; pass width explicitly`);
  return s;
}

/** Label map (row-major class ids) → opaque RGBA image in the class palette. */
export function labelsToImage(labels: ArrayLike<number>, numClasses: number, width?: number, palette?: Rgb8[]): RgbaImage {
  const w = width ?? squareSide(labels.length, 'labelsToImage');
  if (labels.length % w !== 0) throw new Error(`labelsToImage: ${labels.length} pixels is not a multiple of width ${w}`);
  const h = labels.length / w;
  const pal = palette ?? labelPalette(numClasses);
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    const col = pal[c];
    if (!col) throw new Error(`labelsToImage: label ${c} at pixel ${i} is outside 0..${pal.length - 1}`);
    data[4 * i] = col[0];
    data[4 * i + 1] = col[1];
    data[4 * i + 2] = col[2];
    data[4 * i + 3] = 255;
  }
  return { width: w, height: h, data };
}

/**
 * RGBA floats in [-1, 1] (4 per pixel, as the model renders and the loader returns) → 8-bit image,
 * values clipped. With `flattenAlpha` (default) the colour is composited over white and alpha set to 255,
 * so renders look the same in any viewer.
 */
export function rgbaToImage(rgba: ArrayLike<number>, width?: number, flattenAlpha = true): RgbaImage {
  if (rgba.length % 4 !== 0) throw new Error(`rgbaToImage: ${rgba.length} values is not 4 per pixel`);
  const n = rgba.length / 4;
  const w = width ?? squareSide(n, 'rgbaToImage');
  if (n % w !== 0) throw new Error(`rgbaToImage: ${n} pixels is not a multiple of width ${w}`);
  const data = new Uint8Array(n * 4);
  const to01 = (v: number) => Math.min(1, Math.max(0, (v + 1) * 0.5));
  for (let i = 0; i < n; i++) {
    const a = to01(rgba[4 * i + 3]);
    for (let k = 0; k < 3; k++) {
      const v = to01(rgba[4 * i + k]);
      data[4 * i + k] = Math.round((flattenAlpha ? v * a + (1 - a) : v) * 255);
    }
    data[4 * i + 3] = flattenAlpha ? 255 : Math.round(a * 255);
  }
  return { width: w, height: n / w, data };
}

/** Nearest-neighbour upscaling by an integer factor (small renders are unreadable at 32²). */
export function upscaleNearest(img: RgbaImage, factor: number): RgbaImage {
  if (!Number.isInteger(factor) || factor < 1) throw new Error(`upscaleNearest: factor must be a positive integer, got ${factor}`);
  if (factor === 1) return img;
  const w = img.width * factor;
  const h = img.height * factor;
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    const sy = Math.floor(y / factor);
    for (let x = 0; x < w; x++) {
      const s = 4 * (sy * img.width + Math.floor(x / factor));
      const d = 4 * (y * w + x);
      data[d] = img.data[s];
      data[d + 1] = img.data[s + 1];
      data[d + 2] = img.data[s + 2];
      data[d + 3] = img.data[s + 3];
    }
  }
  return { width: w, height: h, data };
}
