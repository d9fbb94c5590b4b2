/** The library pipeline behind `quickstart`: config per class, the shipped checkpoint rule, the few-shot draw, and a tiny run end to end. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { presetConfig } from '../../lib/config/presets';
import { drawFewShot } from '../../lib/pipeline/few_shot';
import { datasetClassFolder, prepareSplits } from '../../lib/pipeline/data';
import { planLine, quickstartConfig, runQuickstart, shippedCheckpoint, shippedLossHistory } from '../../lib/pipeline/quickstart';
import { createMemoryTracker } from '../../lib/tracking/create_tracker';
import { loadCheckpoint, restoreModel, saveCheckpoint } from '../../lib/training/checkpoint';
import { useBackend } from '../helpers/tf';

const tmp = mkdtempSync(join(tmpdir(), 'srn-pipeline-'));
const dataRoot = join(tmp, 'data');
before(async () => useBackend());
after(() => rmSync(tmp, { recursive: true, force: true }));

const base = { preset: 'cpu', seed: 0, steps: {} };

test('quickstartConfig: class, seed and step overrides; the shipped checkpoint only where it was made (cpu chairs, seed 0, 50 objects, 64²)', () => {
  const chair = quickstartConfig(base);
  assert.equal(chair.data.className, 'Chair');
  assert.equal(chair.data.fewShot.seed, 0);
  const table = quickstartConfig({ ...base, className: 'table', seed: 2, steps: { pretrain: 7, probe: 5, fit: 3 }, trainInstances: 4 });
  assert.equal(table.data.className, 'Table');
  assert.equal(table.seed, 2);
  assert.equal(table.data.fewShot.seed, 2);
  assert.deepEqual(table.training.pretrain.schedule.map((s) => s.steps), [7]);
  assert.equal(table.training.probe.steps, 5);
  assert.equal(table.training.latentFit.steps, 3);
  assert.equal(table.data.maxTrainInstances, 4);
  assert.equal(quickstartConfig(base, 6).model.numClasses, 6);

  const opts = { preset: 'cpu', resolution: 64, steps: {} };
  const shipped = shippedCheckpoint(opts, chair);
  assert.ok(shipped && existsSync(join(shipped, 'manifest.json')), 'pretrained/cpu-chair-seed0 is in the repo');
  assert.equal(shippedCheckpoint(opts, quickstartConfig({ ...base, className: 'table' })), undefined, 'tables pre-train from scratch');
  assert.equal(shippedCheckpoint(opts, quickstartConfig({ ...base, seed: 1 })), undefined);
  assert.equal(shippedCheckpoint({ ...opts, resolution: 32 }, chair), undefined);
  assert.equal(shippedCheckpoint({ ...opts, steps: { pretrain: 10 } }, chair), undefined);
  assert.equal(shippedCheckpoint({ ...opts, preset: 'tiny' }, chair), undefined);
  assert.equal(datasetClassFolder('TABLE'), 'Table');
  assert.equal(datasetClassFolder('Sofa'), 'Sofa', 'a real dataset keeps its folder name');
});

test('prepareSplits: generates the missing objects once, errors name the split folder; drawFewShot caps and relaxes with warnings', async () => {
  const d = await prepareSplits({ root: dataRoot, className: 'table', train: 3, test: 1, resolution: 16, workers: 1 });
  assert.equal(d.className, 'Table');
  assert.deepEqual(d.generated.map((g) => [g.split, g.generated]), [['train', 3], ['test', 1]]);
  assert.equal(d.train.instances.length, 3);
  const again = await prepareSplits({ root: dataRoot, className: 'table', train: 3, test: 1, workers: 1 });
  assert.deepEqual(again.generated.map((g) => g.generated), [0, 0], 'nothing regenerated; the resolution comes from generator.json');
  await assert.rejects(prepareSplits({ root: dataRoot, className: 'table', train: 3, test: 5, synthetic: false }), /Table\.test: 1 test objects, 5 asked for/);
  // A class folder without generator.json is real data: opened as it is, never generated into.
  mkdirSync(join(tmp, 'real', 'Chair'), { recursive: true });
  await assert.rejects(prepareSplits({ root: join(tmp, 'real'), className: 'chair', train: 1, test: 1 }), /Chair/);
  assert.equal(existsSync(join(tmp, 'real', 'Chair', 'generator.json')), false);

  const warnings: string[] = [];
  const draw = drawFewShot(presetConfig('cpu'), d.train, (m) => warnings.push(m));
  assert.equal(draw.sel.instanceIds.length, 3);
  assert.deepEqual(draw.views, [0, 1, 2]);
  assert.equal(draw.side, 32);
  assert.match(warnings[0], /10 labelled objects asked for, the training split has 3; using 3/);
  assert.deepEqual(draw.warnings, warnings);
});

test('runQuickstart (tiny, tables, from scratch): results.json, config.json, renders, one FINISHED run, no tensors left', async () => {
  const tracker = createMemoryTracker();
  const tensors = tf.memory().numTensors;
  const lines: string[] = [];
  const r = await runQuickstart({
    name: 'q', out: join(tmp, 'runs'), data: dataRoot, preset: 'tiny', className: 'table', seed: 0, fromScratch: false,
    steps: {}, trainInstances: 3, testInstances: 1, resolution: 16, tracker, log: (m) => lines.push(m),
  });
  assert.equal(tf.memory().numTensors, tensors, 'no tensors left behind');
  assert.equal(r.config.data.className, 'Table');
  const saved = JSON.parse(readFileSync(r.resultsPath, 'utf8'));
  assert.equal(saved.schema, 'semantic-srn/eval-results@1');
  assert.equal(saved.dataset.className, 'Table');
  assert.equal(saved.mIOU, r.results.mIOU);
  assert.ok(r.results.mIOU >= 0 && r.results.mIOU <= 1);
  assert.equal(saved.training.pretrainSteps, 4, 'no shipped checkpoint for tables: the tiny schedule ran');
  assert.equal(saved.training.probeSteps, 4);
  assert.equal(saved.counts.images, 251);
  assert.equal(saved.qualityBar.pass, r.qualityBar.pass);
  assert.ok(existsSync(join(r.runDir, 'config.json')));
  assert.ok(r.renders.length >= 2 && r.renders.every((f) => existsSync(f)));
  assert.ok(lines.some((l) => /^pre-training: 4 steps/.test(l)));
  const runs = [...tracker.backend.runs.values()];
  assert.equal(runs.length, 1);
  assert.equal(runs[0].info.status, 'FINISHED');
});

test('planLine says what the run will do before it starts', () => {
  const cpu = presetConfig('cpu');
  const shipped = planLine(cpu, { resumeStep: 3000, shipped: true, testObjects: 10, testViews: 2510 });
  assert.equal(
    shipped,
    'plan (cpu, Chair, 32²): pre-training: the shipped checkpoint (3000 steps, none to run); linear probe 5000 steps on 30 labelled images; ' +
      'a 300-step single-view fit of each of 10 test objects (10 per step); evaluation of 2510 views; time unknown (backend not known)',
  );
  assert.match(planLine(cpu, { resumeStep: 0, shipped: false, testObjects: 10, testViews: 2510 }), /: pre-training 3000 steps;/);
  assert.match(planLine(cpu, { resumeStep: 500, shipped: false, testObjects: 10, testViews: 2510 }), /: pre-training 2500 of 3000 steps left;/);
});

test('shippedLossHistory reads the curve a shipped checkpoint carries, and nothing malformed', () => {
  assert.deepEqual(shippedLossHistory({ pretrainLosses: { steps: [1, 2], values: [9, 8] } }), { steps: [1, 2], values: [9, 8] });
  assert.equal(shippedLossHistory(undefined), undefined);
  assert.equal(shippedLossHistory({ pretrainLosses: { steps: [1, 2], values: [9] } }), undefined);
  assert.equal(shippedLossHistory({ other: 1 }), undefined);
  const shipped = shippedLossHistory(JSON.parse(readFileSync(join(__dirname, '..', '..', 'pretrained', 'cpu-chair-seed0', 'manifest.json'), 'utf8')).extra);
  assert.equal(shipped?.steps.length, 3000, 'the shipped cpu chairs carry their 3,000-step curve');
});

test('a weights-only resume point (pretrained/wip-*) carried into a run folder: the quickstart resumes at its step with fresh moments', async () => {
  const common = { data: dataRoot, preset: 'tiny', className: 'chair', seed: 0, fromScratch: false, trainInstances: 3, testInstances: 1, resolution: 16 } as const;
  // A first sitting stops after 2 of the tiny preset's 4 pre-training steps; its checkpoint is carried weights only.
  const first = await runQuickstart({ ...common, name: 'sitting1', out: join(tmp, 'carry'), steps: { pretrain: 2, probe: 1, fit: 1 }, tracker: createMemoryTracker(), log: () => {} });
  const ck = loadCheckpoint(join(first.runDir, 'checkpoints', 'pretrain'));
  assert.equal(ck.manifest.step, 2);
  const model = restoreModel(ck);
  const wip = join(tmp, 'wip');
  saveCheckpoint(wip, { config: ck.manifest.config, model, stage: 'pretrain', step: 2, dataVersion: ck.manifest.versions!.data, weightsOnly: true });
  model.dispose();
  // The next sitting: the resume point copied into the run's checkpoint folder, the full schedule asked for.
  const runDir = join(tmp, 'carry2', 'sitting2');
  mkdirSync(join(runDir, 'checkpoints'), { recursive: true });
  cpSync(wip, join(runDir, 'checkpoints', 'pretrain'), { recursive: true });
  const lines: string[] = [];
  const r = await runQuickstart({ ...common, name: 'sitting2', out: join(tmp, 'carry2'), steps: { probe: 1, fit: 1 }, tracker: createMemoryTracker(), log: (m) => lines.push(m) });
  const saved = JSON.parse(readFileSync(r.resultsPath, 'utf8'));
  assert.equal(saved.training.pretrainSteps, 4, 'resumed at 2 and ran to the schedule\'s 4');
  assert.ok(lines.some((l) => /resum/.test(l)), lines.join('\n'));
  const done = loadCheckpoint(join(runDir, 'checkpoints', 'pretrain'));
  assert.equal(done.manifest.step, 4);
  assert.equal(done.manifest.weightsOnly ?? false, false, 'the resumed run writes full checkpoints again (moments included)');
  assert.ok(done.arrays.has('latents.m'));
});
