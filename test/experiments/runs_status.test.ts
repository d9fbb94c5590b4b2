import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatRunsStatus, runsStatus, sameCommandRunning } from '../../lib/experiments/runs_status';
import { main } from '../../lib/cli/main';

const root = mkdtempSync(join(tmpdir(), 'srn-status-'));
after(() => rmSync(root, { recursive: true, force: true }));

const put = (rel: string, value: unknown) => {
  const p = join(root, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
};
const manifest = (stage: string, step: number, total: number) => ({
  format: 'semantic-srn-checkpoint/2',
  stage,
  step,
  savedAt: '2026-12-06T10:00:00.000Z',
  config: { training: { [stage]: { schedule: [{ steps: total / 2 }, { steps: total / 2 }] } } },
});
// A pid that surely ended: a child that has exited.
const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;

// A semantic SRN part-way with this process's lease, a finished pre-training, a kept sibling and a temporary.
put('semantic/cpu64-table-s0-abc/checkpoint/manifest.json', manifest('semantic', 8500, 10000));
put('semantic/cpu64-table-s0-abc/checkpoint.old/manifest.json', manifest('semantic', 8000, 10000));
put('semantic/cpu64-table-s0-abc/.checkpoint.tmp-1-0/manifest.json', manifest('semantic', 9000, 10000));
put('semantic/cpu64-table-s0-abc/training.lock', { pid: process.pid, host: hostname(), startedAt: '2026-12-06T09:00:00.000Z', command: 'semantic-srn experiment table-1', cwd: '/w/main' });
put('pretrain/cpu64-chair-s0-def/checkpoint/manifest.json', manifest('pretrain', 10000, 10000));
// A stopped sweep: its tracking lease names a process that is gone; its journal holds two records.
put('label-count-sweep/cpu64/chair/tracking-run.json', { uri: 'file:///x', runId: 'r1', pid: deadPid, startedAt: '2026-12-06T08:00:00.000Z', command: '/w/bin/semantic-srn.mjs experiment label-count-sweep --out runs', cwd: '/w/wt3' });
const rec = (instances: number, views: number, seed: number, probeSeconds: number) => ({ method: 'unet', numLabels: instances * views, seed, miou: 0.5, shapeMIOU: 0.4, instances, views, probeSeconds, codeVersions: { reflectPadGrad: 2 } });
put('label-count-sweep/cpu64/chair/unet-grid/2x2-seed0/grid.json', { fingerprint: {}, candidates: [{ dropout: 0.1, result: { bestValMIOU: 0.6123 } }], best: null });
put('unet-baselines/cpu64/chair-seed1/unet-oracle/unet-train/oracle/state.json', { format: 'semantic-srn-net-train/1', fingerprint: {}, step: 400, total: 1000, history: [], validation: [[200, 0.61], [400, 0.7021]], best: { miou: 0.7021, step: 400 }, sinceBest: 0, seconds: 812.4, file: 'state-1.bin', tensors: [] });
put('unet-baselines/cpu64/chair-seed1/srn-render-unet/unet-train/srn-rgb/state.json', { format: 'semantic-srn-net-train/1', fingerprint: {}, step: 600, total: 2000, history: [], validation: [[500, 0.55], [600, 0.5]], best: { miou: 0.55, step: 500 }, sinceBest: 1, seconds: 1200, file: 'state-5.bin', tensors: [], stoppedEarly: true });
put('tco-baseline/cpu64/chair-seed1/tco/tco-train/pretrain/state.json', { format: 'semantic-srn-net-train/1', fingerprint: {}, step: 250, total: 1500, history: [], validation: [], best: null, sinceBest: 0, seconds: 143.2, file: 'state-0.bin', tensors: [] });
put('label-count-sweep/cpu64/chair/records.partial.json', { fingerprint: { points: [{ instances: 1, views: 1 }, { instances: 2, views: 2 }], seeds: [0, 1] }, records: [rec(1, 1, 0, 600), rec(1, 1, 1, 1200)] });
// A lease copied from another machine: its pid means nothing here, even when one runs with that number.
put('unet-baselines/cpu64/table-seed0/tracking-run.json', { uri: 'file:///x', runId: 'r2', pid: process.pid, host: 'elsewhere', startedAt: '2026-12-06T08:00:00.000Z' });
put('unet-baselines/cpu64/table-seed0/srn-unet/results-single.partial.json', { records: [{}, {}, {}] });
put('unet-baselines/cpu64/chair-seed0/unet-oracle/results.json', { mIOU: 0.7234, shapeMIOU: 0.657, createdAt: '2026-12-06T01:00:00.000Z' });
put('table-1/cpu64/chair/results.json', { rows: [] });
put('table-1/cpu64/chair/broken/results.json', '{ not json');
// The CLI's heartbeats: this process's newest progress line, and the stopped sweep's last message.
put(`.progress/${process.pid}.json`, { pid: process.pid, host: hostname(), command: 'x', startedAt: '2026-12-06T09:00:00.000Z', progress: { line: '[semantic] 8728/10000 steps (87%)', at: '2026-12-06T10:29:50.000Z' } });
put(`.progress/${deadPid}.json`, { pid: deadPid, host: hostname(), command: 'x', startedAt: '2026-12-06T08:00:00.000Z', message: { line: '[label-count-sweep] sweep: unet 2×2 seed 0: mIOU 19.7%', at: '2026-12-06T09:30:00.000Z' } });
// Never walked: the MLflow store and figures.
put('mlruns/0/abc/results.json', { mIOU: 0.1 });
put('label-count-sweep/cpu64/chair/renders/x.partial.json', { records: [{}] });

test('runsStatus: trainings against their schedule, live and stopped leases, journals and results', () => {
  const s = runsStatus(root, new Date('2026-12-06T10:30:00.000Z'));
  assert.deepEqual(
    s.trainings.map((t) => [t.path, t.stage, t.step, t.total, t.finished]),
    [
      ['pretrain/cpu64-chair-s0-def', 'pretrain', 10000, 10000, true],
      ['semantic/cpu64-table-s0-abc', 'semantic', 8500, 10000, false],
    ],
    'one entry per training, its canonical checkpoint only',
  );
  const lease = (p: string) => s.leases.find((l) => l.path === p)!;
  assert.equal(lease('semantic/cpu64-table-s0-abc/training.lock').alive, true);
  assert.equal(lease('label-count-sweep/cpu64/chair/tracking-run.json').alive, false);
  assert.equal(lease('unet-baselines/cpu64/table-seed0/tracking-run.json').alive, false, 'another host');
  assert.deepEqual(
    s.journals.map((j) => [j.path, j.records]),
    [
      ['label-count-sweep/cpu64/chair/records.partial.json', 2],
      ['label-count-sweep/cpu64/chair/unet-grid/2x2-seed0/grid.json', 1],
      ['tco-baseline/cpu64/chair-seed1/tco/tco-train/pretrain/state.json', 250],
      ['unet-baselines/cpu64/chair-seed1/srn-render-unet/unet-train/srn-rgb/state.json', 600],
      ['unet-baselines/cpu64/chair-seed1/unet-oracle/unet-train/oracle/state.json', 400],
      ['unet-baselines/cpu64/table-seed0/srn-unet/results-single.partial.json', 3],
    ],
  );
  assert.deepEqual(
    s.results.map((r) => [r.path, r.mIOU]),
    [
      ['table-1/cpu64/chair/broken/results.json', null],
      ['table-1/cpu64/chair/results.json', null],
      ['unet-baselines/cpu64/chair-seed0/unet-oracle/results.json', 0.7234],
    ],
  );

  const text = formatRunsStatus(s).join('\n');
  assert.match(text, new RegExp(`working now[^\\n]*\\n  pid ${process.pid}, since 1\\.5 h ago: semantic-srn experiment table-1\\n    semantic/cpu64-table-s0-abc/training.lock`));
  assert.match(text, new RegExp(`stopped[^\\n]*\\n(  pid ${deadPid}, started 2\\.5 h ago[^\\n]*\\n    label-count-sweep/cpu64/chair/tracking-run.json)`));
  assert.match(text, /semantic\/cpu64-table-s0-abc\/training.lock\n {4}progress 10 s ago: \[semantic\] 8728\/10000 steps \(87%\)\n/);
  assert.match(text, /label-count-sweep\/cpu64\/chair\/tracking-run.json\n {4}message 60 min ago: \[label-count-sweep\] sweep: unet 2×2 seed 0: mIOU 19.7%\n {4}resume: cd \/w\/wt3 && node \/w\/bin\/semantic-srn.mjs experiment label-count-sweep --out runs\n/);
  assert.doesNotMatch(text, /resume: cd [^\n]*table-1/, 'a live process is not told to resume');
  assert.match(text, /records\.partial\.json: 2 record\(s\), updated [^\n]*\n {4}2 of 4 records done; [^\n]*\n {4}unet: 2 record\(s\) left, at least 30m00s in all\n {6}4 image\(s\): 2 left, at least 15m00s each \(none there yet: timed as 1 image\(s\), a lower bound\)\n/);
  assert.match(text, /unet-grid\/2x2-seed0\/grid\.json: 1 record\(s\), updated [^\n]*\n {4}a U-Net's dropout search part-way: p=0\.1 \(val 61\.2%\) done; the rerun trains the rest of the grid\n/);
  assert.match(text, /unet-train\/oracle\/state\.json: 400 step\(s\), updated [^\n]*\n {4}a U-Net's training part-way: step 400 of 1,000 \(best val 70\.2% at step 400\), 812 s trained; the rerun goes on from it\n/);
  assert.match(text, /unet-train\/srn-rgb\/state\.json: 600 step\(s\), updated [^\n]*\n {4}a U-Net's training saved: step 600 of 2,000, finished \(early-stopped\) \(best val 55\.0% at step 500\), 1200 s trained; the rerun scores it without training\n/);
  assert.match(text, /tco-train\/pretrain\/state\.json: 250 step\(s\), updated [^\n]*\n {4}TCO's pre-training part-way: step 250 of 1,500, 143 s trained; the rerun goes on from it\n/);
  assert.match(text, /results-single\.partial\.json: 3 record\(s\), updated [^\n]*\n\n/, 'not a sweep journal: no plan');
  assert.match(text, /semantic\/cpu64-table-s0-abc \[semantic\]: 8,500 \/ 10,000 steps \(85%\), training now; saved 30 min ago/);
  assert.match(text, /pretrain\/cpu64-chair-s0-def \[pretrain\]: 10,000 \/ 10,000 steps \(100%\), finished/);

  // The oracle's results record no code versions: made before the reflect-pad fix, so stale (the experiments rerun it).
  assert.match(text, /finished results: 3 file\(s\), 1 of them stale \(made before a fix they depend on; the experiments run them again\) \(--all lists them\)\n {2}table-1\/cpu64: 2\n {2}unet-baselines\/cpu64: 1 \(1 stale\)/);
  assert.match(formatRunsStatus(s, true).join('\n'), /unet-oracle\/results.json: mIOU 72\.3, shape-mIOU 65\.7 \(2026-12-06\) STALE: unet-oracle: made with reflection-padding gradient v1/);
});

test('semantic-srn status: JSON of the same, and a clear error for a missing folder', async () => {
  const logs: string[] = [];
  const errs: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (m: string) => logs.push(m);
  console.error = (m: string) => errs.push(m);
  try {
    assert.equal(await main(['status', '--runs', root, '--json']), 0);
    assert.equal(await main(['status', '--runs', join(root, 'nope')]), 2);
  } finally {
    [console.log, console.error] = [log, error];
  }
  const doc = JSON.parse(logs[0]) as { runsDir: string; trainings: unknown[]; journals: unknown[] };
  assert.equal(doc.runsDir, root);
  assert.equal(doc.trainings.length, 2);
  assert.equal(doc.journals.length, 6);
  assert.match(errs.join('\n'), /nope: no such runs folder/);
});

test('status names a training of an older model code that the next run sets aside (a v1 semantic SRN); a v1 pre-training is current', () => {
  const dir = mkdtempSync(join(tmpdir(), 'srn-status-stale-'));
  try {
    const at = (rel: string, value: unknown) => {
      mkdirSync(join(dir, rel, '..'), { recursive: true });
      writeFileSync(join(dir, rel), JSON.stringify(value));
    };
    const v1 = { versions: { modelCode: 1, data: 'synthetic-v2' } };
    at('semantic/cpu64-chair-s0-old/checkpoint/manifest.json', { ...manifest('semantic', 10000, 10000), ...v1 });
    at('pretrain/cpu64-table-s0-v1/checkpoint/manifest.json', { ...manifest('pretrain', 10000, 10000), ...v1 });
    const s = runsStatus(dir);
    assert.deepEqual(s.trainings.map((t) => [t.path, t.stale ?? null]), [['pretrain/cpu64-table-s0-v1', null], ['semantic/cpu64-chair-s0-old', 'model code v1, this code v2']]);
    assert.match(formatRunsStatus(s).join('\n'), /semantic\/cpu64-chair-s0-old \[semantic\]: 10,000 \/ 10,000 steps \(100%\), finished; saved [^\n]*; STALE \(model code v1, this code v2\): the next run sets it aside and trains anew/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sameCommandRunning: a live process of the same command line and folder, not a dead one, not this one, not another command or folder, not a pid that runs something else now; the experiment command refuses a twin', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'srn-twin-'));
  // A live process whose command line holds this test's own (its arguments repeat them), as the twin's would.
  const me = { command: process.argv.slice(1).join(' ').slice(0, 300), cwd: process.cwd() };
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', ...process.argv.slice(1)], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 200));
    const lease = (rel: string, pid: number, command: string, cwd = me.cwd) => {
      mkdirSync(join(dir, rel), { recursive: true });
      writeFileSync(join(dir, rel, 'tracking-run.json'), JSON.stringify({ uri: 'file:///x', runId: 'r', pid, host: hostname(), startedAt: '2026-12-08T02:00:00.000Z', command, cwd }));
    };
    lease('mask-reconstruction/small/chair', deadPid, me.command);
    lease('mask-reconstruction/small/table', process.pid, me.command);
    lease('mask-reconstruction/cpu64/chair', child.pid!, 'semantic-srn experiment something-else');
    lease('mask-reconstruction/cpu64/table', child.pid!, me.command, '/elsewhere');
    assert.equal(sameCommandRunning(dir, me), undefined, 'dead, this process, another command, another folder');
    // The pid runs something else now (reused): its lease's command is not in its command line.
    assert.equal(sameCommandRunning(dir, { command: 'semantic-srn experiment something-else', cwd: me.cwd }), undefined);
    lease('mask-reconstruction/cpu64/table', child.pid!, me.command);
    const twin = sameCommandRunning(dir, me);
    assert.equal(twin?.pid, child.pid);
    assert.equal(twin?.path, join(dir, 'mask-reconstruction/cpu64/table/tracking-run.json'));
    assert.equal(sameCommandRunning(join(dir, 'nope'), me), undefined);

    // The command, run here with the same command line: refused before anything loads, saying what to do.
    const errs: string[] = [];
    const error = console.error;
    console.error = (m: string) => errs.push(m);
    try {
      assert.equal(await main(['experiment', 'mask-reconstruction', '--scale', 'small', '--out', dir, '--no-track']), 2);
    } finally {
      console.error = error;
    }
    assert.match(errs.join('\n'), new RegExp(`the same command already runs here as process ${child.pid} \\(since 2026-12-08T02:00:00\\.000Z\\), lease .*tracking-run\\.json; a second one would train the same records again\\. Wait for it .*or stop it \\(kill ${child.pid}`));
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
