/**
 * The standard comparison figure: one row per novel pose —
 * input view | (predicted RGB) | (GT RGB) | predicted labels | GT labels (an RGB column only where some row has it).
 * The input view appears in every row's first column so each row reads on its own; the written PNG adds a
 * title, column headers and a class legend so that it reads without its caption.
 */
import { writeFileSync } from 'node:fs';
import { encodePng, type RgbaImage } from '../io/png';
import { composeGrid, type GridOptions } from './image_grid';
import { labelsToImage, rgbaToImage, upscaleNearest } from './label_images';
import { labelPalette } from './palette';
import { escapeXml, pngSize, svgFigureOpen, svgToPng } from './svg_png';

export interface ComparisonRow {
  /** Predicted RGBA in [-1, 1] (4 per pixel), if the predictor renders colour. */
  predRgba?: ArrayLike<number>;
  predLabels: ArrayLike<number>;
  gtLabels: ArrayLike<number>;
  /** Ground-truth RGBA in [-1, 1], shown when given. */
  gtRgba?: ArrayLike<number>;
}

export interface ComparisonFigure {
  /** The observed view in [-1, 1]; omit for predictors that observe each evaluated view itself (the U-Nets). */
  inputRgba?: ArrayLike<number>;
  rows: ComparisonRow[];
  numClasses: number;
  /** Nearest upscale factor (default: enough to reach ≥ 128 px per tile). */
  scale?: number;
  grid?: GridOptions;
  /** Class names for the legend, by class id (default 'class k'). */
  classNames?: readonly string[];
  /** Title above the headers, e.g. the object id and protocol. */
  title?: string;
  /** Column headers (default COMPARISON_COLUMNS, without the RGB columns no row has). */
  columnTitles?: readonly string[];
}

export const COMPARISON_COLUMNS = ['input view', 'predicted RGB', 'ground-truth RGB', 'predicted labels', 'ground-truth labels'];

export function comparisonGrid(fig: ComparisonFigure): RgbaImage {
  if (fig.rows.length === 0) throw new Error('comparisonGrid: no rows');
  const width = Math.round(Math.sqrt(fig.rows[0].gtLabels.length));
  const input = fig.inputRgba ? rgbaToImage(fig.inputRgba) : { width };
  const scale = fig.scale ?? Math.max(1, Math.ceil(128 / input.width));
  const up = (img: RgbaImage) => upscaleNearest(img, scale);
  const inputTile = fig.inputRgba ? up(input as RgbaImage) : undefined;
  const withGtRgb = fig.rows.some((r) => r.gtRgba);
  const withPredRgb = fig.rows.some((r) => r.predRgba);
  const tiles = fig.rows.map((r) => {
    const row: (RgbaImage | null)[] = inputTile ? [inputTile] : [];
    if (withPredRgb) row.push(r.predRgba ? up(rgbaToImage(r.predRgba, input.width)) : null);
    if (withGtRgb) row.push(r.gtRgba ? up(rgbaToImage(r.gtRgba, input.width)) : null);
    row.push(up(labelsToImage(r.predLabels, fig.numClasses, input.width)), up(labelsToImage(r.gtLabels, fig.numClasses, input.width)));
    return row;
  });
  return composeGrid(tiles, fig.grid);
}

/** The header titles of the figure's columns. */
export function comparisonColumns(fig: ComparisonFigure): string[] {
  const cols = COMPARISON_COLUMNS.filter(
    (c) =>
      (c !== 'input view' || fig.inputRgba !== undefined) &&
      (c !== 'ground-truth RGB' || fig.rows.some((r) => r.gtRgba)) &&
      (c !== 'predicted RGB' || fig.rows.some((r) => r.predRgba)),
  );
  if (!fig.columnTitles) return [...cols];
  if (fig.columnTitles.length !== cols.length) throw new Error(`comparison figure: ${fig.columnTitles.length} column titles for ${cols.length} columns (${cols.join(', ')})`);
  return [...fig.columnTitles];
}

/** The comparison grid as SVG: title, one header per column, the grid, and a swatch + name per class. */
export function comparisonFigureSvg(fig: ComparisonFigure): string {
  const grid = comparisonGrid(fig);
  const pad = fig.grid?.pad ?? 2;
  const cols = comparisonColumns(fig);
  const tileW = (grid.width - (cols.length + 1) * pad) / cols.length;
  const names = Array.from({ length: fig.numClasses }, (_, k) => fig.classNames?.[k] ?? `class ${k}`);
  if (fig.classNames && fig.classNames.length < fig.numClasses) {
    throw new Error(`comparison figure: ${fig.classNames.length} class names for ${fig.numClasses} classes`);
  }
  const headerFont = Math.max(9, Math.min(13, Math.floor(tileW / 9)));
  const titleH = fig.title ? 22 : 0;
  const headerH = headerFont + 10;
  // Legend: entries laid out left to right, wrapping at the grid's width (≈0.6 em per character).
  const sw = 12;
  const legendFont = 11;
  const entries = names.map((n, k) => ({ k, text: `${k} ${n}`, w: sw + 6 + Math.ceil(0.62 * legendFont * `${k} ${n}`.length) + 14 }));
  const width = Math.max(grid.width, 200);
  const lines: (typeof entries)[] = [[]];
  let x = 0;
  for (const e of entries) {
    if (x + e.w > width - 8 && lines.at(-1)!.length) {
      lines.push([]);
      x = 0;
    }
    lines.at(-1)!.push(e);
    x += e.w;
  }
  const legendH = 8 + lines.length * 18;
  const height = titleH + headerH + grid.height + legendH;
  const pal = labelPalette(fig.numClasses);
  const parts = svgFigureOpen(width, height);
  if (fig.title) parts.push(`<text x="${width / 2}" y="16" font-size="13" font-weight="bold" text-anchor="middle">${escapeXml(fig.title)}</text>`);
  cols.forEach((c, i) => {
    const cx = pad + i * (tileW + pad) + tileW / 2;
    parts.push(`<text x="${cx}" y="${titleH + headerFont + 3}" font-size="${headerFont}" text-anchor="middle">${escapeXml(c)}</text>`);
  });
  parts.push(
    `<image x="0" y="${titleH + headerH}" width="${grid.width}" height="${grid.height}" style="image-rendering:pixelated" xlink:href="data:image/png;base64,${Buffer.from(encodePng(grid)).toString('base64')}"/>`,
  );
  lines.forEach((line, r) => {
    let lx = 6;
    const y = titleH + headerH + grid.height + 8 + r * 18;
    for (const e of line) {
      const [cr, cg, cb] = pal[e.k];
      parts.push(`<rect x="${lx}" y="${y}" width="${sw}" height="${sw}" fill="rgb(${cr},${cg},${cb})" stroke="#555" stroke-width="0.5"/>`);
      parts.push(`<text x="${lx + sw + 4}" y="${y + sw - 2}" font-size="${legendFont}">${escapeXml(e.text)}</text>`);
      lx += e.w;
    }
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Writes the annotated figure (comparisonFigureSvg) as PNG at its own size; returns that size. */
export function writeComparisonGrid(path: string, fig: ComparisonFigure): { width: number; height: number } {
  const png = svgToPng(comparisonFigureSvg(fig), { scale: 1 });
  writeFileSync(path, png);
  return pngSize(png);
}
