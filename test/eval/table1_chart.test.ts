/** The Table 1 chart marks bars that average a stale seed, so a figure read without its table does not mislead. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from 'vega-lite';
import { PAPER_TABLE1, table1ChartSpec, table1Records, type Table1Row } from '../../lib/eval/table1';
import { renderVegaLiteSvg } from '../../lib/plotting';

const row = (column: number, seed: number, mIOU: number, stale?: string): Table1Row => ({
  id: PAPER_TABLE1.find((c) => c.column === column)!.id, column, method: 'm', protocol: 'single', className: 'Chair', mIOU, shapeMIOU: mIOU / 2,
  source: `/r${column}-${seed}`, scale: 'cpu64', seed, createdAt: null, ...(stale ? { stale } : {}),
});

const warningsOf = (spec: ReturnType<typeof table1ChartSpec>) => {
  const warnings: string[] = [];
  const logger = { level: () => 2 as never, error: (...a: unknown[]) => (warnings.push(a.join(' ')), logger), warn: (...a: unknown[]) => (warnings.push(a.join(' ')), logger), info: () => logger, debug: () => logger };
  compile(spec, { logger: logger as never });
  return warnings;
};

test('table1ChartSpec: bars with a stale seed are faded and the subtitle says why; current bars and paper bars are not', async () => {
  const rows = [row(2, 0, 0.6), row(2, 1, 0.62), row(3, 0, 0.55, 'made with reflection-padding gradient v1'), row(3, 1, 0.57)];
  const records = table1Records(rows);
  assert.equal(records.find((r) => r.column === 3)!['stale seeds'], '0');
  assert.equal(records.find((r) => r.column === 2)!['stale seeds'], '');
  const spec = table1ChartSpec(records, 'T');
  assert.deepEqual(warningsOf(spec), []);
  const values = (spec as unknown as { data: { values: { method: string; who: string; metric: string; stale: string }[] } }).data.values;
  const stale = values.filter((v) => v.stale !== '');
  assert.deepEqual(new Set(stale.map((v) => v.who)), new Set(['ours, chair']));
  assert.equal(stale.length, 2); // column 3's mIOU and shape-mIOU bars
  assert.ok(values.some((v) => v.who === 'paper, chair' && v.stale === ''));
  assert.deepEqual((spec as { title: unknown }).title, { text: 'T', subtitle: 'faded bars include stale seeds (made before a fix; see the table)' });
  const svg = await renderVegaLiteSvg(spec);
  assert.equal((svg.match(/opacity="0.35"/g) ?? []).length, 2, 'two faded bars drawn');
  assert.match(svg, /faded bars include stale seeds/);

  const current = table1ChartSpec(table1Records([row(2, 0, 0.6), row(3, 0, 0.55)]), 'T');
  assert.equal((current as { title: unknown }).title, 'T');
  assert.equal(((await renderVegaLiteSvg(current)).match(/opacity="0.35"/g) ?? []).length, 0);
});
