/**
 * The one class palette: the reference's (`colors` in the released code), class 0 white, classes 1..C−1 evenly
 * spaced along matplotlib's `rainbow` colormap (gnuplot formulae 33, 13, 10). Fixed, so a class has the same
 * colour in label renders, comparison grids, PLY files, Plotly point clouds and charts.
 */

export type Rgb8 = [number, number, number];

/** matplotlib `cm.rainbow(x)` for x in [0, 1], as 8-bit RGB. */
export function rainbow(x: number): Rgb8 {
  const t = Math.min(1, Math.max(0, x));
  const r = Math.min(1, Math.abs(2 * t - 0.5));
  const g = Math.sin(Math.PI * t);
  const b = Math.cos((Math.PI / 2) * t);
  const to8 = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 255);
  return [to8(r), to8(g), to8(b)];
}

/** Palette for C classes: [0] white, [1..C−1] rainbow(linspace(0, 1, C−1)). */
export function labelPalette(numClasses: number): Rgb8[] {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new Error(`labelPalette: numClasses must be a positive integer, got ${numClasses}`);
  }
  const out: Rgb8[] = [[255, 255, 255]];
  const k = numClasses - 1;
  for (let i = 0; i < k; i++) out.push(rainbow(k === 1 ? 0 : i / (k - 1)));
  return out;
}

/** `#rrggbb` colour of each class id 0…numClasses-1 (charts, Plotly point clouds). */
export function classPalette(numClasses: number): string[] {
  return labelPalette(numClasses).map(rgbToHex);
}

/** [r, g, b] bytes of each class id: `labelPalette` under the name the notebooks use. */
export const classPaletteRgb = labelPalette;

export function rgbToHex([r, g, b]: readonly [number, number, number]): string {
  return '#' + [r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('');
}
