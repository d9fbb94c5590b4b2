import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { rmSync } from 'node:fs';
import { presetConfig } from '../../lib/config/presets';
import { openSplit } from '../../lib/data/split';
import { SrnModel } from '../../lib/srn/model';
import { evaluate } from '../../lib/eval/runner';
import { srnPredictor } from '../../lib/eval/srn_predictor';
import { parseQuickstartArgs } from '../../lib/cli/quickstart_command';
import { maxAbsDiff, useBackend } from '../helpers/tf';
import { makeTestSplit } from './fixture';

const root = makeTestSplit(70, 1);
before(async () => useBackend());
after(() => rmSync(root, { recursive: true, force: true }));

test('SRN predictor: fits from the observed view, renders every view, no tensor leak', async () => {
  const config = presetConfig('tiny', { training: { latentFit: { steps: 2, side: 4 } }, inference: { side: 4 } });
  const model = new SrnModel(config.model, { numInstances: 2, seed: 0, heads: ['linear'] });
  const split = openSplit(root, 'Chair', 'test');
  const fitted: number[][] = [];
  const predictor = srnPredictor(config, model, { onRendered: (r) => fitted.push([r.position, r.views.length, r.code.length]) });
  const before = tf.memory().numTensors;
  const r = await evaluate({ split, side: 4, protocol: 'single', predictor, majorityClass: 2, evalViews: [0, 10, 65] });
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(fitted, [[0, 3, config.model.latentDim]]);
  assert.equal(r.counts.images, 3);
  assert.ok(r.mIOU >= 0 && r.mIOU <= 1);
  assert.ok(Number.isFinite(r.psnr!));
  model.dispose();
});

test('SRN predictor: a fit stopped by its signal (Ctrl-C) fails the evaluation instead of scoring part-fitted codes', async () => {
  const config = presetConfig('tiny', { training: { latentFit: { steps: 5, side: 4 } }, inference: { side: 4 } });
  const model = new SrnModel(config.model, { numInstances: 2, seed: 0, heads: ['linear'] });
  const split = openSplit(root, 'Chair', 'test');
  const ac = new AbortController();
  let steps = 0;
  const rendered: number[] = [];
  const predictor = srnPredictor(config, model, { fit: { signal: ac.signal, onMetrics: () => ++steps === 2 && ac.abort() }, onRendered: (r) => rendered.push(r.position) });
  const before = tf.memory().numTensors;
  await assert.rejects(evaluate({ split, side: 4, protocol: 'single', predictor, majorityClass: 2, evalViews: [0, 65] }), /interrupted while fitting test object 1 of 1: nothing is scored from part-fitted codes/);
  assert.equal(steps, 2, 'the fit stopped at the step the signal came');
  assert.deepEqual(rendered, [], 'nothing rendered from the part-fitted code');
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});

test('SRN predictor: objectsPerStep fits several instances per step, same codes as one by one', async () => {
  const root3 = makeTestSplit(70, 3);
  try {
    const split = openSplit(root3, 'Chair', 'test');
    const run = async (objectsPerStep: number) => {
      const config = presetConfig('tiny', { training: { latentFit: { steps: 3, side: 4, objectsPerStep } }, inference: { side: 4 } });
      const model = new SrnModel(config.model, { numInstances: 2, seed: 0, heads: ['linear'] });
      const codes: Float32Array[] = [];
      let fitSteps = 0;
      const predictor = srnPredictor(config, model, { fit: { onMetrics: () => fitSteps++ }, onRendered: (r) => (codes[r.position] = r.code) });
      const before = tf.memory().numTensors;
      const r = await evaluate({ split, side: 4, protocol: 'single', predictor, majorityClass: 2, evalViews: [0, 65] });
      assert.equal(tf.memory().numTensors, before);
      model.dispose();
      return { codes, fitSteps, mIOU: r.mIOU };
    };
    const solo = await run(1);
    const joint = await run(2);
    assert.equal(solo.fitSteps, 9); // 3 instances × 3 steps
    assert.equal(joint.fitSteps, 6); // instances {0, 1} together, then {2}
    assert.equal(joint.codes.length, 3);
    joint.codes.forEach((c, i) => assert.ok(maxAbsDiff(c, solo.codes[i]) < 1e-5, `instance ${i}: ${maxAbsDiff(c, solo.codes[i])}`));
    assert.ok(Math.abs(joint.mIOU - solo.mIOU) < 1e-6);
  } finally {
    rmSync(root3, { recursive: true, force: true });
  }
});

test('quickstart options: defaults, --steps overrides, clear errors', () => {
  const a = parseQuickstartArgs(['--steps', 'pretrain=10,fit=5', '--name', 'x1', '--seed', '3']);
  assert.ok(a !== 'help');
  assert.deepEqual(a.steps, { pretrain: 10, fit: 5 });
  assert.equal(a.preset, 'cpu');
  assert.equal(a.out, 'runs');
  assert.equal(a.data, undefined, 'the data folder follows the generated size (.cache/data for 64²)');
  assert.equal(a.resolution, undefined, "the preset's data resolution");
  assert.equal(a.seed, 3);
  const t64 = parseQuickstartArgs(['--class', 'TABLE', '--preset', 'cpu64', '--resolution', '96']);
  assert.ok(t64 !== 'help');
  assert.equal(t64.className, 'TABLE');
  assert.equal(t64.preset, 'cpu64');
  assert.equal(t64.resolution, 96);
  assert.equal(parseQuickstartArgs(['--help']), 'help');
  assert.throws(() => parseQuickstartArgs(['--steps', 'warmup=3']), /--steps: expected comma-separated pretrain=N/);
  assert.throws(() => parseQuickstartArgs(['--seed=1.5']), /--seed: expected an integer ≥ 0/);
  assert.throws(() => parseQuickstartArgs(['--name', '../x']), /--name/);
  assert.equal(a.className, undefined, 'no --class: the preset\'s class (chairs)');
  const t = parseQuickstartArgs(['--class', 'table']);
  assert.ok(t !== 'help');
  assert.equal(t.className, 'table');
  assert.throws(() => parseQuickstartArgs(['--class', 'sofa']), /--class: expected chair or table, got 'sofa'/);
});

test('SRN predictor: one progress loop over the split in object-steps, ending at instances × fit steps', async () => {
  const root3 = makeTestSplit(70, 3);
  try {
    const split = openSplit(root3, 'Chair', 'test');
    const config = presetConfig('tiny', { training: { latentFit: { steps: 3, side: 4, objectsPerStep: 2 } }, inference: { side: 4 } });
    const model = new SrnModel(config.model, { numInstances: 2, seed: 0, heads: ['linear'] });
    const seen: { stage: string; step: number; total: number; unit: string; eta: number }[] = [];
    const predictor = srnPredictor(config, model, { progressStage: 'eval single', onProgress: (p) => seen.push({ stage: p.stage, step: p.step, total: p.total, unit: p.unit, eta: p.etaSeconds }) });
    await evaluate({ split, side: 4, protocol: 'single', predictor, majorityClass: 2, evalViews: [0, 65] });
    model.dispose();
    // Group {0, 1}: 3 steps of 2 object-steps; then {2}: 3 steps of 1, after the 6 before it.
    assert.deepEqual(seen.map((s) => s.step), [2, 4, 6, 7, 8, 9]);
    assert.ok(seen.every((s) => s.total === 9 && s.unit === 'object-steps' && s.stage === 'eval single'));
    assert.equal(seen.at(-1)!.eta, 0);
  } finally {
    rmSync(root3, { recursive: true, force: true });
  }
});
