/**
 * Image strips/grids (e.g. novel-view RGB and label renders next to ground truth) as one SVG with
 * embedded PNGs and captions; `svgToPng` rasterises it for notebooks and artifacts.
 */
import { encodePng, type RgbaImage } from '../io/png';
import { CHART_FONT_STACK } from './vega_render';

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

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function pngDims(png: Uint8Array, where: string): { width: number; height: number } {
  const sig = [0x89, 0x50, 0x4e, 0x47];
  if (png.length < 24 || sig.some((b, i) => png[i] !== b)) throw new Error(`${where}: bytes are not a PNG image`);
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}

/** Builds the grid as an SVG document string. */
export function imageGridSvg(items: readonly GridImage[], opts: ImageGridOptions = {}): string {
  if (items.length === 0) throw new Error('imageGridSvg: no images');
  const cols = opts.cols ?? items.length;
  if (!Number.isInteger(cols) || cols < 1) throw new Error(`imageGridSvg: cols must be an integer >= 1, got ${cols}`);
  const cell = opts.cellSize ?? 128;
  const gap = opts.gap ?? 8;
  const rows = Math.ceil(items.length / cols);
  const hasCaptions = items.some((it) => it.caption);
  const captionH = hasCaptions ? 18 : 0;
  const titleH = opts.title ? 26 : 0;
  const labelW = opts.rowLabels?.length ? 14 + 7 * Math.max(...opts.rowLabels.map((l) => l.length)) : 0;
  const gridW = labelW + cols * cell + (cols + 1) * gap;
  // A title wider than the grid widens the picture (≈8.5 px per character at 14 px bold), grid centred below.
  const width = Math.max(gridW, opts.title ? Math.ceil(8.5 * opts.title.length) + 2 * gap : 0);
  const dx = (width - gridW) / 2;
  const height = titleH + rows * (cell + captionH) + (rows + 1) * gap;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${CHART_FONT_STACK}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  );
  if (opts.title) parts.push(`<text x="${width / 2}" y="18" font-size="14" font-weight="bold" text-anchor="middle">${escapeXml(opts.title)}</text>`);
  items.forEach((it, i) => {
    const where = `imageGridSvg: items[${i}]`;
    const png = it.image instanceof Uint8Array ? it.image : encodePng(it.image);
    const dims = pngDims(png, where);
    const s = cell / Math.max(dims.width, dims.height);
    const w = dims.width * s;
    const h = dims.height * s;
    const r = Math.floor(i / cols);
    const c = i % cols;
    const x0 = dx + labelW + gap + c * (cell + gap);
    const y0 = titleH + gap + r * (cell + captionH + gap);
    parts.push(
      `<image x="${x0 + (cell - w) / 2}" y="${y0 + (cell - h) / 2}" width="${w}" height="${h}" image-rendering="optimizeSpeed" style="image-rendering:pixelated" xlink:href="data:image/png;base64,${Buffer.from(png).toString('base64')}"/>`,
    );
    if (it.caption) {
      parts.push(`<text x="${x0 + cell / 2}" y="${y0 + cell + 13}" font-size="11" text-anchor="middle">${escapeXml(it.caption)}</text>`);
    }
  });
  opts.rowLabels?.slice(0, rows).forEach((l, r) => {
    const y = titleH + gap + r * (cell + captionH + gap) + cell / 2;
    parts.push(`<text x="${dx + labelW - 6}" y="${y}" font-size="12" text-anchor="end" dominant-baseline="middle">${escapeXml(l)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
