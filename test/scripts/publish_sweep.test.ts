/** scripts/publish-sweep.ts: a sweep published from its journal or results, and restorable from the copy. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sweepDifferences, type SweepRecord } from '../../lib/experiments/label_count_sweep';
import { readSweep, sweepCells } from '../../lib/experiments/sweep_state';
import { differenceMarkdown, sweepMarkdown } from '../../scripts/publish-sweep';
import { staleSweepSummary, UNET_CODE } from '../../lib/eval/result_code';

const root = resolve(__dirname, '..', '..');
const points = [{ instances: 1, views: 1 }, { instances: 2, views: 2 }];
const fingerprint = { className: 'Chair', scale: 'small', pretrain: ['k', 100], points, seeds: [0, 1, 2] };
const rec = (method: string, p: { instances: number; views: number }, seed: number, miou: number, dropout: number | null = null): SweepRecord => ({
  method, numLabels: p.instances * p.views, seed, miou, shapeMIOU: miou - 0.1, instances: p.instances, views: p.views, probeSeconds: 10 + seed, dropout,
});
const records = [rec('srn+linear', points[0], 0, 0.5), rec('srn+linear', points[0], 1, 0.6), rec('srn+linear', points[0], 2, 0.7), rec('unet', points[0], 0, 0.4, 0.3)];

function sweepDir(files: Record<string, unknown>): { runs: string; dir: string } {
  const runs = mkdtempSync(join(tmpdir(), 'publish-sweep-'));
  const dir = join(runs, 'label-count-sweep', 'small', 'chair');
  mkdirSync(dir, { recursive: true });
  for (const [f, doc] of Object.entries(files)) writeFileSync(join(dir, f), typeof doc === 'string' ? doc : JSON.stringify(doc));
  return { runs, dir };
}

test('a journal is read as a sweep in progress, with the points and seeds its fingerprint names', () => {
  const { dir } = sweepDir({ 'records.partial.json': { fingerprint, records } });
  const s = readSweep(dir);
  assert.equal(s.state, 'partial');
  assert.equal(s.records.length, 4);
  assert.deepEqual(s.points, points);
  assert.deepEqual(s.seeds, [0, 1, 2]);
  assert.equal(s.totalSeconds, null);
});

test('a finished results.json wins over an older journal (left by a stop); a newer journal is a rerun in progress', () => {
  const { dir } = sweepDir({ 'records.partial.json': { fingerprint, records: records.slice(0, 2) }, 'results.json': { recordsFingerprint: fingerprint, records, totalSeconds: 1234 } });
  const at = (f: string, s: number) => utimesSync(join(dir, f), s, s);
  at('records.partial.json', 1_000_000);
  at('results.json', 1_000_100);
  const s = readSweep(dir);
  assert.deepEqual([s.state, s.records.length, s.totalSeconds], ['finished', 4, 1234]);
  // The stale U-Net records of a finished sweep running again: its journal is written after results.json.
  at('records.partial.json', 1_000_200);
  const r = readSweep(dir);
  assert.deepEqual([r.state, r.records.length, r.totalSeconds, r.file], ['partial', 2, null, join(dir, 'records.partial.json')]);
});

test('bad input names the file and the field', () => {
  assert.throws(() => readSweep(sweepDir({}).dir), /neither results\.json .* nor records\.partial\.json/);
  assert.throws(() => readSweep(sweepDir({ 'records.partial.json': '{oops' }).dir), /records\.partial\.json: not JSON/);
  assert.throws(() => readSweep(sweepDir({ 'results.json': { records } }).dir), /results\.json: field 'recordsFingerprint'/);
  const bad = [{ ...records[0], miou: null }];
  assert.throws(() => readSweep(sweepDir({ 'records.partial.json': { fingerprint, records: bad } }).dir), /records\[0\]\.miou must be a finite number, got null/);
});

test("cells: mean ± 95% CI over a point's seeds in %, the seeds still missing, every asked (method, point) in order", () => {
  const cells = sweepCells(records, ['srn+linear', 'unet'], points, [0, 1, 2]);
  assert.deepEqual(cells.map((c) => `${c.method}/${c.numLabels}`), ['srn+linear/1', 'srn+linear/4', 'unet/1', 'unet/4']);
  const [lin1, lin4, unet1, unet4] = cells;
  assert.equal(lin1.mIOU!.n, 3);
  assert.ok(Math.abs(lin1.mIOU!.mean - 60) < 1e-9);
  // t(0.975, 2) = 4.303; std 10 → 4.303 × 10 / √3 = 24.84
  assert.ok(Math.abs(lin1.mIOU!.ci95! - 24.84) < 0.01, String(lin1.mIOU!.ci95));
  assert.deepEqual(lin1.missingSeeds, []);
  assert.equal(lin4.mIOU, null);
  assert.deepEqual(lin4.missingSeeds, [0, 1, 2]);
  // Made without code versions: before the reflection-padding fix, so the record says it is stale.
  assert.deepEqual(unet1.perSeed, [{ seed: 0, 'mIOU %': 40, 'shape-mIOU %': 30, dropout: 0.3, seconds: 10, stale: 'made with reflection-padding gradient v1, before the fix of 4a5cf52 (this code: v2)' }]);
  assert.equal(lin1.perSeed[0].stale, undefined, 'SRN+linear records are never stale');
  assert.equal(unet1.mIOU!.ci95, null, 'one seed has no interval');
  assert.deepEqual(unet4.missingSeeds, [0, 1, 2]);
  const md = sweepMarkdown(cells).join('\n');
  assert.match(md, /\| 1 \| 1 × 1 \| 60\.0 ± 24\.8 \(n=3\) \| 40\.0 \(n=1\) \| 0: 0\.3 \|/);
  assert.match(md, /\| 4 \| 2 × 2 \| — \| — \| — \|/);
  assert.match(md, /\| unet \| 1 × 1 \| 0 \| 40\.0 \(STALE\) \| 30\.0 \| 0\.3 \| 10 \|/);
});

test('differences: SRN+linear − U-Net per point over the seeds both have, paired; the Markdown says where the interval excludes 0', () => {
  const both = [
    ...records,
    rec('unet', points[0], 1, 0.45), rec('unet', points[0], 2, 0.62),
    rec('srn+linear', points[1], 0, 0.6), rec('unet', points[1], 0, 0.7),
  ];
  const [one, four] = sweepDifferences(both, 'srn+linear', 'unet', points);
  assert.deepEqual(one.seeds, [0, 1, 2]);
  // differences 10, 15, 8 points: mean 11, std √13 → 4.303 × √13 / √3 = 8.96
  assert.ok(Math.abs(one.mIOU!.mean - 11) < 1e-9);
  assert.ok(Math.abs(one.mIOU!.ci95! - (4.303 * Math.sqrt(13)) / Math.sqrt(3)) < 1e-9);
  assert.ok(Math.abs(one.shapeMIOU!.mean - 11) < 1e-9, 'shape-mIOU is paired the same way');
  assert.deepEqual([four.seeds, four.mIOU!.n, four.mIOU!.ci95], [[0], 1, null]);
  assert.ok(Math.abs(four.mIOU!.mean + 10) < 1e-9);
  const md = differenceMarkdown([one, four], 'srn+linear', 'unet').join('\n');
  assert.match(md, /## srn\+linear − unet, paired by seed/);
  assert.match(md, /\| 1 \| 1 × 1 \| \+11\.0 ± 9\.0 \(n=3\) \| \+11\.0 ± 9\.0 \(n=3\) \| 0, 1, 2 \|/);
  assert.match(md, /\| 4 \| 2 × 2 \| −10\.0 \(n=1\) \| −10\.0 \(n=1\) \| 0 \|/);
  assert.match(md, /The mIOU interval excludes 0 at 1 of 2 point\(s\): 1 \(srn\+linear ahead\)\./);
  assert.deepEqual(differenceMarkdown(sweepDifferences(records.slice(0, 3), 'srn+linear', 'unet', points), 'srn+linear', 'unet'), [], 'no point with both methods: no section');
});

test('the script publishes a journal with its figure, the first seed\'s record figures and a copy that restores it', () => {
  const { runs, dir: runDir } = sweepDir({ 'records.partial.json': { fingerprint, records } });
  mkdirSync(join(runDir, 'renders'));
  writeFileSync(join(runDir, 'renders', 'srn-linear-1x1-seed0.png'), 'png0');
  writeFileSync(join(runDir, 'renders', 'srn-linear-1x1-seed1.png'), 'png1');
  const out = mkdtempSync(join(tmpdir(), 'publish-sweep-out-'));
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/publish-sweep.ts', '--runs', runs, '--scale', 'small', '--class', 'chair', '--command', 'cmd', '--ran-at', 'HEAD', '--out', out], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const dir = join(out, 'label-count-sweep-small-chair');
  const doc = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')) as { state: string; records: { done: number; expected: number }; missing: unknown[]; recordSeconds: number; source: string };
  assert.equal(doc.state, 'partial');
  // small: 2 methods × 2 points × the fingerprint's 3 seeds
  assert.deepEqual(doc.records, { done: 4, expected: 12 });
  assert.equal(doc.missing.length, 3);
  assert.equal(doc.recordSeconds, 10 + 11 + 12 + 10);
  assert.equal(doc.source, 'runs/label-count-sweep/small/chair/records.partial.json');
  assert.deepEqual(JSON.parse(readFileSync(join(dir, doc.source), 'utf8')), { fingerprint, records });
  assert.ok(existsSync(join(dir, 'miou_vs_labels.png')));
  const readme = readFileSync(join(dir, 'README.md'), 'utf8');
  assert.match(readme, /in progress: 4 of 12 records/);
  // The one U-Net record records no code versions: made before the reflection-padding fix.
  assert.deepEqual((doc as unknown as { stale: unknown }).stale, { records: 1, why: ['made with reflection-padding gradient v1, before the fix of 4a5cf52 (this code: v2)'] });
  assert.match(readme, /\*\*STALE: 1 U-Net record\(s\) made before a fix/);
  assert.match(readme, /\| 1 \| 1 × 1 \| \+10\.0 \(n=1\) \| \+10\.0 \(n=1\) \| 0 \|/, 'the paired difference over the one seed both have');
  assert.equal((doc as unknown as { differences: { points: { seeds: number[] }[] } }).differences.points[0].seeds.length, 1);
  // seed 0's figure of the one record that kept one (unet 1×1 seed 0 has none); other seeds' are not published
  assert.deepEqual((doc as unknown as { renders: unknown[] }).renders, [{ method: 'srn+linear', instances: 1, views: 1, seed: 0, file: 'renders/srn-linear-1x1-seed0.png' }]);
  assert.equal(readFileSync(join(dir, 'renders', 'srn-linear-1x1-seed0.png'), 'utf8'), 'png0');
  assert.ok(!existsSync(join(dir, 'renders', 'srn-linear-1x1-seed1.png')));
  assert.match(readme, /!\[srn\+linear 1x1\]\(renders\/srn-linear-1x1-seed0\.png\)/);

  // Published again from a runs folder restored from git (results, no figures): the figure published before stays,
  // one of a record no longer published goes.
  rmSync(join(runDir, 'renders'), { recursive: true });
  writeFileSync(join(dir, 'renders', 'unet-2x2-seed0.png'), 'stale');
  const again = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/publish-sweep.ts', '--runs', runs, '--scale', 'small', '--class', 'chair', '--command', 'cmd', '--ran-at', 'HEAD', '--out', out], { cwd: root, encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')).renders, [{ method: 'srn+linear', instances: 1, views: 1, seed: 0, file: 'renders/srn-linear-1x1-seed0.png' }]);
  assert.equal(readFileSync(join(dir, 'renders', 'srn-linear-1x1-seed0.png'), 'utf8'), 'png0');
  assert.ok(!existsSync(join(dir, 'renders', 'unet-2x2-seed0.png')));
});

test('staleSweepSummary: only U-Net records without the current code versions count', () => {
  assert.equal(staleSweepSummary([{ method: 'srn+linear' }, { method: 'unet', codeVersions: { ...UNET_CODE } }]), null);
  assert.deepEqual(staleSweepSummary([{ method: 'unet' }, { method: 'unet', codeVersions: { reflectPadGrad: 1 } }, { method: 'srn+linear' }])?.records, 2);
});

test('--compare-to: a republication says which records moved since an earlier one (a file, its folder, or git), and bad specs are named', () => {
  const { runs, dir: runDir } = sweepDir({ 'records.partial.json': { fingerprint, records } });
  const out = mkdtempSync(join(tmpdir(), 'publish-sweep-cmp-'));
  const publish = (...extra: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'scripts/publish-sweep.ts', '--runs', runs, '--scale', 'small', '--class', 'chair', '--command', 'cmd', '--ran-at', 'HEAD', '--out', out, ...extra], { cwd: root, encoding: 'utf8' });
  assert.equal(publish().status, 0);
  const dir = join(out, 'label-count-sweep-small-chair');
  const before = join(out, 'before.json');
  writeFileSync(before, readFileSync(join(dir, 'sweep.json')));
  // The stale U-Net record is rerun (current code versions) and scores 45; SRN+linear's are unchanged.
  const rerun = { ...records[3], miou: 0.45, shapeMIOU: 0.35, codeVersions: { ...UNET_CODE } };
  writeFileSync(join(runDir, 'records.partial.json'), JSON.stringify({ fingerprint, records: [...records.slice(0, 3), rerun] }));
  // Its own folder, read before it is overwritten.
  const r = publish('--compare-to', dir);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8'));
  assert.equal(doc.changedSince.from, `\`${join(dir, 'sweep.json')}\``);
  assert.deepEqual(doc.changedSince.cells.map((c: { method: string; numLabels: number }) => `${c.method}/${c.numLabels}`), ['unet/1']);
  assert.deepEqual(doc.changedSince.cells[0].seeds, [{ seed: 0, before: { mIOU: 40, stale: true }, after: { mIOU: 45, stale: false } }]);
  assert.ok(Math.abs(doc.changedSince.cells[0].pairedBefore.mean - 10) < 1e-9 && Math.abs(doc.changedSince.cells[0].pairedAfter.mean - 5) < 1e-9);
  const readme = readFileSync(join(dir, 'README.md'), 'utf8');
  assert.match(readme, /## Changed since `/);
  assert.match(readme, /\| unet \| 1 × 1 \| 0: 40\.0 \(STALE\) → 45\.0 \| 40\.0 → 45\.0 \| \+10\.0 → \+5\.0 \|/);
  assert.doesNotMatch(readme, /STALE: \d+ U-Net record/, 'no stale record left');
  // The same numbers again: nothing changed, and the README says so.
  const same = publish('--compare-to', join(dir, 'sweep.json'));
  assert.equal(same.status, 0, same.stderr);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')).changedSince.cells, []);
  assert.match(readFileSync(join(dir, 'README.md'), 'utf8'), /Nothing changed since `/);
  // A git revision reads this publication's path there: outside the repository it is not in git.
  assert.match(publish('--compare-to', 'HEAD').stderr, /--compare-to HEAD: \.\.\/.*sweep\.json is not in git at [0-9a-f]+/);
  assert.match(publish('--compare-to', 'no-such-thing-xyz').stderr, /--compare-to no-such-thing-xyz: neither a file nor a folder nor a git revision/);
  writeFileSync(before, '{"cells": 3}');
  assert.match(publish('--compare-to', before).stderr, /before\.json: expected a published sweep with a 'cells' array/);
  writeFileSync(before, '{oops');
  assert.match(publish('--compare-to', before).stderr, /before\.json: not JSON/);
});
