/** Table 1's paired comparison: SRN+linear minus each column per class over the seeds both have, and its Markdown. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { table1DifferenceMarkdown, table1Differences, type Table1ColumnId, type Table1Row } from '../../lib/eval/table1';

const row = (id: Table1ColumnId, column: number, className: string, seed: number, mIOU: number): Table1Row => ({
  id, column, method: id, protocol: 'single', className, mIOU, shapeMIOU: mIOU - 0.1, seed, source: `/x/${id}-${className}-${seed}.json`, scale: 'cpu64', createdAt: null,
});

test('table1Differences: SRN+linear minus each column per class, paired by seed; columns without a shared seed left out', () => {
  const rows = [
    // Seed 2's draw is hard for both few-shot columns; the difference stays near 10 points.
    row('srn-linear', 2, 'Chair', 0, 0.66), row('srn-linear', 2, 'Chair', 1, 0.7), row('srn-linear', 2, 'Chair', 2, 0.5),
    row('unet-30shot', 3, 'Chair', 0, 0.56), row('unet-30shot', 3, 'Chair', 1, 0.58), row('unet-30shot', 3, 'Chair', 2, 0.42),
    row('unet-oracle', 6, 'Chair', 0, 0.75), row('unet-oracle', 6, 'Chair', 1, 0.76),
    row('unet-30shot', 3, 'Table', 0, 0.4),
    row('srn-linear', 2, 'Table', 1, 0.5),
  ];
  const d = table1Differences(rows, ['Chair', 'Table']);
  assert.deepEqual(d.map((x) => [x.class, x.column, x.seeds]), [['Chair', 3, [0, 1, 2]], ['Chair', 6, [0, 1]]], 'tables share no seed');
  const [fewShot, oracle] = d;
  // differences 10, 12, 8 points: mean 10, std 2 → 4.303 × 2 / √3
  assert.ok(Math.abs(fewShot.mIOU!.mean - 10) < 1e-9);
  assert.ok(Math.abs(fewShot.mIOU!.ci95! - (4.303 * 2) / Math.sqrt(3)) < 1e-9);
  assert.ok(Math.abs(fewShot.shapeMIOU!.mean - 10) < 1e-9);
  assert.ok(Math.abs(oracle.mIOU!.mean + 7.5) < 1e-9);
  const md = table1DifferenceMarkdown(d).join('\n');
  assert.match(md, /\| 2 SRN\+linear, ours \(30 images, single view\) minus \| class \|/);
  assert.match(md, /\| 3 Oracle RGB\+U-Net \(30 images\) \| Chair \| \+10\.0 ± 5\.0 \(n=3\) \| \+10\.0 ± 5\.0 \(n=3\) \| 0, 1, 2 \|/);
  // -9 and -6 points: mean -7.5, std 2.12 → 12.706 × 2.12 / √2 = 19.1: the interval spans 0
  assert.match(md, /\| 6 Oracle RGB\+U-Net \(full data\) \| Chair \| −7\.5 ± 19\.1 \(n=2\) \|/);
  assert.match(md, /The mIOU interval excludes 0 for 1 of 2: chairs column 3 \(column 2 ahead\)\./);
  assert.deepEqual(table1DifferenceMarkdown([]), []);
});

test('table1Differences: a seed whose row on either side is stale is named, and the Markdown says so', () => {
  const stale = (r: Table1Row): Table1Row => ({ ...r, stale: 'made with reflection-padding gradient v1' });
  const rows = [
    row('srn-linear', 2, 'Chair', 0, 0.66), row('srn-linear', 2, 'Chair', 1, 0.7),
    stale(row('unet-30shot', 3, 'Chair', 0, 0.56)), row('unet-30shot', 3, 'Chair', 1, 0.58),
    row('unet-oracle', 6, 'Chair', 0, 0.75), row('unet-oracle', 6, 'Chair', 1, 0.76),
  ];
  const d = table1Differences(rows, ['Chair']);
  assert.deepEqual(d.map((x) => [x.column, x.staleSeeds]), [[3, [0]], [6, []]]);
  const md = table1DifferenceMarkdown(d).join('\n');
  assert.match(md, /\| 3 Oracle RGB\+U-Net \(30 images\) \| Chair \| .* \| 0, 1 \(STALE: 0\) \|/);
  assert.match(md, /\| 6 Oracle RGB\+U-Net \(full data\) \| Chair \| .* \| 0, 1 \|/);
  assert.match(md, /STALE seeds pair a row made before a fix/);
  assert.doesNotMatch(table1DifferenceMarkdown(table1Differences(rows.map((r) => ({ ...r, stale: undefined })), ['Chair'])).join('\n'), /STALE/);
});
