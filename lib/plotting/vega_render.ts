/**
 * Node-side rendering: Vega-Lite → Vega → SVG (vega's headless renderer) → PNG (resvg, no browser
 * or canvas needed). Text is set in DejaVu Sans (fonts-dejavu-core); without naming it resvg picks a
 * serif face.
 */
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';
import type { TopLevelSpec } from 'vega-lite';

export const CHART_FONT = 'DejaVu Sans';
/** Font stack written into SVG/HTML, so browsers without DejaVu fall back to a sans face. */
export const CHART_FONT_STACK = 'DejaVu Sans, Verdana, Arial, sans-serif';

/** Compiles a Vega-Lite spec to a Vega spec (throws with vega-lite's message on an invalid spec). */
export function compileVegaLite(spec: TopLevelSpec): vega.Spec {
  return compile(spec, { config: { font: CHART_FONT_STACK } }).spec;
}

/** Renders a Vega-Lite spec to an SVG document string. */
export async function renderVegaLiteSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compileVegaLite(spec)), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
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

/** Renders a Vega-Lite spec to PNG bytes (via SVG). */
export async function renderVegaLitePng(spec: TopLevelSpec, opts: PngOptions = {}): Promise<Buffer> {
  return svgToPng(await renderVegaLiteSvg(spec), opts);
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
