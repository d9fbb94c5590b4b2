/** Which results files are Table 1 rows: only runs of the scale's whole protocol (no smoke runs, no earlier checkpoints). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectTable1Rows, table1Exclusion, table1RowsOf } from '../../lib/eval/table1';

const REF = { pretrainSteps: 10000, probeSteps: 5000, fitSteps: 300, trainObjects: 50, testObjects: 10 };

test('table1Exclusion: the full protocol is a row; each shortened part is named', () => {
  assert.equal(table1Exclusion({ ...REF }, REF), undefined);
  assert.equal(table1Exclusion({ ...REF, pretrainSteps: 6000 }, REF), "not the scale's protocol: pretrainSteps 6000 (the preset's: 10000)");
  const why = table1Exclusion({ ...REF, probeSteps: 20, testObjects: 1 }, REF)!;
  assert.match(why, /probeSteps 20 \(the preset's: 5000\)/);
  assert.match(why, /testObjects 1 \(the preset's: 10\)/);
});

const quickstartDoc = (pretrainSteps: number, mIOU: number, extra: Record<string, unknown> = {}) => ({
  schema: 'semantic-srn/eval-results@1',
  method: 'srn+linear',
  protocol: { name: 'single' },
  mIOU,
  config: { preset: 'cpu64' },
  training: { pretrainSteps },
  createdAt: '2026-12-05T16:00:00.000Z',
  table1: { id: 'srn-linear', column: 2, method: 'srn+linear', protocol: 'single', className: 'Chair', mIOU, shapeMIOU: mIOU, scale: 'cpu64', seed: 0 },
  ...extra,
});

test('a results file whose pre-training stopped short of its preset (an IoU-against-steps point) is no row', () => {
  assert.equal(table1RowsOf('/x/results.json', quickstartDoc(6000, 0.62)).length, 0);
  assert.equal(table1RowsOf('/x/results.json', quickstartDoc(10000, 0.67)).length, 1);
  // Baseline files record their own network's pre-training steps, not an SRN preset's: untouched.
  const tco = { ...quickstartDoc(1500, 0.4), config: { baselinePreset: 'cpu64' }, table1: { ...quickstartDoc(0, 0).table1, id: 'tco-linear', column: 1 } };
  assert.equal(table1RowsOf('/x/results.json', tco).length, 1);
  // Written by today's quickstart for a short run: no entry, the reason beside it.
  assert.equal(table1RowsOf('/x/results.json', quickstartDoc(10000, 0.17, { table1: null, table1Excluded: 'not the scale…' })).length, 0);
});

test('collectTable1Rows: a newer curve point does not replace the finished run of its seed', () => {
  const runs = mkdtempSync(join(tmpdir(), 'table1-rows-'));
  const put = (dir: string, doc: unknown) => {
    mkdirSync(join(runs, dir), { recursive: true });
    writeFileSync(join(runs, dir, 'results.json'), JSON.stringify(doc));
  };
  put('cpu64-chair', quickstartDoc(10000, 0.677));
  put('cpu64-chair-curve/step-6000', { ...quickstartDoc(6000, 0.625), createdAt: '2026-12-05T17:00:00.000Z' });
  const rows = collectTable1Rows(runs);
  assert.deepEqual(rows.map((r) => [r.id, r.mIOU]), [['srn-linear', 0.677]]);
});

test("collectTable1Rows: SRN+U-Net's rows survive a later run of other columns rewriting the seed's results.json", () => {
  const runs = mkdtempSync(join(tmpdir(), 'table1-rows-kinds-'));
  const seedDir = join(runs, 'unet-baselines', 'cpu64', 'chair-seed0');
  const entry = (id: string, column: number, protocol: string, mIOU: number) => ({ id, column, method: id, protocol, className: 'Chair', mIOU, shapeMIOU: mIOU, scale: 'cpu64', seed: 0 });
  mkdirSync(join(seedDir, 'srn-unet'), { recursive: true });
  writeFileSync(join(seedDir, 'srn-unet', 'results-single.json'), JSON.stringify({ createdAt: '2026-12-06T05:00:00Z', table1: entry('srn-unet-single', 4, 'single', 0.706) }));
  writeFileSync(join(seedDir, 'srn-unet', 'results-multi.json'), JSON.stringify({ createdAt: '2026-12-06T05:10:00Z', table1: entry('srn-unet-multi', 5, 'multi', 0.755) }));
  // The rendered-RGB U-Net fills no column: its file is read and gives no row.
  writeFileSync(join(seedDir, 'srn-unet', 'results-rendered-unet.json'), JSON.stringify({ createdAt: '2026-12-06T05:40:00Z', table1: null }));
  // The oracle's run (columns 6) came last and its seed summary holds only its own row.
  writeFileSync(join(seedDir, 'results.json'), JSON.stringify({ createdAt: '2026-12-06T06:00:00Z', table1: [entry('unet-oracle', 6, 'single', 0.735)] }));
  writeFileSync(join(seedDir, 'summary-not-results.json'), JSON.stringify({ table1: entry('unet-30shot', 3, 'single', 0.1) }));
  const rows = collectTable1Rows(runs).map((r) => [r.id, r.mIOU]).sort();
  assert.deepEqual(rows, [['srn-unet-multi', 0.755], ['srn-unet-single', 0.706], ['unet-oracle', 0.735]]);
});
