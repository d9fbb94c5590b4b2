/**
 * The standard comparison figure: one row per novel pose —
 * input view | predicted RGB | (GT RGB) | predicted labels | GT labels.
 * The input view appears in every row's first column so each row reads on its own.
 */
import { writePng, type RgbaImage } from '../io/png';
import { composeGrid, labelsToImage, rgbaToImage, upscaleNearest, type GridOptions } from './label_images';

export interface ComparisonRow {
  /** Predicted RGBA in [-1, 1] (4 per pixel), if the predictor renders colour. */
  predRgba?: ArrayLike<number>;
  predLabels: ArrayLike<number>;
  gtLabels: ArrayLike<number>;
  /** Ground-truth RGBA in [-1, 1], shown when given. */
  gtRgba?: ArrayLike<number>;
}

export interface ComparisonFigure {
  /** The observed view(s) in [-1, 1]; the first is shown. */
  inputRgba: ArrayLike<number>;
  rows: ComparisonRow[];
  numClasses: number;
  /** Nearest upscale factor (default: enough to reach ≥ 128 px per tile). */
  scale?: number;
  grid?: GridOptions;
}

export const COMPARISON_COLUMNS = ['input view', 'predicted RGB', 'ground-truth RGB', 'predicted labels', 'ground-truth labels'];

export function comparisonGrid(fig: ComparisonFigure): RgbaImage {
  if (fig.rows.length === 0) throw new Error('comparisonGrid: no rows');
  const input = rgbaToImage(fig.inputRgba);
  const scale = fig.scale ?? Math.max(1, Math.ceil(128 / input.width));
  const up = (img: RgbaImage) => upscaleNearest(img, scale);
  const inputTile = up(input);
  const withGtRgb = fig.rows.some((r) => r.gtRgba);
  const tiles = fig.rows.map((r) => {
    const row: (RgbaImage | null)[] = [inputTile, r.predRgba ? up(rgbaToImage(r.predRgba, input.width)) : null];
    if (withGtRgb) row.push(r.gtRgba ? up(rgbaToImage(r.gtRgba, input.width)) : null);
    row.push(up(labelsToImage(r.predLabels, fig.numClasses, input.width)), up(labelsToImage(r.gtLabels, fig.numClasses, input.width)));
    return row;
  });
  return composeGrid(tiles, fig.grid);
}

export function writeComparisonGrid(path: string, fig: ComparisonFigure): RgbaImage {
  const img = comparisonGrid(fig);
  writePng(path, img);
  return img;
}
