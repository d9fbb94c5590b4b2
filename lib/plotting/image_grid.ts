/**
 * Image grids: the one place figures tile images. Both builders place their cells by `gridLayout`:
 *  - `composeGrid` paints tiles into one RGBA image (comparison figures, interpolation frames);
 *  - `imageGridSvg` places images as embedded PNGs in an SVG, with captions, row labels and a title (notebook
 *    strips, `saveImageGrid`; `svgToPng` rasterises it).
 */
import { encodePng, type RgbaImage } from '../io/png';
import { escapeXml, pngSize, svgFigureOpen } from './svg_png';

export interface GridLayout {
  width: number;
  height: number;
  /** Left edge of each column and top edge of each row. */
  x: number[];
  y: number[];
}

/** Columns of the given widths and rows of the given heights, `pad` px between them and around the border. */
export function gridLayout(colWidths: readonly number[], rowHeights: readonly number[], pad: number): GridLayout {
  const edges = (sizes: readonly number[]) => {
    const at: number[] = [];
    let next = pad;
    for (const s of sizes) {
      at.push(next);
      next += s + pad;
    }
    return { at, end: next };
  };
  const cols = edges(colWidths);
  const rows = edges(rowHeights);
  return { width: cols.end, height: rows.end, x: cols.at, y: rows.at };
}

// ---- raster

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
  const { width, height, x, y } = gridLayout(colW, rowH, pad);
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set(bg, 4 * i);
  rows.forEach((row, r) =>
    row.forEach((t, c) => {
      if (!t) return;
      for (let ty = 0; ty < t.height; ty++) data.set(t.data.subarray(4 * ty * t.width, 4 * (ty + 1) * t.width), 4 * ((y[r] + ty) * width + x[c]));
    }),
  );
  return { width, height, data };
}

// ---- SVG

export interface GridImage {
  /** RGBA pixels, or already-encoded PNG bytes. */
  image: RgbaImage | Uint8Array;
  /** Caption under the image. */
  caption?: string;
}

export interface ImageGridOptions {
  /** Images per row (default: all in one strip). */
  cols?: number;
  /** Displayed size of each cell's longer side in px (default 128); small renders are upscaled without smoothing. */
  cellSize?: number;
  title?: string;
  /** Label left of each row, e.g. ['RGB', 'labels', 'ground truth']. */
  rowLabels?: string[];
  gap?: number;
}

/** Builds the grid as an SVG document string: square cells of `cellSize`, each image scaled to fit and centred. */
export function imageGridSvg(items: readonly GridImage[], opts: ImageGridOptions = {}): string {
  if (items.length === 0) throw new Error('imageGridSvg: no images');
  const cols = opts.cols ?? items.length;
  if (!Number.isInteger(cols) || cols < 1) throw new Error(`imageGridSvg: cols must be an integer >= 1, got ${cols}`);
  const cell = opts.cellSize ?? 128;
  const rows = Math.ceil(items.length / cols);
  const captionH = items.some((it) => it.caption) ? 18 : 0;
  const titleH = opts.title ? 26 : 0;
  const labelW = opts.rowLabels?.length ? 14 + 7 * Math.max(...opts.rowLabels.map((l) => l.length)) : 0;
  const gap = opts.gap ?? 8;
  const grid = gridLayout(new Array<number>(cols).fill(cell), new Array<number>(rows).fill(cell + captionH), gap);
  const gridW = labelW + grid.width;
  // A title wider than the grid widens the picture (≈8.5 px per character at 14 px bold), grid centred below.
  const width = Math.max(gridW, opts.title ? Math.ceil(8.5 * opts.title.length) + 2 * gap : 0);
  const left = (width - gridW) / 2 + labelW;
  const height = titleH + grid.height;
  const parts = svgFigureOpen(width, height);
  if (opts.title) parts.push(`<text x="${width / 2}" y="18" font-size="14" font-weight="bold" text-anchor="middle">${escapeXml(opts.title)}</text>`);
  items.forEach((it, i) => {
    const png = it.image instanceof Uint8Array ? it.image : encodePng(it.image);
    let dims: { width: number; height: number };
    try {
      dims = pngSize(png);
    } catch {
      throw new Error(`imageGridSvg: items[${i}]: bytes are not a PNG image`);
    }
    const s = cell / Math.max(dims.width, dims.height);
    const w = dims.width * s;
    const h = dims.height * s;
    const x0 = left + grid.x[i % cols];
    const y0 = titleH + grid.y[Math.floor(i / cols)];
    parts.push(
      `<image x="${x0 + (cell - w) / 2}" y="${y0 + (cell - h) / 2}" width="${w}" height="${h}" image-rendering="optimizeSpeed" style="image-rendering:pixelated" xlink:href="data:image/png;base64,${Buffer.from(png).toString('base64')}"/>`,
    );
    if (it.caption) {
      parts.push(`<text x="${x0 + cell / 2}" y="${y0 + cell + 13}" font-size="11" text-anchor="middle">${escapeXml(it.caption)}</text>`);
    }
  });
  opts.rowLabels?.slice(0, rows).forEach((l, r) => {
    parts.push(`<text x="${left - 6}" y="${titleH + grid.y[r] + cell / 2}" font-size="12" text-anchor="end" dominant-baseline="middle">${escapeXml(l)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
