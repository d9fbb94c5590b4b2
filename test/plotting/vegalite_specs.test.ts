import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, type TopLevelSpec } from 'vega-lite';
import {
  lossCurvesSpec,
  miouVsLabelsSpec,
  perClassIouSpec,
  renderVegaLitePng,
  renderVegaLiteSvg,
  pngSize,
  svgSize,
  type LabelSweepRecord,
} from '../../lib/plotting';

/** Compiles with a logger that collects vega-lite's warnings (invalid encodings only warn). */
function compileStrict(spec: TopLevelSpec): void {
  const warnings: string[] = [];
  const logger = {
    level() { return 2 as never; },
    error(...a: unknown[]) { warnings.push(a.join(' ')); return logger; },
    warn(...a: unknown[]) { warnings.push(a.join(' ')); return logger; },
    info() { return logger; },
    debug() { return logger; },
  };
  const out = compile(spec, { logger: logger as never });
  assert.ok(out.spec.marks && out.spec.marks.length > 0, 'compiled Vega spec has marks');
  assert.deepEqual(warnings, [], 'vega-lite warnings');
}

const sweep: LabelSweepRecord[] = [
  { method: 'SRN+linear', numLabels: 1, seed: 0, miou: 0.3 },
  { method: 'SRN+linear', numLabels: 1, seed: 1, miou: 0.5 },
  { method: 'SRN+linear', numLabels: 1, seed: 2, miou: 0.4 },
  { method: 'SRN+linear', numLabels: 10, seed: 0, miou: 0.6 },
  { method: 'SRN+linear', numLabels: 10, seed: 1, miou: 0.62 },
  { method: 'U-Net', numLabels: 10, seed: 0, miou: 0.2 },
  { method: 'U-Net', numLabels: 1, seed: 0, miou: 0.1 },
];

const specs: [string, TopLevelSpec][] = [
  ['miou vs labels (std)', miouVsLabelsSpec(sweep)],
  ['miou vs labels (minmax, log x)', miouVsLabelsSpec(sweep, { spread: 'minmax', logX: true, yDomain: [0, 1] })],
  ['per-class IoU', perClassIouSpec([
    { method: 'a', className: 'back', iou: 0.5 },
    { method: 'b', className: 'back', iou: 0.7 },
    { method: 'a', className: 'leg', iou: 0.2 },
    { method: 'b', className: 'leg', iou: 0.3 },
  ])],
  ['loss curves', lossCurvesSpec([{ name: 'train', values: [1, 0.5, 0.25] }, { name: 'val', values: [1.2, 0.8], steps: [0, 2] }])],
  ['loss curves log y', lossCurvesSpec([{ name: 'train', values: [1, 0.1, 0.01] }], { logY: true })],
];

for (const [name, spec] of specs) {
  test(`${name}: compiles without warnings, renders SVG and a 2x PNG`, async () => {
    compileStrict(spec);
    const svg = await renderVegaLiteSvg(spec);
    assert.match(svg, /^<svg /);
    assert.ok(svg.includes(String(spec.title)), 'title drawn');
    const s = svgSize(svg);
    const png = await renderVegaLitePng(spec);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.deepEqual(pngSize(png), { width: Math.round(s.width * 2), height: Math.round(s.height * 2) });
    const png1 = await renderVegaLitePng(spec, { scale: 1 });
    assert.deepEqual(pngSize(png1), { width: Math.round(s.width), height: Math.round(s.height) });
  });
}

test('miouVsLabelsSpec: band data is mean ± sample std per (method, numLabels)', () => {
  const values = (miouVsLabelsSpec(sweep) as { data: { values: Record<string, number | string>[] } }).data.values;
  assert.deepEqual(values.map((v) => [v.method, v.numLabels, v.n]), [
    ['SRN+linear', 1, 3],
    ['SRN+linear', 10, 2],
    ['U-Net', 1, 1],
    ['U-Net', 10, 1],
  ]);
  const p = values[0] as Record<string, number>;
  assert.ok(Math.abs(p.mean - 0.4) < 1e-12);
  assert.ok(Math.abs(p.std - 0.1) < 1e-12); // sample std of 0.3, 0.5, 0.4
  assert.ok(Math.abs(p.lo - 0.3) < 1e-12 && Math.abs(p.hi - 0.5) < 1e-12);
  assert.equal(p.min, 0.3);
  assert.equal(p.max, 0.5);
  const single = values[2] as Record<string, number>;
  assert.deepEqual([single.mean, single.std, single.lo, single.hi], [0.1, 0, 0.1, 0.1]);
});

test('miouVsLabelsSpec: minmax band', () => {
  const values = (miouVsLabelsSpec(sweep, { spread: 'minmax' }) as { data: { values: Record<string, number>[] } }).data.values;
  assert.ok(Math.abs(values[1].lo - 0.6) < 1e-12 && Math.abs(values[1].hi - 0.62) < 1e-12);
});

test('builders reject bad input with the field named', () => {
  assert.throws(() => miouVsLabelsSpec([]), /records is empty/);
  assert.throws(() => miouVsLabelsSpec([{ method: 'a', numLabels: 1, miou: NaN }]), /records\[0\]\.miou must be a finite number/);
  assert.throws(() => lossCurvesSpec([{ name: 'x', values: [1, 0] }], { logY: true }), /series 'x' value 0 at index 1/);
  assert.throws(() => lossCurvesSpec([{ name: 'x', values: [1, 2], steps: [0] }]), /1 steps but 2 values/);
  assert.throws(() => perClassIouSpec([{ method: 'a', className: 'c', iou: Infinity }]), /records\[0\]\.iou/);
});

test('lossCurvesSpec drops non-finite values (diverged steps) instead of breaking the scale', () => {
  const values = (lossCurvesSpec([{ name: 't', values: [1, NaN, 0.5] }]) as { data: { values: { step: number }[] } }).data.values;
  assert.deepEqual(values.map((v) => v.step), [0, 2]);
});

test('scores show as percent: axes and tooltips format fractions with %, rendered ticks read 0%…100%', async () => {
  type Enc = { y: { title: string; axis?: { format: string } }; tooltip?: { format?: string }[] };
  const bars = perClassIouSpec([{ method: 'a', className: 'back', iou: 0.5 }, { method: 'b', className: 'back', iou: 0.25 }]) as unknown as { encoding: Enc };
  assert.equal(bars.encoding.y.title, 'IoU (%)');
  assert.equal(bars.encoding.y.axis?.format, '.0%');
  assert.ok(bars.encoding.tooltip!.some((t) => t.format === '.1%'));
  const lines = miouVsLabelsSpec(sweep) as unknown as { layer: { encoding: Enc }[] };
  for (const l of lines.layer) assert.deepEqual([l.encoding.y.title, l.encoding.y.axis?.format], ['mIOU (%)', '.0%']);
  const svg = await renderVegaLiteSvg(bars as unknown as TopLevelSpec);
  assert.match(svg, />100%</);
  assert.doesNotMatch(svg, />1\.0</);
});
