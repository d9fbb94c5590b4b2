import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  imageGridSvg,
  inTslabKernel,
  lossCurvesSpec,
  pngSize,
  pointCloudFigure,
  saveFigure,
  saveImageGrid,
  savePlotlyHtml,
  showPlotly,
  showVegaLite,
  svgSize,
} from '../../lib/plotting';

const dir = mkdtempSync(join(tmpdir(), 'srn-plot-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('saveFigure writes PNG, SVG and a self-contained HTML (vega inlined, no remote scripts)', async () => {
  const spec = lossCurvesSpec([{ name: 'train', values: [1, 0.5, 0.3] }], { title: 'a </script> title' });
  const paths = await saveFigure(spec, join(dir, 'sub', 'loss.png'));
  assert.deepEqual(paths, { png: join(dir, 'sub', 'loss.png'), svg: join(dir, 'sub', 'loss.svg'), html: join(dir, 'sub', 'loss.html') });
  const svg = readFileSync(paths.svg, 'utf8');
  const s = svgSize(svg);
  assert.deepEqual(pngSize(readFileSync(paths.png)), { width: Math.round(2 * s.width), height: Math.round(2 * s.height) });
  const html = readFileSync(paths.html, 'utf8');
  assert.ok(html.length > 400_000, 'vega.min.js is inlined');
  assert.doesNotMatch(html, /<script[^>]+src=/, 'no external scripts');
  assert.doesNotMatch(html, /a <\/script> title/, 'spec text cannot close the script');
  assert.match(html, /new vega\.View\(vega\.parse\(/);
  assert.match(html, /<noscript><img/);
});

test('savePlotlyHtml inlines plotly.js', () => {
  const { html } = savePlotlyHtml(pointCloudFigure([0, 0, 0, 1, 1, 1], [0, 1]), join(dir, 'cloud'));
  const text = readFileSync(html, 'utf8');
  assert.ok(text.length > 4_000_000);
  assert.doesNotMatch(text, /<script[^>]+src=/);
  assert.match(text, /Plotly\.newPlot\("plot"/);
});

test('imageGridSvg / saveImageGrid: layout size and embedded PNGs', () => {
  const img = { width: 4, height: 2, data: new Uint8Array(4 * 2 * 4).fill(200) };
  const svg = imageGridSvg([{ image: img, caption: 'a' }, { image: img, caption: 'b & c' }, { image: img }], { cols: 2, cellSize: 64, gap: 8 });
  assert.deepEqual(svgSize(svg), { width: 2 * 64 + 3 * 8, height: 2 * (64 + 18) + 3 * 8 });
  assert.equal((svg.match(/data:image\/png;base64,/g) ?? []).length, 3);
  assert.match(svg, /b &amp; c/);
  const { png } = saveImageGrid([{ image: img }], join(dir, 'grid'), { cellSize: 32, scale: 1 });
  assert.deepEqual(pngSize(readFileSync(png)), { width: 32 + 16, height: 32 + 16 });
  assert.throws(() => imageGridSvg([{ image: new Uint8Array(30) }]), /items\[0\]: bytes are not a PNG image/);
  // A title wider than one 64-px cell widens the picture instead of being clipped; the image is centred under it.
  const title = 'Single-view reconstruction: RGB and labels from new poses';
  const titled = imageGridSvg([{ image: img }], { cellSize: 64, gap: 8, title });
  const { width } = svgSize(titled);
  assert.ok(width >= 8.5 * title.length, `width ${width} for a ${title.length}-character title`);
  const x = Number(/<image x="([\d.]+)"/.exec(titled)![1]);
  assert.ok(Math.abs(x + 32 - width / 2) < 1e-6, `image centred: x ${x}, width ${width}`);
});

test('show* outside a kernel: a clear one-line message, nothing else', async () => {
  assert.equal(inTslabKernel(), false);
  const logged: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => void logged.push(a.join(' '));
  try {
    await showVegaLite(lossCurvesSpec([{ name: 't', values: [1, 2] }]));
    showPlotly(pointCloudFigure([0, 0, 0], [0]));
  } finally {
    console.log = orig;
  }
  assert.equal(logged.length, 2);
  assert.match(logged[0], /showVegaLite: not running in a tslab kernel/);
});
