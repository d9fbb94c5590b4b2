/**
 * Figure SVGs and their PNGs, without vega: the chart font, the opening every figure SVG shares, XML
 * escaping, and SVG → PNG with resvg (no browser or canvas). Text is set in DejaVu Sans
 * (fonts-dejavu-core); without naming it resvg picks a serif face.
 */
import { Resvg } from '@resvg/resvg-js';

export const CHART_FONT = 'DejaVu Sans';
/** Font stack written into SVG/HTML, so browsers without DejaVu fall back to a sans face. */
export const CHART_FONT_STACK = 'DejaVu Sans, Verdana, Arial, sans-serif';

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** The opening of a figure's SVG: the root element (size, chart font) and a white background; close with `</svg>`. */
export function svgFigureOpen(width: number, height: number): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${CHART_FONT_STACK}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
}

export interface PngOptions {
  /** Pixel scale relative to the SVG's CSS size (default 2, crisp on HiDPI screens). */
  scale?: number;
  /** Background colour (default white; vega's SVG is transparent). */
  background?: string;
}

/** Rasterises an SVG string to PNG bytes with resvg. */
export function svgToPng(svg: string, opts: PngOptions = {}): Buffer {
  const scale = opts.scale ?? 2;
  if (!(scale > 0)) throw new Error(`svgToPng: scale must be > 0, got ${scale}`);
  const r = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: opts.background ?? 'white',
    font: { loadSystemFonts: true, defaultFontFamily: CHART_FONT, sansSerifFamily: CHART_FONT },
  });
  return r.render().asPng();
}

/** Width and height (CSS px) from an SVG root element's attributes. */
export function svgSize(svg: string): { width: number; height: number } {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0];
  const w = root && /\swidth="([\d.]+)"/.exec(root);
  const h = root && /\sheight="([\d.]+)"/.exec(root);
  if (!w || !h) throw new Error('svgSize: no numeric width/height on the <svg> element');
  return { width: Number(w[1]), height: Number(h[1]) };
}

/** Width and height of PNG bytes (IHDR), after checking the signature. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 24 || sig.some((b, i) => png[i] !== b)) throw new Error('pngSize: not PNG data (bad signature)');
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}
