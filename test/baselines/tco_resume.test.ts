/**
 * TCO's pre-training saved as it goes: stopped part-way it resumes from its last save and ends as the uninterrupted
 * run; through runBaseline, a run stopped in its probe keeps the whole pre-training and the rerun only probes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { baselineConfig } from '../../lib/baselines/config';
import { disposeRecord } from '../../lib/baselines/layers';
import { NetTrainCheckpoint } from '../../lib/baselines/net_train_checkpoint';
import { runBaseline } from '../../lib/baselines/run';
import { TcoNet } from '../../lib/baselines/tco';
import { pretrainTco, tcoArch } from '../../lib/baselines/tco_train';
import { createMemoryTracker } from '../../lib/tracking/create_tracker';
import { hookedTracker } from '../helpers/hooked_tracker';
import { twoStepOverrides, useTinyChairs } from './smoke_fixture';

const data = useTinyChairs();

function overrides(steps: number) {
  const o = twoStepOverrides(baselineConfig('tiny').unet.numDown);
  return { ...o, tco: { ...o.tco, pretrain: { ...o.tco.pretrain, steps, logEvery: 1 } } };
}

test("pretrainTco stopped after its second save resumes from the step it stopped at and ends as the uninterrupted training", async () => {
  const cfg = { ...baselineConfig('tiny', overrides(7)).tco };
  const train = data.splits().train;
  const pretrain = async (ck?: NetTrainCheckpoint, stopAt?: number) => {
    const net = new TcoNet(tcoArch(cfg), 3);
    const ac = new AbortController();
    const r = await pretrainTco(cfg, net, train, 3, { checkpoint: ck, saveEvery: 2, signal: ac.signal, onMetrics: (s) => s === stopAt && ac.abort() });
    const w = net.params.snapshot();
    const weights = Object.fromEntries(Object.entries(w).map(([k, t]) => [k, Array.from(t.dataSync())]));
    disposeRecord(w);
    net.dispose();
    return { r, weights };
  };
  const whole = await pretrain();
  const dir = join(mkdtempSync(join(tmpdir(), 'tco-ck-')), 'tco-train', 'pretrain');
  const tensors = tf.memory().numTensors;
  const stopped = await pretrain(new NetTrainCheckpoint(dir, 'fp'), 5);
  assert.equal(stopped.r.aborted, true);
  assert.equal(tf.memory().numTensors, tensors);
  const ck = new NetTrainCheckpoint(dir, 'fp');
  assert.equal(ck.saved?.step, 5, 'saved at the stop (step 5), after the save of step 4');
  const resumed = await pretrain(ck);
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(resumed.r.steps, 7);
  assert.equal(resumed.r.aborted, false);
  assert.deepEqual(resumed.r.history, whole.r.history);
  assert.deepEqual(resumed.weights, whole.weights, 'bit for bit: the batches derive from the seed and the step');
  assert.equal(new NetTrainCheckpoint(dir, 'fp').saved?.step, 7, 'the last step is saved too');
});

test('TCO+linear through runBaseline: stopped in its probe, the rerun reuses the whole saved pre-training and scores as if never stopped', async () => {
  const run = (out: string, tracker = createMemoryTracker(), signal?: AbortSignal) =>
    runBaseline({ kind: 'tco', preset: 'tiny', data: data.root, out, name: 'tco', seed: 1, quiet: true, tracker, overrides: overrides(4), signal });
  const tensors = tf.memory().numTensors;
  const whole = await run(join(data.root, 'whole'));
  const wholeResults = JSON.parse(readFileSync(whole.results['tco+linear'], 'utf8'));

  const out = join(data.root, 'stopped');
  const ac = new AbortController();
  // At the last pre-training step: the loop ends whole, the probe sees the stop at its first step.
  const tracker = hookedTracker((rec, step) => 'tco_pretrain/loss' in rec && step === 4 && ac.abort());
  await assert.rejects(run(out, tracker, ac.signal), /interrupted while fitting the TCO probe \(the pre-training is saved: a rerun fits the probe again/);
  assert.equal(tf.memory().numTensors, tensors, 'no tensors left by the stopped run');
  assert.equal(JSON.parse(readFileSync(join(out, 'tco', 'tco-train', 'pretrain', 'state.json'), 'utf8')).step, 4);

  const resumed = await run(out);
  assert.equal(tf.memory().numTensors, tensors);
  assert.ok(!existsSync(join(out, 'tco', 'tco-train')), 'the saved training goes once the results are written');
  const r = JSON.parse(readFileSync(resumed.results['tco+linear'], 'utf8'));
  assert.equal(r.training.pretrainSteps, 4);
  assert.deepEqual(r.training.pretrainLoss, wholeResults.training.pretrainLoss, 'the losses of the first sitting, read back');
  assert.equal(r.mIOU, wholeResults.mIOU);
  assert.equal(r.shapeMIOU, wholeResults.shapeMIOU);
});
