/** lib/eval/table1_compare.ts: what an interim Table 1 moved from an earlier publication. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asPublishedTable1, changedCells, changedCellsMarkdown, type PublishedRow, type PublishedTable1 } from '../../lib/eval/table1_compare';

const row = (id: string, column: number, seed: number, mIOU: number | null, extra: Partial<PublishedRow> = {}): PublishedRow => ({
  column, id, method: id, protocol: 'single', className: 'Table', seed, 'mIOU %': mIOU, ...extra,
});
const doc = (rows: PublishedRow[], means: Record<string, [number, number | null]>, paired: Record<string, number>): PublishedTable1 => ({
  rows,
  records: Object.entries(means).map(([id, [m, ci]]) => ({ id, class: 'Table', 'ours mIOU %': m, 'ours mIOU ± CI95': ci })),
  differences: Object.entries(paired).map(([against, mean]) => ({ class: 'Table', against, mIOU: { mean, ci95: 2, n: 2 } })),
});

const before = doc(
  [row('srn-linear', 2, 0, 51.6), row('srn-linear', 2, 1, 68.2), row('unet-oracle', 6, 0, 61.6), row('unet-oracle', 6, 1, 63.7), row('srn-unet-single', 4, 0, 67.8), row('unet-30shot', 3, 0, 40.9)],
  { 'srn-linear': [59.9, 10], 'unet-oracle': [62.7, 5], 'srn-unet-single': [67.8, null], 'unet-30shot': [40.9, null] },
  { 'unet-oracle': -2.8, 'unet-30shot': 10.7 },
);
const after = doc(
  [
    row('srn-linear', 2, 0, 51.6), row('srn-linear', 2, 1, 68.2),
    // Rerun: seed 1 moved.
    row('unet-oracle', 6, 0, 61.6), row('unet-oracle', 6, 1, 56.7),
    // Marked stale since, not rerun: the same score.
    row('srn-unet-single', 4, 0, 67.8, { stale: 'made before a fix' }),
    // A seed added.
    row('unet-30shot', 3, 0, 40.9), row('unet-30shot', 3, 1, 48.1),
  ],
  { 'srn-linear': [59.9, 10], 'unet-oracle': [59.2, 44], 'srn-unet-single': [67.8, null], 'unet-30shot': [44.5, 45.7] },
  { 'unet-oracle': 0.7, 'unet-30shot': 15.0 },
);

test('the cells with a seed whose score moved or that one side lacks, with both sides; a stale mark alone is no change', () => {
  const cells = changedCells(before, after);
  assert.deepEqual(cells.map((c) => `${c.column} ${c.className}`), ['3 Table', '6 Table']);
  const oracle = cells[1];
  assert.deepEqual(oracle.seeds, [
    { seed: 0, before: { mIOU: 61.6, stale: false }, after: { mIOU: 61.6, stale: false } },
    { seed: 1, before: { mIOU: 63.7, stale: false }, after: { mIOU: 56.7, stale: false } },
  ]);
  assert.deepEqual([oracle.before, oracle.after], [{ mean: 62.7, ci95: 5 }, { mean: 59.2, ci95: 44 }]);
  assert.deepEqual([oracle.pairedBefore?.mean, oracle.pairedAfter?.mean], [-2.8, 0.7]);
  assert.deepEqual(cells[0].seeds[1], { seed: 1, before: null, after: { mIOU: 48.1, stale: false } });
  assert.deepEqual(changedCells(after, after), [], 'nothing changed');
  // A rerun of a stale row: its score moved, and the stale mark shows on the side that has it.
  const rerun = changedCells(after, { ...after, rows: after.rows.map((r) => (r.id === 'srn-unet-single' ? row('srn-unet-single', 4, 0, 70.1) : r)) });
  assert.deepEqual(rerun.find((c) => c.column === 4)?.seeds, [{ seed: 0, before: { mIOU: 67.8, stale: true }, after: { mIOU: 70.1, stale: false } }]);
});

test('the Markdown section: per seed there → here, STALE marked, means and paired differences; nothing when none changed', () => {
  const md = changedCellsMarkdown('table-1', changedCells(before, after)).join('\n');
  assert.match(md, /^## Changed since `table-1`/);
  assert.match(md, /\| 6 unet-oracle \| Table \| 0: 61\.6 → 61\.6; 1: 63\.7 → 56\.7 \| 62\.7 ± 5\.0 → 59\.2 ± 44\.0 \| −2\.8 ± 2\.0 → \+0\.7 ± 2\.0 \|/);
  assert.match(md, /\| 3 unet-30shot \| Table \| 0: 40\.9 → 40\.9; 1: — → 48\.1 \| 40\.9 → 44\.5 ± 45\.7 \|/);
  const stale = changedCells(after, { ...after, rows: after.rows.map((r) => (r.id === 'srn-unet-single' ? row('srn-unet-single', 4, 0, 70.1) : r)) });
  assert.match(changedCellsMarkdown('x', stale).join('\n'), /0: 67\.8 \(STALE\) → 70\.1 \|/);
  assert.deepEqual(changedCellsMarkdown('table-1', []), []);
  // Compared with a git revision's version: the section names what was read.
  assert.match(changedCellsMarkdown('a4c0a49', stale, 'docs/results/table-1.json at a4c0a49').join('\n'), /^## Changed since `a4c0a49`\n\nCells with a seed whose mIOU differs from docs\/results\/table-1\.json at a4c0a49 \(/);
});

test('a file that is not a published Table 1 is refused with the field it lacks', () => {
  assert.throws(() => asPublishedTable1({ rows: [], records: [] }, 'docs/results/x.json'), /docs\/results\/x\.json: expected a published Table 1 with a 'differences' array/);
  assert.throws(() => asPublishedTable1(null, 'y.json'), /y\.json: .*'rows' array/);
  assert.equal(asPublishedTable1(before, 'z.json'), before);
});
