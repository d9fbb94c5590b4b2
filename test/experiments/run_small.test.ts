import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryTracker } from '../../lib/tracking/create_tracker';
import {
  loadExperimentConfig,
  runExperiment,
  runInterpolation,
  runLabelCountSweep,
  runMaskReconstruction,
  runSemiSupervisedProbe,
  runTable1,
  withClassAndSeeds,
  type ReplicatesOutput,
} from '../../lib/experiments';
import { collectTable1Rows, legacyTable1Column, SMOKE_TEST_NOTE } from '../../lib/eval/table1';
import { useBackend } from '../helpers/tf';
import { readPng } from '../../lib/io/png';
import { sweepRenderName } from '../../lib/experiments/label_count_sweep';
import { configFingerprint } from '../../lib/experiments/finished_run';

// Every experiment at the `small` scale (tiny preset, 8² renders), sharing one pre-training.
const tmp = mkdtempSync(join(tmpdir(), 'srn-exp-run-'));
const runsDir = join(tmp, 'runs');
const dataRoot = join(tmp, 'data');
const tracker = createMemoryTracker();
const opts = { tracker, runsDir, dataRoot };
before(async () => useBackend());
after(() => rmSync(tmp, { recursive: true, force: true }));

const json = (p: string) => JSON.parse(readFileSync(p, 'utf8'));

test('semi-supervised probe (small): scores, renders, results.json, Table 1 entry, one tracked run', async () => {
  const r = await runSemiSupervisedProbe(loadExperimentConfig('semi-supervised-probe', 'small'), opts);
  for (const v of [r.mIOU, r.shapeMIOU, r.trivial.allBackgroundMIOU]) assert.ok(v >= 0 && v <= 1);
  assert.equal(r.counts.instances, 2);
  assert.equal(r.counts.images, 2 * 12); // views 0, 25, …, 250 plus 65
  assert.equal(r.pretrain.reused, false);
  assert.equal(r.pretrain.losses.length, 16);
  assert.equal(r.probe.steps, 20);
  assert.equal(r.renders.length, 1);
  for (const f of [...r.renders, r.resultsPath, r.figures.perClassIou, r.figures.lossCurves, r.pointCloud!]) assert.ok(existsSync(f), f);
  const saved = json(r.resultsPath);
  assert.equal(saved.table1.column, 2);
  assert.equal(saved.mIOU, r.mIOU);
  assert.equal(saved.experiment, 'semi-supervised-probe');
  const run = tracker.backend.runs.get(r.tracking.runId)!;
  assert.equal(run.info.status, 'FINISHED');
});

test('replicate seeds (small): one run per seed on the shared pre-training, mean ± 95% CI in <class>-seeds.json', async () => {
  const cfg = { ...loadExperimentConfig('semi-supervised-probe', 'small'), seeds: [0, 1] };
  const r = (await runExperiment('semi-supervised-probe', cfg, opts)) as ReplicatesOutput;
  assert.deepEqual(r.seeds, [0, 1]);
  assert.equal(r.resultsPath, join(runsDir, 'semi-supervised-probe', 'small', 'chair-seeds.json'));
  const per = r.replicates.map((x) => json(x.resultsPath));
  assert.deepEqual(per.map((d) => [d.seed, d.pretrainSeed, d.table1.seed]), [[0, 0, 0], [1, 0, 1]]);
  // Seed 0 finished in the test above with the same config: reused whole (finished_run.ts), its results.json unchanged.
  assert.equal(r.replicates[0].seconds, 0);
  assert.equal(r.replicates[0].resultsPath, join(runsDir, 'semi-supervised-probe', 'small', 'chair-seed0', 'results.json'));
  assert.ok(per[1].pretrain.reused, 'seed 1 reuses the pre-training of seed 0');
  assert.ok(r.replicates[1].resultsPath.includes(join('small', 'chair-seed1')));
  const [row] = r.summary;
  assert.equal(row.id, 'srn-linear');
  assert.deepEqual(row.seeds, [0, 1]);
  assert.ok(Math.abs(row.mIOU.mean - (per[0].mIOU + per[1].mIOU) / 2) < 1e-12);
  assert.ok(Math.abs(row.mIOU.ci95! - (12.706 * Math.abs(per[0].mIOU - per[1].mIOU)) / 2) < 1e-9); // n = 2: t·s/√2, s = |a − b|/√2
  assert.deepEqual(json(r.summaryPath).seeds, [0, 1]);
  const children = [...tracker.backend.runs.values()].filter((x) => x.tags['mlflow.parentRunId'] === r.tracking.runId);
  assert.equal(children.length, 1, 'only seed 1 ran');
  assert.equal(tracker.backend.runs.get(r.tracking.runId)!.tags.reused_seeds, '0');
});

test('label-count sweep (small): reuses pre-training, one child run per method and point, seeds × points records', async () => {
  const cfg = loadExperimentConfig('label-count-sweep', 'small');
  assert.deepEqual(cfg.methods, ['srn+linear', 'unet']);
  const r = await runLabelCountSweep(cfg, opts);
  assert.equal(r.pretrain.reused, true);
  assert.deepEqual(r.skipped, []);
  assert.equal(r.records.length, 2 * cfg.points.length * cfg.seeds.length);
  for (const method of cfg.methods) {
    const mine = r.summary.filter((s) => s.method === method);
    assert.deepEqual(mine.map((s) => [s.numLabels, s.n]), cfg.points.map((p) => [p.instances * p.views, cfg.seeds.length]), method);
  }
  for (const rec of r.records) assert.ok(rec.miou >= 0 && rec.miou <= 1);
  // The U-Net's dropout is chosen on validation from the preset's grid at every point (tiny: [0, 0.2]).
  for (const rec of r.records) assert.ok(rec.method === 'unet' ? [0, 0.2].includes(rec.dropout!) : rec.dropout === null, JSON.stringify(rec));
  for (const s of r.summary) assert.ok(s.n < 2 || s.ci95 >= 0);
  assert.ok(existsSync(r.figures.miouVsLabels));
  // Every record's figure of the first test object (predicted beside true labels).
  for (const rec of r.records) {
    const png = join(r.runDir, sweepRenderName(rec.method, rec.instances, rec.views, rec.seed));
    assert.ok(existsSync(png), png);
    assert.equal(readPng(png).height > 64, true);
  }
  const children = [...tracker.backend.runs.values()].filter((x) => x.tags?.['mlflow.parentRunId'] === r.tracking.runId);
  assert.equal(children.length, 2 * cfg.points.length);
  assert.equal(json(r.resultsPath).records.length, r.records.length);
  // SRN+linear − U-Net per point, paired over the seeds both ran.
  const at = (method: string, p: { instances: number; views: number }, seed: number) => r.records.find((x) => x.method === method && x.instances === p.instances && x.views === p.views && x.seed === seed)!.miou;
  assert.deepEqual(json(r.resultsPath).differences, r.differences);
  assert.deepEqual(r.differences!.points.map((d) => [d.numLabels, d.seeds, d.mIOU!.n]), cfg.points.map((p) => [p.instances * p.views, cfg.seeds, cfg.seeds.length]));
  cfg.points.forEach((p, i) => {
    const mean = (100 * cfg.seeds.reduce((s, seed) => s + at('srn+linear', p, seed) - at('unet', p, seed), 0)) / cfg.seeds.length;
    assert.ok(Math.abs(r.differences!.points[i].mIOU!.mean - mean) < 1e-9);
  });
});

test('label-count sweep (small): an interrupted sweep resumes at the next record and skips the fits once only U-Nets are left', async () => {
  const cfg = loadExperimentConfig('label-count-sweep', 'small');
  const journal = join(runsDir, 'label-count-sweep', 'small', 'chair', 'records.partial.json');
  assert.ok(!existsSync(journal), 'a finished sweep leaves no journal');
  // Ctrl-C while the second U-Net record trains its second dropout: every SRN+linear record, the first U-Net record and
  // the second's first candidate are journalled, and nothing of the part-trained U-Net (it stops at its next step
  // instead of training on for minutes).
  const ac = new AbortController();
  const said: string[] = [];
  let unetRecords = 0;
  await assert.rejects(
    // --rerun: the sweep of the test before finished with this config; without it its records would be reused.
    runLabelCountSweep(cfg, {
      ...opts,
      rerun: true,
      signal: ac.signal,
      onProgress: (m: string) => (said.push(m), /sweep: unet .* seed/.test(m) && unetRecords++),
      stepProgress: (p) => unetRecords === 1 && p.stage === 'unet-fewshot p=0.2' && p.step >= 1 && ac.abort(),
    }),
    /interrupted while training the sweep's U-Net on \d+ labelled image\(s\) \(seed \d+\): nothing is scored/,
  );
  assert.ok(!said.some((m) => /finished before/.test(m)), said.join('\n'));
  const kept = json(journal).records as { method: string; probeSeconds: number }[];
  assert.equal(kept.length, cfg.points.length * cfg.seeds.length + 1);
  const grids = join(runsDir, 'label-count-sweep', 'small', 'chair', 'unet-grid');
  const [cut] = readdirSync(grids);
  assert.deepEqual(json(join(grids, cut, 'grid.json')).candidates.map((c: { dropout: number }) => c.dropout), [0], 'the finished candidate only');
  const again: string[] = [];
  const r = await runLabelCountSweep(cfg, { ...opts, onProgress: (m: string) => again.push(m) });
  assert.ok(again.some((m) => m.includes(`resuming with ${kept.length} finished record(s)`)), again.join('\n'));
  assert.ok(!again.some((m) => /fitting .* test codes/.test(m)), 'no fits when only U-Net records are left');
  assert.ok(again.some((m) => m.includes('dropout search resumed at 1 of 2 candidates: p=0 val mIOU')), again.join('\n'));
  assert.deepEqual(readdirSync(grids), [], 'each record\'s dropout search is removed once the record is journalled');
  assert.equal(r.records.length, 2 * cfg.points.length * cfg.seeds.length);
  // The journalled records are reused as they were (their own timings), not recomputed.
  assert.deepEqual(r.records.slice(0, kept.length).map((x) => x.probeSeconds), kept.map((x) => x.probeSeconds));
  assert.ok(!existsSync(journal), 'the journal is removed once results.json is written');
});

test('label-count sweep (small): a finished sweep run again is drawn from its results.json, nothing trained', async () => {
  const cfg = loadExperimentConfig('label-count-sweep', 'small');
  const said: string[] = [];
  const before = json(join(runsDir, 'label-count-sweep', 'small', 'chair', 'results.json')).records;
  const r = await runLabelCountSweep(cfg, { ...opts, onProgress: (m: string) => said.push(m) });
  assert.ok(said.some((m) => m.includes(`finished before with this configuration and pre-training: ${before.length} record(s)`)), said.join('\n'));
  assert.ok(!said.some((m) => /fitting .* test codes|sweep: (unet|srn\+linear) .* seed \d+: mIOU/.test(m)), 'no fit, probe or U-Net runs');
  assert.deepEqual(r.records, before);
  assert.ok(existsSync(r.figures.miouVsLabels));
  // Another configuration (one seed fewer) does not take these records.
  const other = await runLabelCountSweep({ ...cfg, seeds: cfg.seeds.slice(0, 1) }, { ...opts, onProgress: (m: string) => said.push(m) }).catch((e: Error) => e);
  assert.ok(!(other instanceof Error), String(other));
  assert.equal((other as typeof r).records.length, 2 * cfg.points.length);
});

test('label-count sweep (small): Ctrl-C during the test-code fits stops there, before the features and any record', async () => {
  const cfg = loadExperimentConfig('label-count-sweep', 'small');
  const ac = new AbortController();
  const said: string[] = [];
  await assert.rejects(
    runLabelCountSweep(cfg, { ...opts, rerun: true, signal: ac.signal, stepProgress: () => ac.abort(), onProgress: (m: string) => said.push(m) }),
    /interrupted before using the test codes \(their fits were stopped part-way\)/,
  );
  assert.ok(said.some((m) => /fitting .* test codes/.test(m)), said.join('\n'));
  assert.ok(!said.some((m) => /cached features|seed \d+: mIOU/.test(m)), said.join('\n'));
});

test('interpolation (small): frames, strip, a decodable GIF', async () => {
  const cfg = loadExperimentConfig('interpolation', 'small');
  const r = await runInterpolation(cfg, opts);
  assert.equal(r.pretrain.reused, true);
  assert.equal(r.probe.reused, true);
  assert.equal(r.framePaths.length, cfg.frames);
  assert.equal(r.foreground.length, cfg.frames);
  assert.equal(r.stripT.length, cfg.stripFrames);
  assert.deepEqual([r.stripT[0], r.stripT.at(-1)], [0, (cfg.frames - 1) / cfg.frames]);
  for (const f of [...r.framePaths, r.strip, r.gif!, r.resultsPath]) assert.ok(existsSync(f), f);
  assert.equal(readFileSync(r.gif!).subarray(0, 6).toString(), 'GIF89a');
  assert.equal(json(r.resultsPath).configFingerprint, configFingerprint(cfg, opts));
});

test('mask reconstruction (small): per-object scores and figures', async () => {
  const cfg = loadExperimentConfig('mask-reconstruction', 'small');
  const r = await runMaskReconstruction(cfg, opts);
  assert.equal(r.objects.length, cfg.instances.length);
  assert.equal(r.objects[0].fitLoss.length, cfg.fitSteps);
  assert.equal(r.novelViews.length, cfg.novelViews);
  assert.ok(!r.novelViews.includes(cfg.maskView));
  assert.ok(r.mIOU >= 0 && r.mIOU <= 1 && Number.isFinite(r.psnr));
  for (const o of r.objects) assert.ok(existsSync(o.figure));
  assert.equal(json(r.resultsPath).objects.length, cfg.instances.length);
  // What lets the same command run again take it whole (replicates.ts, REUSED_WHOLE).
  assert.equal(json(r.resultsPath).configFingerprint, configFingerprint(cfg, opts));
  // Both heads: the linear probe's scores are the top level; the semantic SRN (U-Net head) was trained and cached.
  assert.deepEqual(cfg.heads, ['linear', 'unet']);
  assert.deepEqual(Object.keys(r.heads).sort(), ['linear', 'unet']);
  assert.equal(r.heads.linear!.mIOU, r.mIOU);
  const unet = r.heads.unet!;
  assert.ok(unet.mIOU >= 0 && unet.mIOU <= 1 && Number.isFinite(unet.psnr));
  assert.equal(unet.objects.length, cfg.instances.length);
  assert.equal((unet.semantic as { steps: number }).steps, 4); // the tiny preset's semantic schedule
  assert.ok(existsSync(join((unet.semantic as { dir: string }).dir, 'manifest.json')));
  assert.ok(existsSync(r.figures.unet_object0), 'the U-Net head has its own figure');
  // The heads compared per object (the same mask): here one object, so no interval.
  const lin0 = (r.heads.linear!.objects as { mIOU: number }[])[0].mIOU;
  const unet0 = (unet.objects as { mIOU: number }[])[0].mIOU;
  assert.deepEqual(r.headDifference!.objects, [0]);
  assert.ok(Math.abs(r.headDifference!.mIOU.mean - 100 * (unet0 - lin0)) < 1e-9);
  assert.equal(r.headDifference!.mIOU.ci95, null);
  assert.deepEqual(json(r.resultsPath).headDifference, r.headDifference);
  assert.equal(r.heads.linear!.perObjectMIOU.n, 1);
  // A second run reuses the cached semantic SRN.
  const again = await runMaskReconstruction({ ...cfg, heads: ['unet'] }, opts);
  assert.equal((again.heads.unet!.semantic as { reused: boolean }).reused, true);
  assert.equal(again.mIOU, again.heads.unet!.mIOU);
  // Ctrl-C during a mask fit (the semantic SRN is cached now): stops there, nothing scored from the part-fitted code.
  const ac = new AbortController();
  const said: string[] = [];
  const resultsBefore = readFileSync(again.resultsPath, 'utf8');
  await assert.rejects(
    runMaskReconstruction({ ...cfg, heads: ['unet'] }, { ...opts, signal: ac.signal, stepProgress: () => ac.abort(), onProgress: (m: string) => said.push(m) }),
    /interrupted before scoring .* \(its mask fit was stopped part-way\)/,
  );
  assert.equal(said.filter((m) => /mask: fitting a code/.test(m)).length, 1, said.join('\n'));
  assert.equal(readFileSync(again.resultsPath, 'utf8'), resultsBefore, 'the results of the finished run stay');

  // Both test objects; a stop in the second one's fit keeps the first one's code, and the rerun scores as an
  // uninterrupted run while fitting only the second.
  const two = { ...cfg, instances: [0, 1], heads: ['unet' as const] };
  const whole = await runMaskReconstruction(two, opts);
  const journal = join(whole.runDir, 'mask-codes_unet.partial.json');
  assert.ok(!existsSync(journal), 'the journal goes with the results');
  const stop = new AbortController();
  const log: string[] = [];
  const fits = () => log.filter((m) => /mask: fitting a code/.test(m)).length;
  await assert.rejects(
    runMaskReconstruction(two, { ...opts, signal: stop.signal, stepProgress: () => fits() === 2 && stop.abort(), onProgress: (m: string) => log.push(m) }),
    /its mask fit was stopped part-way/,
  );
  assert.equal(json(journal).records.length, 1, 'the first object\'s code');
  log.length = 0;
  const resumed = await runMaskReconstruction(two, { ...opts, onProgress: (m: string) => log.push(m) });
  assert.ok(log.some((m) => /mask \(unet head\): 1 code\(s\) fitted before/.test(m)), log.join('\n'));
  assert.equal(fits(), 1, 'only the second object is fitted');
  // Exactly: the journal carries the U-Net head's running statistics after each fit, which later renders read.
  assert.deepEqual(resumed.objects.map((o) => [o.mIOU, o.psnr, o.fitLoss]), whole.objects.map((o) => [o.mIOU, o.psnr, o.fitLoss]));
  assert.equal(resumed.heads.unet!.mIOU, whole.heads.unet!.mIOU);
  assert.ok(!existsSync(journal));
});

test('a baseline experiment runs on its class: --class table trains and scores TCO on table data (small)', async () => {
  // The baseline presets are chairs; before 90b118e `tco-baseline --class table` read the chair data.
  const cfg = withClassAndSeeds(loadExperimentConfig('tco-baseline', 'small'), { className: 'table' });
  const r = await runExperiment('tco-baseline', cfg, opts);
  assert.equal(r.resultsPath, join(runsDir, 'tco-baseline', 'small', 'table-seed0', 'results.json'));
  const saved = json(r.resultsPath);
  assert.deepEqual(saved.table1.map((e: { id: string; className: string }) => [e.id, e.className]), [['tco-linear', 'Table']]);
  const parts = Object.keys(saved.rows[0].perClassIoU);
  assert.ok(parts.includes('regular_table/tabletop'), `table parts expected, got ${parts.join(', ')}`);
  assert.ok(!parts.some((p) => p.startsWith('chair')), `no chair part expected, got ${parts.join(', ')}`);
  const row = collectTable1Rows(runsDir).find((x) => x.id === 'tco-linear' && x.className === 'Table');
  assert.ok(row, 'the table TCO row is collected as a Table row');
  // Run again: the kind's results in its folder carry this config, so they are reused (no baseline run is
  // opened); --rerun trains it again.
  const tcoRuns = () => [...tracker.backend.runs.values()].filter((x) => x.tags.baseline === 'tco').length;
  const before = tcoRuns();
  const said: string[] = [];
  const again = await runExperiment('tco-baseline', cfg, { ...opts, onProgress: (m: string) => said.push(m) });
  assert.equal(tcoRuns(), before, 'a finished baseline is not run again');
  assert.ok(said.some((m) => /baseline tco already ran with this config/.test(m)), said.join('\n'));
  assert.deepEqual(json(again.resultsPath).rows.map((x: { mIOU: number }) => x.mIOU), saved.rows.map((x: { mIOU: number }) => x.mIOU));
  await runExperiment('tco-baseline', cfg, { ...opts, rerun: true });
  assert.equal(tcoRuns(), before + 1, '--rerun runs it again');
});

test('table 1 (small): collects the probe row beside the paper, runs the missing TCO row', async () => {
  const cfg = loadExperimentConfig('table-1', 'small');
  const r = await runTable1({ ...cfg, runMissing: ['semi-supervised-probe', 'tco-baseline'] }, opts);
  assert.deepEqual(r.ran, ['tco-baseline']); // the probe row exists from the first test; TCO runs now
  // The TCO experiment opened a parent run (its id in results.json) and the baseline's own run is its child.
  const tcoId = json(join(runsDir, 'tco-baseline', 'small', 'chair-seed0', 'results.json')).tracking.runId as string;
  assert.ok(tcoId, 'tco-baseline results.json has no tracking run id');
  const children = [...tracker.backend.runs.values()].filter((x) => x.tags['mlflow.parentRunId'] === tcoId);
  assert.deepEqual(children.map((x) => x.tags.baseline), ['tco']);
  assert.equal(typeof r.records.find((x) => x.column === 1)!['ours mIOU %'], 'number');
  const col2 = r.records.find((x) => x.column === 2)!;
  assert.equal(col2['paper mIOU %'], 48.7);
  assert.equal(typeof col2['ours mIOU %'], 'number');
  assert.equal(col2.scale, 'small');
  assert.equal(r.records.length, 6);
  // SRN+linear minus TCO+linear over seed 0, the one seed both have; the same in results.json and table1.md.
  const tco = r.differences.find((d) => d.against === 'tco-linear')!;
  assert.deepEqual(tco.seeds, [0]);
  assert.ok(Math.abs(tco.mIOU!.mean - (col2['ours mIOU %']! - r.records.find((x) => x.column === 1)!['ours mIOU %']!)) < 0.1, 'the one seed\'s difference (records round to 0.1)');
  assert.deepEqual(json(r.resultsPath).differences, r.differences);
  assert.match(readFileSync(r.table.markdown, 'utf8'), /SRN\+linear minus each column, paired by seed[\s\S]*\| 1 TCO\+linear \(30 images, single view\) \| Chair \| [+−]\d+\.\d \(n=1\) \|/);
  for (const f of [r.table.csv, r.table.json, r.figures.chart, r.figures.perClassIou]) assert.ok(f && existsSync(f), String(f));
  assert.ok(r.records.filter((x) => x['ours mIOU %'] !== null).every((x) => x.note === SMOKE_TEST_NOTE)); // small = smoke test
  // the table's own results.json is not a row
  assert.equal(collectTable1Rows(runsDir).filter((x) => x.column === 2 && x.seed === 0).length, 1);
  assert.equal(legacyTable1Column('srn+linear', 'single'), 'srn-linear');
  assert.equal(legacyTable1Column('srn+linear', 'multi'), null, 'column 2 is single view only');
  assert.equal(legacyTable1Column('oracle-unet-30', 'single'), null, 'no guessing from other method names');
  await assert.rejects(runExperiment('interpolation', cfg, opts), /is for 'table-1', not 'interpolation'/);
});
