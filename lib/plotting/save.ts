/**
 * Figures as files (for the tracker's artifacts and for reports): PNG + SVG + a self-contained HTML
 * page (the library inlined, no CDN: it must open offline and years later).
 */
import { writeFileAtomic } from '../util/atomic_write';
import type { TopLevelSpec } from 'vega-lite';
import { compileVegaLite, renderVegaLiteSvg } from './vega_render';
import { svgToPng, type PngOptions } from './svg_png';
import { imageGridSvg, type GridImage, type ImageGridOptions } from './image_grid';
import type { PlotlyFigure } from './plotly_figures';
import { bundledScript, escapeHtml, jsonForScript } from './html_embed';

export interface SavedFigure {
  png: string;
  svg: string;
  html: string;
}

/** `out/fig.png` → `out/fig`; other names are kept as they are. */
function stripExt(basePath: string): string {
  return basePath.replace(/\.(png|svg|html)$/i, '');
}

function page(title: string, head: string, body: string): string {
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>${head}</head>\n<body style="font-family: sans-serif; margin: 16px">\n${body}\n</body></html>\n`;
}

/**
 * Writes `<basePath>.png`, `.svg` and `.html` for a Vega-Lite spec and returns their paths. The
 * HTML inlines vega.min.js (0.5 MB) with the spec compiled to Vega here, so it needs neither
 * vega-lite nor vega-embed in the browser; it falls back to the PNG when scripts are off.
 */
export async function saveFigure(spec: TopLevelSpec, basePath: string, opts: PngOptions & { title?: string } = {}): Promise<SavedFigure> {
  const base = stripExt(basePath);
  const svg = await renderVegaLiteSvg(spec);
  const png = svgToPng(svg, opts);
  const paths: SavedFigure = { png: `${base}.png`, svg: `${base}.svg`, html: `${base}.html` };
  writeFileAtomic(paths.png, png);
  writeFileAtomic(paths.svg, svg);
  const title = opts.title ?? (typeof spec.title === 'string' ? spec.title : 'figure');
  const body =
    `<div id="vis"></div>\n<noscript><img alt="${escapeHtml(title)}" src="data:image/png;base64,${png.toString('base64')}" style="width:50%"></noscript>\n` +
    `<script type="text/javascript">${bundledScript('vega/build/vega.min.js')}</script>\n` +
    `<script type="text/javascript">new vega.View(vega.parse(${jsonForScript(compileVegaLite(spec))}), ` +
    `{ renderer: 'svg', container: '#vis', hover: true }).runAsync();</script>`;
  writeFileAtomic(paths.html, page(title, '', body));
  return paths;
}

/**
 * Writes `<basePath>.html` for a Plotly figure with plotly.min.js inlined (4.7 MB per file; Plotly
 * cannot render to PNG without a browser). Returns `{ html }`.
 */
export function savePlotlyHtml(fig: PlotlyFigure, basePath: string, opts: { title?: string; height?: number } = {}): { html: string } {
  const html = `${stripExt(basePath)}.html`;
  const title = opts.title ?? (fig.layout.title as { text?: string } | undefined)?.text ?? 'figure';
  const body =
    `<div id="plot" style="width:100%;height:${opts.height ?? 600}px"></div>\n` +
    `<script type="text/javascript">${bundledScript('plotly.js-dist-min/plotly.min.js')}</script>\n` +
    `<script type="text/javascript">Plotly.newPlot("plot", ${jsonForScript(fig.data)}, ${jsonForScript(fig.layout)}, { responsive: true, displaylogo: false });</script>`;
  writeFileAtomic(html, page(title, '', body));
  return { html };
}

/** Writes `<basePath>.png` and `.svg` of an image grid (see `imageGridSvg`). */
export function saveImageGrid(items: readonly GridImage[], basePath: string, opts: ImageGridOptions & PngOptions = {}): { png: string; svg: string } {
  const base = stripExt(basePath);
  const svg = imageGridSvg(items, opts);
  const paths = { png: `${base}.png`, svg: `${base}.svg` };
  writeFileAtomic(paths.png, svgToPng(svg, opts));
  writeFileAtomic(paths.svg, svg);
  return paths;
}
