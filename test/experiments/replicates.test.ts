import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UNET_CODE } from '../../lib/eval/result_code';
import { experimentRunDir, experimentRunPath, type ExperimentOptions, type ExperimentOutput } from '../../lib/experiments/common';
import { loadExperimentConfig } from '../../lib/experiments/config_loader';
import { configFingerprint, finishedRun } from '../../lib/experiments/finished_run';
import { runReplicates, summarizeReplicates, type ReplicatesOutput } from '../../lib/experiments/replicates';
import type { ExperimentConfig, ExperimentName } from '../../lib/experiments/types';

test('summarizeReplicates: per entry over seeds, per-class over the seeds that scored a class, entries outside Table 1 too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'srn-repl-'));
  try {
    const files = [0, 1, 2].map((seed) => {
      const f = join(dir, `b${seed}.json`);
      const u = 0.4 + 0.1 * seed;
      writeFileSync(f, JSON.stringify({
        table1: [{ id: 'unet-30shot', column: 3, method: 'unet-30shot', protocol: 'single', className: 'Chair', mIOU: u, shapeMIOU: u - 0.1, seed }],
        rows: [{ method: 'unet-30shot', protocol: 'single', perClassIoU: { seat: u, arm: seed === 0 ? null : 0.2 } }],
      }));
      return f;
    });
    const [row] = summarizeReplicates(files);
    assert.deepEqual([row.id, row.seeds, row.mIOU.n], ['unet-30shot', [0, 1, 2], 3]);
    assert.ok(Math.abs(row.mIOU.mean - 0.5) < 1e-12 && Math.abs(row.shapeMIOU.mean - 0.4) < 1e-12);
    assert.ok(Math.abs(row.mIOU.ci95! - 4.303 * 0.1 / Math.sqrt(3)) < 1e-9);
    assert.deepEqual([row.perClassIoU.arm.n, row.perClassIoU.arm.mean, row.perClassIoU.arm.ci95], [2, 0.2, 0]);

    const multi = join(dir, 'm.json');
    writeFileSync(multi, JSON.stringify({ method: 'srn+linear', protocol: { name: 'multi' }, dataset: { className: 'Table' }, mIOU: 0.6, shapeMIOU: 0.5, seed: 4, table1: null, perClassIoU: { top: 0.7 } }));
    const [m] = summarizeReplicates([multi, join(dir, 'missing.json')]);
    assert.deepEqual([m.id, m.protocol, m.className, m.seeds, m.mIOU.mean, m.mIOU.ci95, m.perClassIoU.top.mean], [null, 'multi', 'Table', [4], 0.6, null, 0.7]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('configFingerprint: key order, description and source path do not count; the seed, a setting and the data root do', () => {
  const cfg = { ...loadExperimentConfig('semi-supervised-probe', 'small'), seeds: [1] };
  const fp = configFingerprint(cfg);
  assert.match(fp, /^[0-9a-f]{16}$/);
  const reordered = Object.fromEntries(Object.entries(cfg).reverse()) as typeof cfg;
  assert.equal(configFingerprint({ ...reordered, description: 'other words', source: '/elsewhere/x.json' }), fp);
  assert.notEqual(configFingerprint({ ...cfg, seeds: [2] }), fp);
  assert.notEqual(configFingerprint({ ...cfg, evalViewEvery: cfg.evalViewEvery + 1 }), fp);
  assert.notEqual(configFingerprint(cfg, { dataRoot: '/data/shapenet' }), fp);
});

test('runReplicates reuses a seed that finished with the same config, reruns one of another config, and every seed with rerun', async () => {
  const runs = mkdtempSync(join(tmpdir(), 'srn-repl-reuse-'));
  try {
    const cfg = { ...loadExperimentConfig('semi-supervised-probe', 'small'), seeds: [0, 1, 2] };
    const calls: number[] = [];
    const runOne = async (_n: ExperimentName, c: ExperimentConfig, o: ExperimentOptions): Promise<ExperimentOutput> => {
      calls.push(c.seeds[0]);
      const runDir = experimentRunDir(c, o);
      const resultsPath = join(runDir, 'results.json');
      const mIOU = 0.5 + 0.1 * c.seeds[0];
      writeFileSync(resultsPath, JSON.stringify({ configFingerprint: configFingerprint(c, o), createdAt: '2026-12-06T00:00:00Z', figures: { a: 'a.png' }, table1: { id: 'srn-linear', column: 2, method: 'srn+linear', protocol: 'single', className: 'Chair', mIOU, shapeMIOU: mIOU, seed: c.seeds[0] } }));
      return { experiment: c.experiment, scale: c.scale, runDir, resultsPath, figures: {}, tracking: { uri: '', runId: '' }, seconds: 1 };
    };
    await runReplicates('semi-supervised-probe', { ...cfg, seeds: [0, 1] }, { runsDir: runs }, runOne);
    assert.deepEqual(calls, [0, 1]);
    // Seed 1 ran another config (an older fingerprint): it runs again; seed 0 is reused with its figures.
    const seed1 = join(runs, 'semi-supervised-probe', 'small', 'chair-seed1', 'results.json');
    writeFileSync(seed1, JSON.stringify({ ...JSON.parse(readFileSync(seed1, 'utf8')), configFingerprint: '0000000000000000' }));
    calls.length = 0;
    const out = (await runReplicates('semi-supervised-probe', cfg, { runsDir: runs }, runOne)) as ReplicatesOutput;
    assert.deepEqual(calls, [1, 2]);
    assert.equal(out.replicates[0].figures.a, 'a.png');
    assert.deepEqual(out.summary[0].seeds, [0, 1, 2]);
    assert.ok(Math.abs(out.summary[0].mIOU.mean - 0.6) < 1e-12);
    calls.length = 0;
    await runReplicates('semi-supervised-probe', cfg, { runsDir: runs, rerun: true }, runOne);
    assert.deepEqual(calls, [0, 1, 2]);
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
});

test('runReplicates takes a finished mask reconstruction whole (same fingerprint, current), runs it with rerun, without a fingerprint, or when stale; a single-seed probe always runs', async () => {
  const runs = mkdtempSync(join(tmpdir(), 'srn-repl-whole-'));
  try {
    const cfg = loadExperimentConfig('mask-reconstruction', 'small');
    const dir = experimentRunPath(cfg, { runsDir: runs });
    const calls: string[] = [];
    const said: string[] = [];
    const runOne = async (n: ExperimentName, c: ExperimentConfig, o: ExperimentOptions): Promise<ExperimentOutput> => {
      calls.push(n);
      const runDir = experimentRunDir(c, o);
      return { experiment: c.experiment, scale: c.scale, runDir, resultsPath: join(runDir, 'results.json'), figures: {}, tracking: { uri: '', runId: '' }, seconds: 1 };
    };
    const write = (extra: Record<string, unknown>) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'results.json'), JSON.stringify({ schema: 'semantic-srn/mask-reconstruction@1', mIOU: 0.61, psnr: 18.5, createdAt: '2026-12-08T00:00:00Z', heads: { unet: { mIOU: 0.7, codeVersions: { ...UNET_CODE } } }, ...extra }));
    };
    const opts = { runsDir: runs, onProgress: (m: string) => said.push(m) };
    write({});
    await runReplicates('mask-reconstruction', cfg, opts, runOne);
    assert.deepEqual(calls, ['mask-reconstruction'], 'no fingerprint (written before they were recorded): runs');
    write({ configFingerprint: configFingerprint(cfg) });
    calls.length = 0;
    const out = await runReplicates('mask-reconstruction', cfg, opts, runOne);
    assert.deepEqual(calls, [], 'reused');
    assert.deepEqual([out.resultsPath, (out as unknown as { mIOU: number }).mIOU, (out as unknown as { psnr: number }).psnr], [join(dir, 'results.json'), 0.61, 18.5]);
    assert.match(said.at(-1)!, /mask-reconstruction: finished before with the same config \(.*results\.json, 2026-12-08T00:00:00Z\): reused, --rerun runs it again/);
    await runReplicates('mask-reconstruction', cfg, { ...opts, rerun: true }, runOne);
    await runReplicates('mask-reconstruction', { ...cfg, fitSteps: (cfg.fitSteps ?? 0) + 1 }, opts, runOne);
    assert.deepEqual(calls, ['mask-reconstruction', 'mask-reconstruction'], 'rerun, and another config');
    write({ configFingerprint: configFingerprint(cfg), heads: { unet: { mIOU: 0.7 } } });
    calls.length = 0;
    await runReplicates('mask-reconstruction', cfg, opts, runOne);
    assert.deepEqual(calls, ['mask-reconstruction'], 'a stale U-Net head');
    assert.match(said.at(-1)!, /finished before with the same config, but is stale and runs again: .*U-Net head/);
    // The probe resumes inside (cached pre-training and probe): a single seed runs as before.
    const probe = { ...loadExperimentConfig('semi-supervised-probe', 'small'), seeds: [0] };
    const pdir = experimentRunPath(probe, { runsDir: runs });
    mkdirSync(pdir, { recursive: true });
    writeFileSync(join(pdir, 'results.json'), JSON.stringify({ configFingerprint: configFingerprint(probe) }));
    calls.length = 0;
    await runReplicates('semi-supervised-probe', probe, opts, runOne);
    assert.deepEqual(calls, ['semi-supervised-probe']);
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
});

test('finishedRun only looks: no run folder is made for a seed that never ran', () => {
  const runs = mkdtempSync(join(tmpdir(), 'srn-repl-look-'));
  try {
    const cfg = { ...loadExperimentConfig('semi-supervised-probe', 'small'), seeds: [3] };
    assert.equal(finishedRun(cfg, { runsDir: runs }), undefined);
    assert.equal(existsSync(join(runs, 'semi-supervised-probe')), false);
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
});

test('finishedRun: a finished mask reconstruction whose U-Net head is stale runs again; a current one is reused', () => {
  const runs = mkdtempSync(join(tmpdir(), 'srn-repl-mask-'));
  try {
    const cfg = { ...loadExperimentConfig('mask-reconstruction', 'small'), seeds: [0] };
    const dir = experimentRunPath(cfg, { runsDir: runs });
    const write = (unet: Record<string, unknown>) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'results.json'), JSON.stringify({ schema: 'semantic-srn/mask-reconstruction@1', configFingerprint: configFingerprint(cfg), mIOU: 0.5, heads: { linear: { mIOU: 0.5 }, unet: { mIOU: 0.4, ...unet } } }));
    };
    write({});
    const heard: string[] = [];
    assert.equal(finishedRun(cfg, { runsDir: runs }, (w) => heard.push(w)), undefined);
    assert.match(heard[0], /U-Net head: made with reflection-padding gradient v1/);
    write({ codeVersions: { ...UNET_CODE } });
    assert.equal(finishedRun(cfg, { runsDir: runs })?.resultsPath, join(dir, 'results.json'));
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
});
