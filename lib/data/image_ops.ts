/**
 * The reference's image preprocessing as plain array code (spec/reference.md §5.2): centre square
 * crop, area (box-filter) resize for colour, nearest resize for labels and depth.
 * All images are row-major, interleaved channels.
 */

/** A square window inside an H×W image. */
export interface CropBox {
  top: number;
  left: number;
  side: number;
}

/**
 * The reference's `square_crop_img`: m = min(H, W), centre (H//2, W//2), rows and columns
 * [centre − m//2, centre + m//2). For an odd m this drops one row/column (side 2·(m//2)), as the
 * reference does.
 */
export function centreCropBox(height: number, width: number): CropBox {
  const half = Math.floor(Math.min(height, width) / 2);
  if (half === 0) throw new Error(`centreCropBox: image ${height}×${width} is too small to crop`);
  return { top: Math.floor(height / 2) - half, left: Math.floor(width / 2) - half, side: 2 * half };
}

/** Copies a crop out of an H×W×ch image. */
export function cropImage<T extends Float32Array | Int32Array | Uint8Array>(
  src: T,
  width: number,
  channels: number,
  box: CropBox,
  make: (n: number) => T,
): T {
  const out = make(box.side * box.side * channels);
  const rowLen = box.side * channels;
  for (let r = 0; r < box.side; r++) {
    const from = ((box.top + r) * width + box.left) * channels;
    out.set(src.subarray(from, from + rowLen), r * rowLen);
  }
  return out;
}

/** Source taps of a 1-D box filter: for each destination pixel, (source index, weight) with Σweight = 1. */
function areaTaps(srcLen: number, dstLen: number): { idx: Int32Array; w: Float64Array; start: Int32Array } {
  // Destination pixel d covers the source interval [d·s, (d+1)·s), s = src/dst; each source pixel i
  // covers [i, i+1). The weight is the overlap divided by s: exact box filtering for any ratio
  // (OpenCV INTER_AREA when shrinking; the same pixel-area relation when enlarging).
  const idx: number[] = [];
  const w: number[] = [];
  const start = new Int32Array(dstLen + 1);
  for (let d = 0; d < dstLen; d++) {
    start[d] = idx.length;
    // Integer arithmetic in units of 1/dstLen keeps integer ratios exact.
    const lo = d * srcLen;
    const hi = (d + 1) * srcLen;
    for (let i = Math.floor(lo / dstLen); i * dstLen < hi && i < srcLen; i++) {
      const overlap = Math.min(hi, (i + 1) * dstLen) - Math.max(lo, i * dstLen);
      if (overlap > 0) {
        idx.push(i);
        w.push(overlap / srcLen);
      }
    }
  }
  start[dstLen] = idx.length;
  return { idx: Int32Array.from(idx), w: Float64Array.from(w), start };
}

/** Area (box-filter) resize of a square side×side×ch float image to out×out. */
export function areaResize(src: Float32Array, side: number, channels: number, out: number): Float32Array {
  if (src.length !== side * side * channels) {
    throw new Error(`areaResize: ${src.length} values for a ${side}×${side}×${channels} image`);
  }
  if (out === side) return Float32Array.from(src);
  const taps = areaTaps(side, out);
  // Rows first (side × out), then columns (out × out); float64 accumulation.
  const tmp = new Float64Array(side * out * channels);
  for (let r = 0; r < side; r++) {
    for (let d = 0; d < out; d++) {
      const o = (r * out + d) * channels;
      for (let t = taps.start[d]; t < taps.start[d + 1]; t++) {
        const from = (r * side + taps.idx[t]) * channels;
        const wt = taps.w[t];
        for (let c = 0; c < channels; c++) tmp[o + c] += src[from + c] * wt;
      }
    }
  }
  const res = new Float32Array(out * out * channels);
  const acc = new Float64Array(channels);
  for (let d = 0; d < out; d++) {
    for (let col = 0; col < out; col++) {
      acc.fill(0);
      for (let t = taps.start[d]; t < taps.start[d + 1]; t++) {
        const from = (taps.idx[t] * out + col) * channels;
        const wt = taps.w[t];
        for (let c = 0; c < channels; c++) acc[c] += tmp[from + c] * wt;
      }
      const o = (d * out + col) * channels;
      for (let c = 0; c < channels; c++) res[o + c] = acc[c];
    }
  }
  return res;
}

/**
 * Nearest resize of a square single-channel image, OpenCV INTER_NEAREST convention:
 * src = min(floor(dst·side/out), side−1) in both axes.
 */
export function nearestResize<T extends Float32Array | Int32Array>(src: T, side: number, out: number, make: (n: number) => T): T {
  if (src.length !== side * side) throw new Error(`nearestResize: ${src.length} values for a ${side}×${side} image`);
  const res = make(out * out);
  const map = new Int32Array(out);
  for (let d = 0; d < out; d++) map[d] = Math.min(Math.floor((d * side) / out), side - 1);
  for (let r = 0; r < out; r++) {
    const rowFrom = map[r] * side;
    for (let c = 0; c < out; c++) res[r * out + c] = src[rowFrom + map[c]];
  }
  return res;
}

/**
 * The reference's colour pipeline from RGBA8: to [0,1], alpha-0 pixels → 1 in all four channels,
 * centre crop, area resize to `out`, then x·2−1.
 */
export function preprocessRgba(data: Uint8Array, height: number, width: number, out: number): Float32Array {
  const box = centreCropBox(height, width);
  const crop = new Float32Array(box.side * box.side * 4);
  for (let r = 0; r < box.side; r++) {
    for (let c = 0; c < box.side; c++) {
      const from = ((box.top + r) * width + box.left + c) * 4;
      const to = (r * box.side + c) * 4;
      if (data[from + 3] === 0) {
        crop[to] = crop[to + 1] = crop[to + 2] = crop[to + 3] = 1;
      } else {
        for (let k = 0; k < 4; k++) crop[to + k] = data[from + k] / 255;
      }
    }
  }
  const res = areaResize(crop, box.side, 4, out);
  for (let i = 0; i < res.length; i++) res[i] = res[i] * 2 - 1;
  return res;
}
