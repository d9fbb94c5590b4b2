/**
 * Per-class colours for charts and point clouds: the reference palette of lib/viz (`labelPalette`:
 * class 0 white, classes 1…n-1 along matplotlib's `rainbow`), so a class has the same colour in label
 * renders, PLY files, Plotly point clouds and image grids.
 */
import { labelPalette, type Rgb8 } from './label_palette';

/** `#rrggbb` colour of each class id 0…numClasses-1 (same colours as `labelPalette`). */
export function classPalette(numClasses: number): string[] {
  return classPaletteRgb(numClasses).map(rgbToHex);
}

/** [r, g, b] bytes of each class id (same as lib/viz `labelPalette`), for painting label images. */
export function classPaletteRgb(numClasses: number): Rgb8[] {
  return labelPalette(numClasses);
}

export function rgbToHex([r, g, b]: readonly [number, number, number]): string {
  return '#' + [r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('');
}
