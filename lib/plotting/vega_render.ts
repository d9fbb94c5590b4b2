/**
 * Node-side rendering of charts: Vega-Lite → Vega → SVG (vega's headless renderer) → PNG (svg_png.ts).
 */
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { CHART_FONT_STACK, svgToPng, type PngOptions } from './svg_png';

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

/** Renders a Vega-Lite spec to PNG bytes (via SVG). */
export async function renderVegaLitePng(spec: TopLevelSpec, opts: PngOptions = {}): Promise<Buffer> {
  return svgToPng(await renderVegaLiteSvg(spec), opts);
}
