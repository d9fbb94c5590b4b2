import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PAPER_TABLE1, pickTable1Rows, SMOKE_TEST_NOTE, table1ClassRecords, table1Records, type Table1Row } from '../../lib/eval/table1';
import { loadExperimentConfig, parseTable1Columns, withClassAndSeeds } from '../../lib/experiments/config_loader';
import { assembleTable1, describeTable1Step, missingGroups, onlyMissing, planTable1, TABLE1_PRODUCERS } from '../../lib/experiments/table1';
import { main } from '../../lib/cli/main';
import { NullTracker } from '../../lib/tracking/create_tracker';
import { runReplicates } from '../../lib/experiments/replicates';
import { throwIfInterrupted } from '../../lib/experiments/common';
import { presetConfig, scheduleSteps } from '../../lib/config/presets';
import { SrnModel } from '../../lib/srn/model';
import { saveCheckpoint } from '../../lib/training/checkpoint';
import { semanticTrainingTime } from '../../lib/pipeline/time_estimate';

const row = (column: number, method: string, source: string, scale = 'cpu', protocol = 'single', seed = 0, mIOU = 0.5, createdAt: string | null = null): Table1Row => ({
  id: PAPER_TABLE1.find((c) => c.column === column)!.id, column, method, protocol, className: 'Chair', mIOU, shapeMIOU: 0.4, source, scale, seed, createdAt,
});

test('Table 1 over seeds: one row per seed (newest), the chosen scale only, mean ± t-based 95% CI in %', () => {
  const rows = [
    row(2, 'srn+linear', '/a0-old', 'cpu64', 'single', 0, 0.1, '2026-01-01'),
    row(2, 'srn+linear', '/a0', 'cpu64', 'single', 0, 0.4, '2026-02-01'),
    row(2, 'srn+linear', '/a1', 'cpu64', 'single', 1, 0.5, '2026-02-01'),
    row(2, 'srn+linear', '/a2', 'cpu64', 'single', 2, 0.6, '2026-02-01'),
    row(2, 'srn+linear', '/c0', 'cpu', 'single', 0, 0.9, '2026-03-01'), // another scale: never averaged in
    row(1, 'tco+linear', '/t0', 'cpu', 'single', 0, 0.3, '2026-01-01'), // only at cpu: reported at cpu
  ];
  const picked = pickTable1Rows(rows, 'cpu64');
  assert.deepEqual(picked.map((r) => r.source), ['/t0', '/a0', '/a1', '/a2']);
  const rec = table1Records(picked).find((r) => r.column === 2)!;
  assert.equal(rec['ours mIOU %'], 50);
  assert.equal(rec['ours mIOU ± CI95'], Math.round(1000 * ((4.303 * 0.1) / Math.sqrt(3))) / 10); // 24.8
  assert.equal(rec['ours shape-mIOU ± CI95'], 0); // the same 0.4 at every seed
  assert.equal(rec.seeds, '0,1,2');
  assert.equal(rec.scale, 'cpu64');
  const tco = table1Records(picked).find((r) => r.column === 1)!;
  assert.deepEqual([tco['ours mIOU %'], tco['ours mIOU ± CI95'], tco.seeds, tco.scale], [30, null, '0', 'cpu']);
  const none = table1Records(picked).find((r) => r.column === 4)!;
  assert.deepEqual([none['ours mIOU %'], none.seeds, none.source], [null, '', null]);
});

test('per-class records across methods: from an eval file and from a baselines summary', () => {
  const dir = mkdtempSync(join(tmpdir(), 'srn-t1fig-'));
  try {
    const evalFile = join(dir, 'eval.json');
    writeFileSync(evalFile, JSON.stringify({ method: 'srn+linear', perClassIoU: { back: 0.6, seat: 0.5, arm: null } }));
    const baseFile = join(dir, 'baselines.json');
    writeFileSync(baseFile, JSON.stringify({ rows: [
      { method: 'tco+linear', protocol: 'single', perClassIoU: { back: 0.3, seat: 0.2 } },
      { method: 'other', protocol: 'single', perClassIoU: { back: 0.9 } },
    ] }));
    const recs = table1ClassRecords([row(2, 'srn+linear', evalFile), row(1, 'tco+linear', baseFile), row(3, 'gone', join(dir, 'missing.json'))]);
    assert.deepEqual(recs, [
      { method: '2: srn+linear', className: 'back', iou: 0.6 },
      { method: '2: srn+linear', className: 'seat', iou: 0.5 },
      { method: '1: tco+linear', className: 'back', iou: 0.3 },
      { method: '1: tco+linear', className: 'seat', iou: 0.2 },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Table 1 records of the small scale carry the smoke-test note; others do not', () => {
  const recs = table1Records([row(2, 'srn+linear', '/x', 'small'), row(1, 'tco+linear', '/y', 'cpu')]);
  assert.equal(recs.find((r) => r.column === 2)!.note, SMOKE_TEST_NOTE);
  assert.equal(recs.find((r) => r.column === 1)!.note, null);
  assert.equal(recs.find((r) => r.column === 4)!.note, null); // no row of ours
});

test('table-1 runs only the missing columns: a baseline experiment is narrowed to their kinds', () => {
  const unet = loadExperimentConfig('unet-baselines', 'small');
  const kinds = (c: ReturnType<typeof onlyMissing>) => (c && 'baseline' in c ? (c.baseline as { kinds?: string[] }).kinds : undefined);
  assert.deepEqual(kinds(onlyMissing(unet, ['srn-unet-multi', 'unet-oracle', 'srn-unet-single'])), ['srn-unet', 'unet-oracle']);
  assert.deepEqual(kinds(onlyMissing(loadExperimentConfig('tco-baseline', 'small'), ['tco-linear'])), ['tco']);
  assert.equal(onlyMissing(loadExperimentConfig('semi-supervised-probe', 'small'), ['srn-linear']), undefined, 'not a baseline experiment: run as configured');
});

test('table-1 plans per seed: a seed keeps the columns it has, seeds missing the same columns run together', () => {
  const cols = TABLE1_PRODUCERS['unet-baselines']!;
  // Interrupted after seed 0's 30-shot U-Net: seed 0 lacks three columns, seeds 1 and 2 all four.
  const rows = [{ id: 'unet-30shot' as const, seed: 0 }, { id: 'srn-linear' as const, seed: 1 }];
  assert.deepEqual(missingGroups(cols, rows, [0, 1, 2]), [
    { seeds: [0], columns: ['srn-unet-single', 'srn-unet-multi', 'unet-oracle'] },
    { seeds: [1, 2], columns: cols },
  ]);
  const done = [0, 1, 2].flatMap((seed) => cols.map((id) => ({ id, seed })));
  assert.deepEqual(missingGroups(cols, done, [0, 1, 2]), [], 'nothing to run');
  assert.deepEqual(missingGroups(['srn-linear'], [{ id: 'srn-linear', seed: 0 }], [0, 1, 2]), [{ seeds: [1, 2], columns: ['srn-linear'] }]);
});

test('--columns: table-1 runs only the chosen columns (by number or id), and only where missing', async () => {
  assert.deepEqual(parseTable1Columns('6, 3,tco-linear'), ['tco-linear', 'unet-30shot', 'unet-oracle']);
  assert.throws(() => parseTable1Columns('7'), /--columns: expected column numbers 1–6 or ids .*got '7'/);
  assert.throws(() => parseTable1Columns(' , '), /--columns: expected at least one column/);
  assert.throws(() => withClassAndSeeds(loadExperimentConfig('tco-baseline', 'small'), { columns: '1' }), /--columns: only table-1/);
  const runs = mkdtempSync(join(tmpdir(), 'srn-columns-'));
  try {
    // Seed 0 has its 30-shot U-Net: with --columns 3,1 only seed 1's U-Net and both TCO rows are left to run.
    const dir = join(runs, 'unet-baselines', 'small', 'chair-seed0', 'unet-fewshot');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'results.json'), JSON.stringify({ scale: 'small', seed: 0, table1: { id: 'unet-30shot', column: 3, method: 'U-Net', protocol: 'single', className: 'Chair', mIOU: 0.5, shapeMIOU: 0.4, seed: 0, codeVersions: { reflectPadGrad: 2 } } }));
    const cfg = withClassAndSeeds(loadExperimentConfig('table-1', 'small'), { seeds: '0,1', columns: '3,1' });
    const calls: string[] = [];
    await assembleTable1(cfg, { runsDir: runs, tracker: new NullTracker() }, async (name, c) => {
      const kinds = 'baseline' in c ? (c.baseline as { kinds?: string[] }).kinds : undefined;
      calls.push(`${name} seeds ${c.seeds.join(',')} kinds ${kinds?.join(',')}`);
      return { experiment: name, scale: c.scale, runDir: runs, resultsPath: join(runs, 'none.json'), figures: {}, tracking: { uri: '', runId: '', experimentId: '' }, seconds: 0 } as Awaited<ReturnType<Parameters<typeof assembleTable1>[2]>>;
    });
    assert.deepEqual(calls, ['tco-baseline seeds 0,1 kinds tco', 'unet-baselines seeds 1 kinds unet-fewshot']);
    // --plan says the same without running: the plan is what assembleTable1 runs.
    const plan = planTable1(cfg, runs);
    assert.deepEqual(plan.map(describeTable1Step), [
      'tco-baseline, seeds 0,1: column 1 (tco-linear) [kinds tco] — time unknown (no finished row of these columns here)',
      'unet-baselines, seed 1: column 3 (unet-30shot) [kinds unet-fewshot] — time unknown (no finished row of these columns here)',
    ]);
    // A row's own wall time makes the estimate (median per column; the other class's rows where this one has none).
    writeFileSync(join(dir, 'results.json'), JSON.stringify({ scale: 'small', seed: 0, totalSeconds: 1500, table1: { id: 'unet-30shot', column: 3, method: 'U-Net', protocol: 'single', className: 'Chair', mIOU: 0.5, shapeMIOU: 0.4, seed: 0, codeVersions: { reflectPadGrad: 2 } } }));
    const tco = join(runs, 'tco-baseline', 'small', 'table-seed0');
    mkdirSync(tco, { recursive: true });
    writeFileSync(join(tco, 'results.json'), JSON.stringify({ scale: 'small', seed: 0, totalSeconds: 600, table1: [{ id: 'tco-linear', column: 1, method: 'TCO', protocol: 'single', className: 'Table', mIOU: 0.3, shapeMIOU: 0.2, seed: 0 }] }));
    assert.deepEqual(planTable1(cfg, runs).map(describeTable1Step), [
      'tco-baseline, seeds 0,1: column 1 (tco-linear) [kinds tco] — about 10m00s a seed, 20m00s in all (median own wall of 1 finished row, partly of the other class here)',
      'unet-baselines, seed 1: column 3 (unet-30shot) [kinds unet-fewshot] — about 25m00s a seed (median own wall of 1 finished row here)',
    ]);
    // The seed's baseline summary holds the same row as its kind's own file: one finished row, not two.
    writeFileSync(join(runs, 'unet-baselines', 'small', 'chair-seed0', 'results.json'), JSON.stringify({ scale: 'small', seed: 0, totalSeconds: 1500, table1: [{ id: 'unet-30shot', column: 3, method: 'U-Net', protocol: 'single', className: 'Chair', mIOU: 0.5, shapeMIOU: 0.4, seed: 0, codeVersions: { reflectPadGrad: 2 } }] }));
    assert.match(describeTable1Step(planTable1(cfg, runs)[1]), /median own wall of 1 finished row here/);
    rmSync(join(runs, 'unet-baselines', 'small', 'chair-seed0', 'results.json'));
    rmSync(join(runs, 'tco-baseline'), { recursive: true, force: true });
    const all = planTable1(withClassAndSeeds(loadExperimentConfig('table-1', 'small'), { seeds: '0' }), runs);
    assert.deepEqual(all.map((x) => [x.experiment, x.columns.length, x.kinds]), [['semi-supervised-probe', 1, null], ['tco-baseline', 1, ['tco']], ['unet-baselines', 3, ['srn-unet', 'unet-oracle']]]);
    assert.deepEqual(planTable1(withClassAndSeeds(loadExperimentConfig('table-1', 'small'), { className: 'table', seeds: '0', columns: '3' }), runs).map((x) => x.seeds), [[0]], 'the chair row is not a table row');
    rmSync(join(runs, 'table-1'), { recursive: true, force: true });
    const out: string[] = [];
    const log = console.log;
    console.log = (m: string) => out.push(m);
    try {
      assert.equal(await main(['experiment', 'table-1', '--scale', 'small', '--seeds', '0,1', '--columns', '3,1', '--out', runs, '--plan']), 0);
    } finally {
      console.log = log;
    }
    assert.match(out.join('\n'), /table-1 would run 2 step\(s\) \(scale small, chairs, seeds 0,1, columns tco-linear,unet-30shot[^\n]*\n {2}tco-baseline, seeds 0,1: column 1/);
    assert.ok(!existsSync(join(runs, 'table-1')), '--plan runs nothing and writes nothing');
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
});

test('after Ctrl-C an experiment stops at the next stage boundary, naming what it did not start', async () => {
  const ac = new AbortController();
  ac.abort();
  const calls: number[] = [];
  const cfg = { ...loadExperimentConfig('semi-supervised-probe', 'small'), seeds: [0, 1] };
  await assert.rejects(
    runReplicates('semi-supervised-probe', cfg, { signal: ac.signal }, async (_n, c) => {
      calls.push(c.seeds[0]);
      throw new Error('not reached');
    }),
    /interrupted before semi-supervised-probe seed 0: rerun the same command to go on/,
  );
  assert.deepEqual(calls, []);
  assert.doesNotThrow(() => throwIfInterrupted({}, 'anything'));
});

test('--plan says what SRN+U-Net needs first: the semantic SRN trained, resumed at its step, or reused when finished', () => {
  const runs = mkdtempSync(join(tmpdir(), 'srn-plan-semantic-'));
  try {
    const cfg = withClassAndSeeds(loadExperimentConfig('table-1', 'small'), { seeds: '0', columns: '4,5' });
    const config = presetConfig(cfg.preset, cfg.overrides);
    const total = scheduleSteps(config.training.semantic.schedule);
    const need = () => describeTable1Step(planTable1(cfg, runs)[0]).split('; ')[1];
    assert.equal(need(), `first the semantic SRN trains: ${total} steps, none on disk (its time is not in the estimate)`, 'the small preset: no measured step cost');
    const key = `${cfg.preset}-chair-s${cfg.seed}-0123456789ab`;
    const save = (step: number) => {
      const model = new SrnModel(config.model, { numInstances: 2, seed: 0, heads: ['unet'] });
      saveCheckpoint(join(runs, 'semantic', key, 'checkpoint'), { config, model, stage: 'semantic', step, dataVersion: 'synthetic-v2' });
      model.dispose();
    };
    save(total - 1);
    assert.equal(need(), `first the semantic SRN resumes: ${key} at step ${total - 1} of ${total} (its time is not in the estimate)`);
    save(total);
    assert.equal(need(), `semantic SRN ${key}: finished (${total} steps), reused`);
    // Another class's or seed's training is not this one's.
    const tables = withClassAndSeeds(loadExperimentConfig('table-1', 'small'), { className: 'table', seeds: '0', columns: '4' });
    assert.match(describeTable1Step(planTable1(tables, runs)[0]), /first the semantic SRN trains/);
    assert.equal(planTable1(withClassAndSeeds(loadExperimentConfig('table-1', 'small'), { seeds: '0', columns: '3' }), runs)[0].semantic, undefined, 'only SRN+U-Net columns need it');
    // At cpu64 its hours come from the measured step cost (2.1 s: 10,000 steps are about 5.8 h), from where it resumes.
    const cpu64 = withClassAndSeeds(loadExperimentConfig('table-1', 'cpu64'), { seeds: '0', columns: '4' });
    assert.match(describeTable1Step(planTable1(cpu64, runs)[0]), /first the semantic SRN trains: 10,000 steps, none on disk \(about 5\.8 h on node at the measured step cost, not in the estimate\)/);
    assert.equal(semanticTrainingTime('cpu64', 1000), 'about 35 min on node');
    assert.equal(semanticTrainingTime('paper', 1000), null, 'not measured');
    // A stopped SRN+U-Net evaluation's journal: the plan says how far it got (the run resumes it if it matches).
    const journal = join(runs, 'unet-baselines', 'small', 'chair-seed0', 'srn-unet', 'results-multi.partial.json');
    mkdirSync(dirname(journal), { recursive: true });
    writeFileSync(journal, JSON.stringify({ fingerprint: {}, records: [{ position: 0 }, { position: 1 }, { position: 2 }] }));
    assert.deepEqual(planTable1(cfg, runs)[0].journalled, [{ seed: 0, protocol: 'multi', scored: 3 }]);
    assert.match(describeTable1Step(planTable1(cfg, runs)[0]), /; resumes the journalled evaluations of a stopped run \(if its weights and settings match\): seed 0 multi-view 3 object\(s\) scored$/);
    writeFileSync(journal, '{ not json');
    assert.deepEqual(planTable1(cfg, runs)[0].journalled, []);
    // A stopped 30-shot U-Net's dropout search: the plan of column 3 says how many candidates it kept.
    const col3 = withClassAndSeeds(loadExperimentConfig('table-1', 'small'), { seeds: '0,1', columns: '3' });
    assert.deepEqual(planTable1(col3, runs)[0].dropoutSearch, []);
    const grid = join(runs, 'unet-baselines', 'small', 'chair-seed1', 'unet-fewshot', 'unet-grid', 'fewshot', 'grid.json');
    mkdirSync(dirname(grid), { recursive: true });
    writeFileSync(grid, JSON.stringify({ fingerprint: {}, candidates: [{ dropout: 0.1, result: {} }, { dropout: 0.2, result: {} }], best: null }));
    assert.deepEqual(planTable1(col3, runs)[0].dropoutSearch, [{ seed: 1, candidates: 2 }]);
    assert.match(describeTable1Step(planTable1(col3, runs)[0]), /; resumes the 30-shot U-Net's dropout search of a stopped run \(if its settings match\): seed 1 2 candidate\(s\) trained$/);
    // The next candidate's training saved part-way (inside the journal): the plan names its step too.
    const part = join(dirname(grid), 'unet-train', 'p0.5', 'state.json');
    mkdirSync(dirname(part), { recursive: true });
    writeFileSync(part, JSON.stringify({ format: 'semantic-srn-net-train/1', fingerprint: {}, step: 150, total: 400, validation: [], best: null, seconds: 10 }));
    assert.deepEqual(planTable1(col3, runs)[0].dropoutSearch, [{ seed: 1, candidates: 2, inProgress: { dropout: 0.5, step: 150, total: 400 } }]);
    assert.match(describeTable1Step(planTable1(col3, runs)[0]), /: seed 1 2 candidate\(s\) trained and p=0\.5 at step 150 of 400$/);
    assert.equal(planTable1(cfg, runs)[0].dropoutSearch, undefined, 'only the 30-shot column has one');
    // A stopped oracle U-Net's saved training: the plan of column 6 says where it goes on from.
    const col6 = withClassAndSeeds(loadExperimentConfig('table-1', 'small'), { seeds: '0,1', columns: '6' });
    assert.deepEqual(planTable1(col6, runs)[0].savedTrainings, []);
    const state = join(runs, 'unet-baselines', 'small', 'chair-seed0', 'unet-oracle', 'unet-train', 'oracle', 'state.json');
    mkdirSync(dirname(state), { recursive: true });
    writeFileSync(state, JSON.stringify({ format: 'semantic-srn-net-train/1', fingerprint: {}, step: 400, total: 1000, validation: [], best: null, seconds: 10 }));
    assert.deepEqual(planTable1(col6, runs)[0].savedTrainings, [{ seed: 0, net: 'oracle U-Net', step: 400, total: 1000 }]);
    assert.match(describeTable1Step(planTable1(col6, runs)[0]), /; goes on from the saved trainings of a stopped run \(if their settings match\): oracle U-Net seed 0 at step 400 of 1,000$/);
    assert.equal(planTable1(col3, runs)[0].savedTrainings, undefined, 'only the oracle and TCO columns have one');
    // And TCO's pre-training (column 1, run by tco-baseline).
    const col1 = withClassAndSeeds(loadExperimentConfig('table-1', 'small'), { seeds: '0,1', columns: '1' });
    const tcoState = join(runs, 'tco-baseline', 'small', 'chair-seed1', 'tco', 'tco-train', 'pretrain', 'state.json');
    mkdirSync(dirname(tcoState), { recursive: true });
    writeFileSync(tcoState, JSON.stringify({ format: 'semantic-srn-net-train/1', fingerprint: {}, step: 250, total: 1500, validation: [], best: null, seconds: 10 }));
    assert.deepEqual(planTable1(col1, runs)[0].savedTrainings, [{ seed: 1, net: 'TCO pre-training', step: 250, total: 1500 }]);
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
});
