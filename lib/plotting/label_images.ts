/**
 * Model outputs → 8-bit RGBA images (the `RgbaImage` of lib/io/png), plus nearest upscaling and
 * grid composition for figures. Host-side on typed arrays.
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

export interface GridOptions {
  /** Pixels between tiles and around the border (default 2). */
  pad?: number;
  /** Colour of the padding, RGBA (default mid grey). */
  background?: [number, number, number, number];
}

/**
 * Composes rows of tiles into one image. Every tile in a column must share a width and every tile
 * in a row a height; `null` leaves a blank cell. Grid size: Σ column widths + (cols+1)·pad by
 * Σ row heights + (rows+1)·pad.
 */
export function composeGrid(rows: (RgbaImage | null)[][], opts: GridOptions = {}): RgbaImage {
  const pad = opts.pad ?? 2;
  const bg = opts.background ?? [128, 128, 128, 255];
  if (rows.length === 0) throw new Error('composeGrid: no rows');
  const cols = Math.max(...rows.map((r) => r.length));
  const colW = new Array<number>(cols).fill(0);
  const rowH = new Array<number>(rows.length).fill(0);
  rows.forEach((row, r) =>
    row.forEach((t, c) => {
      if (!t) return;
      if (colW[c] && colW[c] !== t.width) throw new Error(`composeGrid: tile (${r}, ${c}) is ${t.width} wide, column ${c} is ${colW[c]}`);
      if (rowH[r] && rowH[r] !== t.height) throw new Error(`composeGrid: tile (${r}, ${c}) is ${t.height} high, row ${r} is ${rowH[r]}`);
      colW[c] = t.width;
      rowH[r] = t.height;
    }),
  );
  const width = colW.reduce((a, b) => a + b, 0) + (cols + 1) * pad;
  const height = rowH.reduce((a, b) => a + b, 0) + (rows.length + 1) * pad;
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set(bg, 4 * i);
  let y0 = pad;
  rows.forEach((row, r) => {
    let x0 = pad;
    for (let c = 0; c < cols; c++) {
      const t = row[c];
      if (t) {
        for (let y = 0; y < t.height; y++) {
          const src = t.data.subarray(4 * y * t.width, 4 * (y + 1) * t.width);
          data.set(src, 4 * ((y0 + y) * width + x0));
        }
      }
      x0 += colW[c] + pad;
    }
    y0 += rowH[r] + pad;
  });
  return { width, height, data };
}
