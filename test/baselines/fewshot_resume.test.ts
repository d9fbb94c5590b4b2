/**
 * Table 1's 30-shot U-Net through runBaseline: stopped in its second dropout candidate, the rerun takes the first
 * from the grid journal, goes on with the second from its saved training, and ends with the same choice and scores as
 * an uninterrupted run.
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
  return { ...o, unet: { ...o.unet, fewShot: { ...o.unet.fewShot, steps: 3, dropoutGrid: [0, 0.5] } } };
}

test('a 30-shot U-Net stopped in its second dropout candidate resumes from the grid journal, as if never stopped', async () => {
  const run = (out: string, tracker = createMemoryTracker(), signal?: AbortSignal) =>
    runBaseline({ kind: 'unet-fewshot', preset: 'tiny', data: data.root, out, name: 'fewshot', seed: 1, quiet: true, tracker, overrides: overrides(), signal });
  const tensors = tf.memory().numTensors;
  const whole = await run(join(data.root, 'whole'));
  const wholeResults = JSON.parse(readFileSync(whole.results['unet-30shot'], 'utf8'));

  const out = join(data.root, 'stopped');
  const ac = new AbortController();
  const tracker = hookedTracker((rec) => Object.keys(rec).some((k) => k.includes('p0.5')) && ac.abort());
  await assert.rejects(run(out, tracker, ac.signal), /interrupted while training the 30-shot U-Net \(finished dropout candidates are journalled/);
  assert.equal(tf.memory().numTensors, tensors, 'no tensors left by the stopped run');
  const gridFile = join(out, 'fewshot', 'unet-grid', 'fewshot', 'grid.json');
  const grid = JSON.parse(readFileSync(gridFile, 'utf8'));
  assert.deepEqual(grid.candidates.map((c: { dropout: number }) => c.dropout), [0], 'the finished candidate only');
  assert.equal(grid.best.dropout, 0);
  const inProgress = JSON.parse(readFileSync(join(out, 'fewshot', 'unet-grid', 'fewshot', 'unet-train', 'p0.5', 'state.json'), 'utf8'));
  assert.equal(inProgress.step, 1, "the second candidate's training, saved at its first validation");

  const resumed = await run(out);
  assert.equal(tf.memory().numTensors, tensors);
  assert.ok(!existsSync(join(out, 'fewshot', 'unet-grid', 'fewshot')), 'the journal goes once the results are written');
  const r = JSON.parse(readFileSync(resumed.results['unet-30shot'], 'utf8'));
  assert.equal(r.training.chosenDropout, wholeResults.training.chosenDropout);
  assert.deepEqual(r.training.grid.map((g: { dropout: number; bestValMIOU: number; steps: number }) => [g.dropout, g.bestValMIOU, g.steps]), wholeResults.training.grid.map((g: { dropout: number; bestValMIOU: number; steps: number }) => [g.dropout, g.bestValMIOU, g.steps]));
  assert.equal(r.training.grid[0].seconds, grid.candidates[0].result.seconds, "the first candidate's time is the stopped run's");
  assert.ok(r.training.grid[1].seconds >= inProgress.seconds, "the second candidate's time counts its first sitting");
  assert.ok(r.timings.trainSeconds >= grid.candidates[0].result.seconds + inProgress.seconds, 'the training time counts both sittings');
  assert.equal(r.mIOU, wholeResults.mIOU);
  assert.equal(r.shapeMIOU, wholeResults.shapeMIOU);
});
