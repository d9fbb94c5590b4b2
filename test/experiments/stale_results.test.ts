/**
 * Results made before a fix their numbers depend on (lib/eval/result_code.ts: a trained U-Net's, before the
 * reflection-padding gradient of 4a5cf52) are not reused: Table 1 runs their rows again and prefers current rows, the
 * baselines train such kinds again, a multi-seed run reruns such seeds, the sweep reruns its stale U-Net records, a
 * stale semantic SRN is set aside and trains anew, and scripts/stamp-code-versions.ts stamps results whose tracking
 * run proves they ran after the fix.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { baselineRunConfig, finishedBaseline } from '../../lib/baselines/finished_baseline';
import { presetConfig } from '../../lib/config/presets';
import type { SplitInfo } from '../../lib/data/types';
import { staleSweepRecord, staleTable1Entries, UNET_CODE, unetResultStale } from '../../lib/eval/result_code';
import { collectTable1Rows, pickTable1Rows, table1Entry, table1Records } from '../../lib/eval/table1';
import { planSweep } from '../../lib/experiments/sweep_state';
import { missingGroups } from '../../lib/experiments/table1';
import { cachedStage, leaseCachedStage, semanticKey, semanticTrainingsOnDisk, type StageData } from '../../lib/pipeline/stage_cache';
import { SrnModel } from '../../lib/srn/model';
import { REFLECT_PAD_GRAD_VERSION } from '../../lib/srn/reflect_pad';
import { saveCheckpoint } from '../../lib/training/checkpoint';
import { RecordJournal } from '../../lib/util/record_journal';
import { stampDoc, trackingCommit } from '../../scripts/stamp-code-versions';

const tmp = mkdtempSync(join(tmpdir(), 'srn-stale-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const write = (path: string, doc: unknown) => {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, JSON.stringify(doc));
};

test('a U-Net result without code versions predates the fix; the current version, and only it, is current', () => {
  assert.equal(REFLECT_PAD_GRAD_VERSION, 2);
  assert.match(unetResultStale(undefined)!, /reflection-padding gradient v1, before the fix of 4a5cf52 \(this code: v2\)/);
  assert.match(unetResultStale({ reflectPadGrad: 1 })!, /v1, before the fix/);
  assert.match(unetResultStale({ reflectPadGrad: 3 })!, /v3, by newer code/);
  assert.equal(unetResultStale({ ...UNET_CODE }), null);
  assert.equal(staleSweepRecord({ method: 'srn+linear' }), null, 'no U-Net in an SRN+linear record');
  assert.notEqual(staleSweepRecord({ method: 'unet' }), null);
  assert.equal(staleSweepRecord({ method: 'unet', codeVersions: { ...UNET_CODE } }), null);
  // Table 1 entries: the U-Net columns carry the versions; TCO and SRN+linear need none.
  const e = (id: Parameters<typeof table1Entry>[0]) => table1Entry(id, { method: id, protocol: 'single', className: 'Chair', mIOU: 0.5, shapeMIOU: 0.4, seed: 0 });
  assert.deepEqual(e('unet-oracle').codeVersions, UNET_CODE);
  assert.equal(e('srn-linear').codeVersions, undefined);
  assert.deepEqual(staleTable1Entries({ table1: [e('srn-linear'), e('tco-linear'), e('unet-oracle')] }), []);
  const { codeVersions: _c, ...old } = e('unet-30shot');
  assert.deepEqual(staleTable1Entries({ table1: [e('srn-linear'), old] }).map((s) => s.split(':')[0]), ['unet-30shot']);
  assert.deepEqual(staleTable1Entries({ table1: old, codeVersions: { ...UNET_CODE } }), [], "a kind's file: the versions at the top count for its entry");
});

test('Table 1: a stale row is marked, loses to a current row of its cell whatever their dates, and its cell is missing', () => {
  const runs = join(tmp, 'table');
  const entry = (id: 'unet-oracle' | 'srn-linear', seed: number, mIOU: number, current: boolean) => {
    const { codeVersions: _c, ...e } = table1Entry(id, { method: id, protocol: 'single', className: 'Chair', mIOU, shapeMIOU: mIOU, scale: 'cpu64', seed });
    return current ? { ...e, codeVersions: { ...UNET_CODE } } : e;
  };
  write(join(runs, 'old', 'results.json'), { createdAt: '2026-12-09T00:00:00Z', table1: [entry('unet-oracle', 0, 0.7, false), entry('unet-oracle', 1, 0.71, false), entry('srn-linear', 0, 0.6, false)] });
  write(join(runs, 'new', 'results.json'), { createdAt: '2026-12-08T00:00:00Z', table1: [entry('unet-oracle', 0, 0.65, true)] });
  const all = collectTable1Rows(runs);
  assert.equal(all.filter((r) => r.stale).length, 2, 'the two old oracle rows; SRN+linear has no U-Net');
  const picked = pickTable1Rows(all, 'cpu64');
  const oracle = picked.filter((r) => r.id === 'unet-oracle');
  assert.deepEqual(oracle.map((r) => [r.seed, r.mIOU, !!r.stale]), [[0, 0.65, false], [1, 0.71, true]], 'seed 0: the current row though older; seed 1: only the stale one');
  // Seed 0 has both current; seed 1 only a stale oracle row (and no SRN+linear row at all).
  assert.deepEqual(missingGroups(['unet-oracle', 'srn-linear'], picked, [0, 1]), [{ seeds: [1], columns: ['unet-oracle', 'srn-linear'] }]);
  const rec = table1Records(picked).find((r) => r.id === 'unet-oracle')!;
  assert.match(rec.note!, /^STALE, seed\(s\) 1: made with reflection-padding gradient v1/);
  assert.equal(table1Records(picked).find((r) => r.id === 'srn-linear')!.note, null);
});

test('a finished U-Net baseline of the same config is reused only when current, and says why not', () => {
  const { preset, cfg } = baselineRunConfig({ preset: 'tiny', seed: 1, overrides: { data: { className: 'Chair' } } });
  const id = { kind: 'unet-oracle' as const, preset: 'tiny', seed: 1, overrides: { data: { className: 'Chair' as const } }, out: join(tmp, 'baselines'), name: 'oracle' };
  const file = join(tmp, 'baselines', 'oracle', 'results.json');
  const doc = { method: 'unet-oracle', protocol: { name: 'single' }, mIOU: 0.5, config: { baselinePreset: preset, baseline: cfg }, training: {} };
  write(file, doc);
  const said: string[] = [];
  assert.equal(finishedBaseline(id, (w) => said.push(w)), undefined);
  assert.match(said[0], /oracle\/results\.json: made with reflection-padding gradient v1/);
  write(file, { ...doc, codeVersions: { ...UNET_CODE } });
  assert.deepEqual(finishedBaseline(id)?.results, { 'unet-oracle': file });
  // TCO has no U-Net: its results need no versions.
  const tco = { ...id, kind: 'tco' as const, name: 'tco' };
  write(join(tmp, 'baselines', 'tco', 'results.json'), { ...doc, method: 'tco+linear' });
  assert.ok(finishedBaseline(tco));
});

test('the sweep: stale U-Net records leave the journal (the file at the next record) and count as left in the plan', () => {
  const dir = join(tmp, 'sweep', 'label-count-sweep', 'small', 'chair');
  mkdirSync(dir, { recursive: true });
  const points = [{ instances: 1, views: 1 }];
  const rec = (method: string, seed: number, current: boolean) => ({
    method, numLabels: 1, seed, miou: 0.5, shapeMIOU: 0.4, instances: 1, views: 1, probeSeconds: 60, dropout: method === 'unet' ? 0.2 : null,
    ...(current && method === 'unet' ? { codeVersions: { ...UNET_CODE } } : {}),
  });
  const records = [rec('srn+linear', 0, false), rec('unet', 0, false), rec('unet', 1, true), rec('srn+linear', 1, false)];
  writeFileSync(join(dir, 'results.json'), JSON.stringify({ recordsFingerprint: { points, seeds: [0, 1] }, records, totalSeconds: 10 }));
  const plan = planSweep(dir, ['srn+linear', 'unet'], points, [0, 1]);
  assert.equal(plan[0], `3 of 4 records done (${join(dir, 'results.json')}); the rest resume where the journal stopped, if its pre-training is the same`);
  assert.match(plan[1], /1 of them stale, run again: made with reflection-padding gradient v1/);
  assert.match(plan.join('\n'), /unet: 1 record\(s\) left/);
  const path = join(dir, 'records.partial.json');
  writeFileSync(path, JSON.stringify({ fingerprint: 'f', records }));
  const journal = new RecordJournal<(typeof records)[number]>(path, 'f', (r) => `${r.method}/${r.seed}`);
  const gone = journal.discard((r) => staleSweepRecord(r) !== null);
  assert.deepEqual(gone.map((r) => `${r.method}/${r.seed}`), ['unet/0']);
  assert.equal(journal.get('unet/0'), undefined);
  assert.equal(journal.size, 3);
  journal.add(rec('unet', 0, true));
  const kept = (JSON.parse(readFileSync(path, 'utf8')) as { records: { method: string; seed: number; codeVersions?: unknown }[] }).records;
  assert.deepEqual(kept.map((r) => `${r.method}/${r.seed}/${r.codeVersions ? 'v2' : '-'}`), ['srn+linear/0/-', 'unet/1/v2', 'srn+linear/1/-', 'unet/0/v2']);
});

test('a semantic SRN of the old model code is set aside with its history (kept, with why) and the stage starts anew', () => {
  const config = presetConfig('tiny', { seed: 0, model: { numClasses: 6 } });
  const data: StageData = { root: '/data', dataVersion: 'synthetic-v2', train: { className: 'Chair', instances: [{ id: 'a', index: 0 }, { id: 'b', index: 1 }] } as unknown as SplitInfo };
  const runs = join(tmp, 'stage');
  const { dir, ckDir } = cachedStage('semantic', runs, config, data, semanticKey(config, data), 10);
  const model = new SrnModel(config.model, { numInstances: 2, seed: 0, heads: ['unet'] });
  try {
    saveCheckpoint(ckDir, { config, model, stage: 'semantic', step: 10, dataVersion: 'synthetic-v2' });
  } finally {
    model.dispose();
  }
  // Make it a v1 checkpoint: the manifest's model-code version (the manifest is not covered by the weights' digest).
  const step = readdirSync(ckDir).find((f) => existsSync(join(ckDir, f, 'manifest.json')));
  const manifestPath = step ? join(ckDir, step, 'manifest.json') : join(ckDir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { versions: { modelCode: number } };
  manifest.versions.modelCode = 1;
  writeFileSync(manifestPath, JSON.stringify(manifest));
  writeFileSync(join(dir, 'history.json'), JSON.stringify({ steps: 10, lossLast20: 1 }));
  assert.match(semanticTrainingsOnDisk(runs, 'tiny', 'Chair', 0)[0].stale!, /model code v1, this code v2/);
  const first = cachedStage('semantic', runs, config, data, semanticKey(config, data), 10);
  assert.equal(first.finished, false);
  assert.match(first.stale!, /model code v1/);
  const leased = leaseCachedStage('semantic', runs, config, data, semanticKey(config, data), 10);
  try {
    assert.equal(leased.found, undefined);
    assert.equal(leased.stale, undefined);
    assert.match(leased.setAside!, /stale-.* \(.*model code v1/);
    const aside = readdirSync(dir).find((f) => f.startsWith('stale-'))!;
    assert.deepEqual(readdirSync(join(dir, aside)).sort(), ['WHY.txt', 'checkpoint', 'history.json']);
    assert.ok(!existsSync(join(dir, 'history.json')), 'a fresh training starts without the old history');
  } finally {
    leased.lease.release();
  }
});

test('stamp-code-versions: stamps U-Net results on their tracking commit, a summary row only when its own file is current', () => {
  const store = join(tmp, 'mlruns');
  mkdirSync(join(store, '123', 'run-a', 'tags'), { recursive: true });
  writeFileSync(join(store, '123', 'run-a', 'tags', 'mlflow.source.git.commit'), 'abc123\n');
  const tracking = { uri: pathToFileURL(store).href, runId: 'run-a' };
  assert.equal(trackingCommit(tracking), 'abc123');
  assert.equal(trackingCommit({ uri: pathToFileURL(store).href, runId: 'other' }), null);
  assert.equal(trackingCommit({ uri: 'http://server:5000', runId: 'run-a' }), null);
  const afterFix = (t: unknown) => ((t as { runId?: string })?.runId === 'run-a' ? 'abc123' : null);
  const entry = { id: 'unet-oracle', column: 6, method: 'unet-oracle', protocol: 'single', className: 'Chair', mIOU: 0.7, shapeMIOU: 0.6, seed: 0 };
  // A kind's own file, made after the fix.
  const kind = stampDoc({ method: 'unet-oracle', table1: { ...entry }, tracking }, 'unet-oracle', afterFix, () => true);
  assert.ok(kind && 'doc' in kind);
  assert.deepEqual(kind.doc.codeVersions, UNET_CODE);
  assert.deepEqual((kind.doc.table1 as { codeVersions: unknown }).codeVersions, UNET_CODE);
  assert.deepEqual(staleTable1Entries(kind.doc), []);
  // Made before the fix (no evidence): left.
  assert.deepEqual(stampDoc({ method: 'unet-oracle', table1: { ...entry }, tracking: { runId: 'old' } }, 'unet-oracle', afterFix, () => true), { left: 'its tracking run does not name a commit that descends from the fix' });
  // Nothing to stamp: no U-Net, or already current.
  assert.equal(stampDoc({ method: 'tco+linear', tracking }, 'tco', afterFix, () => true), null);
  assert.equal(stampDoc({ method: 'unet-oracle', codeVersions: { ...UNET_CODE }, tracking }, 'unet-oracle', afterFix, () => true), null);
  // A summary written after the fix that still holds a row reused from before it: only the current row is stamped.
  const summary = {
    schema: 'semantic-srn/baselines@1', tracking,
    rows: [{ kind: 'unet-oracle', method: 'unet-oracle', protocol: 'single', column: 'unet-oracle', resultsPath: '/new' }, { kind: 'unet-fewshot', method: 'unet-30shot', protocol: 'single', column: 'unet-30shot', resultsPath: '/old' }],
    table1: [{ ...entry, id: 'unet-oracle' }, { ...entry, id: 'unet-30shot', column: 3, method: 'unet-30shot' }],
  };
  const got = stampDoc(summary, 'chair-seed0', afterFix, (p) => p === '/new');
  assert.ok(got && 'doc' in got);
  assert.deepEqual(staleTable1Entries(got.doc).map((s) => s.split(':')[0]), ['unet-30shot']);
});
