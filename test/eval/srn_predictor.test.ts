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
import { useBackend } from '../helpers/tf';
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

test('quickstart options: defaults, --steps overrides, clear errors', () => {
  const a = parseQuickstartArgs(['--steps', 'pretrain=10,fit=5', '--name', 'x1', '--seed', '3']);
  assert.ok(a !== 'help');
  assert.deepEqual(a.steps, { pretrain: 10, fit: 5 });
  assert.equal(a.preset, 'cpu');
  assert.equal(a.out, 'runs');
  assert.equal(a.data, '.cache/data');
  assert.equal(a.seed, 3);
  assert.equal(parseQuickstartArgs(['--help']), 'help');
  assert.throws(() => parseQuickstartArgs(['--steps', 'warmup=3']), /--steps: expected comma-separated pretrain=N/);
  assert.throws(() => parseQuickstartArgs(['--seed=1.5']), /--seed: expected an integer ≥ 0/);
  assert.throws(() => parseQuickstartArgs(['--name', '../x']), /--name/);
});
