/**
 * Table 1's oracle U-Net through runBaseline: stopped part-way (in its third step), the rerun goes on from the saved
 * training and ends with the uninterrupted run's validations and scores; the saved training goes with the results.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { baselineConfig } from '../../lib/baselines/config';
import { runBaseline } from '../../lib/baselines/run';
import { createMemoryTracker } from '../../lib/tracking/create_tracker';
import { hookedTracker } from '../helpers/hooked_tracker';
import { twoStepOverrides, useTinyChairs } from './smoke_fixture';

const data = useTinyChairs();

function overrides() {
  const o = twoStepOverrides(baselineConfig('tiny').unet.numDown);
  return { ...o, unet: { ...o.unet, oracle: { steps: 5, batchSize: 2, evalEvery: 1, patience: 10 } } };
}

test('an oracle U-Net stopped part-way resumes from its last validation, as if never stopped', async () => {
  const run = (out: string, tracker = createMemoryTracker(), signal?: AbortSignal, quiet = true) =>
    runBaseline({ kind: 'unet-oracle', preset: 'tiny', data: data.root, out, name: 'oracle', seed: 1, quiet, tracker, overrides: overrides(), signal });
  const tensors = tf.memory().numTensors;
  const whole = await run(join(data.root, 'whole'));
  const wholeResults = JSON.parse(readFileSync(whole.results['unet-oracle'], 'utf8'));

  const out = join(data.root, 'stopped');
  const ac = new AbortController();
  // A hook into the training loop: the tracker's metric records; stop once the loss of step 3 is logged.
  const tracker = hookedTracker((rec, step) => 'unet/loss' in rec && step === 3 && ac.abort());
  await assert.rejects(run(out, tracker, ac.signal), /interrupted while training the oracle U-Net \(saved at step 3: a rerun goes on from there\)/);
  assert.equal(tf.memory().numTensors, tensors, 'no tensors left by the stopped run');
  const stateFile = join(out, 'oracle', 'unet-train', 'oracle', 'state.json');
  assert.equal(JSON.parse(readFileSync(stateFile, 'utf8')).step, 3, "the validation of the step it stopped in is saved");

  const logs: string[] = [];
  const error = console.error;
  console.error = (m: string) => logs.push(m);
  let resumed;
  try {
    resumed = await run(out, createMemoryTracker(), undefined, false);
  } finally {
    console.error = error;
  }
  assert.equal(tf.memory().numTensors, tensors);
  assert.ok(logs.some((l) => /oracle U-Net: resumed at step 3 of 5 \(best val mIOU [\d.]+% at step \d\)/.test(l)), logs.join('\n'));
  assert.ok(!existsSync(join(out, 'oracle', 'unet-train')), 'the saved training goes once the results are written');
  const r = JSON.parse(readFileSync(resumed.results['unet-oracle'], 'utf8'));
  assert.deepEqual(r.training.validation, wholeResults.training.validation);
  assert.equal(r.training.bestStep, wholeResults.training.bestStep);
  assert.equal(r.training.lossLast20, wholeResults.training.lossLast20);
  assert.equal(r.mIOU, wholeResults.mIOU);
  assert.equal(r.shapeMIOU, wholeResults.shapeMIOU);
});
