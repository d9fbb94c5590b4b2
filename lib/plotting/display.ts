/**
 * Showing charts in a tslab notebook: ONE multi-MIME display_data per chart, so each front-end picks
 * what it can render (JupyterLab: interactive Vega-Lite; classic notebook, nbconvert HTML, GitHub:
 * the PNG rendered here in Node). Outside a kernel (scripts, tests) every show* prints one line and
 * does nothing else. show* return nothing, so a bare last-line call prints no stray value in tslab.
 */
import { randomUUID } from 'node:crypto';
import type { TopLevelSpec } from 'vega-lite';
import { renderVegaLiteSvg } from './vega_render';
import { svgSize, svgToPng, type PngOptions } from './svg_png';
import { imageGridSvg, type GridImage, type ImageGridOptions } from './image_grid';
import type { PlotlyFigure } from './plotly_figures';
import { bundledScript, escapeHtml, jsonForScript } from './html_embed';

type WriteDisplayData = (msg: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient: Record<string, unknown> }, update: boolean) => void;

let jupyterModulePath: string | undefined;

/**
 * tslab's writer for the executing cell (internal API of tslab 1.0.22), or null outside a kernel.
 * Looks only at an already-loaded tslab (requiring it would not make us a kernel), wherever it is installed.
 */
function tslabWriter(): WriteDisplayData | null {
  if (!jupyterModulePath || !require.cache[jupyterModulePath]) {
    jupyterModulePath = Object.keys(require.cache).find((k) => /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(k));
  }
  const w = jupyterModulePath ? require.cache[jupyterModulePath]?.exports?.lastWriteDisplayData : undefined;
  return typeof w === 'function' ? (w as WriteDisplayData) : null;
}

/** True inside a tslab kernel that is executing (or has executed) a cell. */
export function inTslabKernel(): boolean {
  return tslabWriter() !== null;
}

function notInKernel(what: string): false {
  console.log(`[semantic-srn] ${what}: not running in a tslab kernel, nothing displayed (use saveFigure / saveTable to write files)`);
  return false;
}

/**
 * Sends one display_data with several MIME representations (`{ mime: data }`; JSON mimes take
 * objects, binary images base64 strings). Returns false (and says so) outside a kernel.
 */
export function showBundle(data: Record<string, unknown>, metadata: Record<string, unknown> = {}, what = 'showBundle'): boolean {
  const write = tslabWriter();
  if (!write) return notInKernel(what);
  write({ data, metadata, transient: {} }, false);
  return true;
}

function specTitle(spec: TopLevelSpec): string {
  const t = (spec as { title?: unknown }).title;
  if (typeof t === 'string') return t;
  if (t && typeof t === 'object' && 'text' in t) return String((t as { text: unknown }).text);
  return 'chart';
}

/** Shows a Vega-Lite chart: the spec (interactive in JupyterLab) plus a PNG fallback and a text line. */
export async function showVegaLite(spec: TopLevelSpec, opts: PngOptions = {}): Promise<void> {
  if (!inTslabKernel()) return void notInKernel('showVegaLite');
  const svg = await renderVegaLiteSvg(spec);
  const png = svgToPng(svg, opts);
  const { width, height } = svgSize(svg);
  showBundle(
    {
      'application/vnd.vegalite.v5+json': spec,
      'image/png': png.toString('base64'),
      'text/plain': `<Vega-Lite chart: ${specTitle(spec)}>`,
    },
    // Show the 2× PNG at its CSS size.
    { 'image/png': { width, height } },
    'showVegaLite',
  );
}

/** Shows an image strip/grid (see `imageGridSvg`) as PNG. */
export function showImageGrid(items: readonly GridImage[], opts: ImageGridOptions & PngOptions = {}): void {
  if (!inTslabKernel()) return void notInKernel('showImageGrid');
  const svg = imageGridSvg(items, opts);
  const { width, height } = svgSize(svg);
  showBundle(
    { 'image/png': svgToPng(svg, opts).toString('base64'), 'text/plain': `<image grid: ${opts.title ?? `${items.length} images`}>` },
    { 'image/png': { width, height } },
    'showImageGrid',
  );
}

let plotlyLoaded = false;

/**
 * Puts plotly.min.js (4.7 MB, no CDN needed) into the current cell's output once per kernel;
 * `showPlotly` calls it on first use. Pass `force` after clearing that cell's output.
 */
export function plotlyInit(force = false): void {
  if (plotlyLoaded && !force) return;
  const ok = showBundle(
    {
      'text/html': `<script type="text/javascript">${bundledScript('plotly.js-dist-min/plotly.min.js')}</script>`,
      'text/plain': '<plotly.js loaded>',
    },
    {},
    'plotlyInit',
  );
  plotlyLoaded = ok;
}

export interface ShowPlotlyOptions {
  /** Height of the plot in px (default 420). */
  height?: number;
}

/** Shows a Plotly figure: Plotly JSON (JupyterLab with the plotly extension) plus HTML that draws it. */
export function showPlotly(fig: PlotlyFigure, opts: ShowPlotlyOptions = {}): void {
  if (!inTslabKernel()) return void notInKernel('showPlotly');
  plotlyInit();
  const id = `srn-plotly-${randomUUID()}`;
  const title = (fig.layout.title as { text?: string } | undefined)?.text ?? 'figure';
  // Waits for window.Plotly in case the library's output has not run yet.
  const html =
    `<div id="${id}" style="width:100%;height:${opts.height ?? 420}px"></div>` +
    `<script type="text/javascript">(function(){var d=${jsonForScript(fig.data)},l=${jsonForScript(fig.layout)},n=0;` +
    `function go(){if(window.Plotly){window.Plotly.newPlot("${id}",d,l,{responsive:true,displaylogo:false});}` +
    `else if(n++<200){setTimeout(go,50);}else{document.getElementById("${id}").textContent="plotly.js not loaded: run plotlyInit(true)";}}go();})();</script>`;
  showBundle(
    { 'application/vnd.plotly.v1+json': fig, 'text/html': html, 'text/plain': `<Plotly figure: ${escapeHtml(title)}>` },
    {},
    'showPlotly',
  );
}
