/**
 * A U-Net training saved at every validation, at a stop and at its end: stopped and resumed, it ends as the
 * uninterrupted run (history, validations, best step, weights); a finished one is not trained again; damaged or
 * foreign folders are set aside; non-finite state is never written.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { baselineConfig, type Unet2dTrainConfig } from '../../lib/baselines/config';
import { disposeRecord } from '../../lib/baselines/layers';
import { Unet2d } from '../../lib/baselines/unet2d';
import { memoryImageSet, trainUnet2d, unetArch } from '../../lib/baselines/unet_train';
import { peekNetTrainState, NetTrainCheckpoint } from '../../lib/baselines/net_train_checkpoint';
import { useBackend } from '../helpers/tf';
import { noiseImages } from './noise_images';

before(async () => {
  await useBackend('wasm');
});

const S = 16;
const C = 3;

const images = (n: number, seed: number) => noiseImages(n, seed, 'unet-checkpoint-images', S, C);

const train = memoryImageSet(images(6, 1), S);
const val = memoryImageSet(images(2, 2), S);
const unetCfg = { ...baselineConfig('tiny').unet, dropout: 0.2 };
const trainCfg: Unet2dTrainConfig = { ...baselineConfig('tiny').unet.oracle, steps: 7, batchSize: 2, evalEvery: 2, patience: 10 };
const newNet = () => new Unet2d(unetArch(unetCfg, C), 5);

const weightsOf = (net: Unet2d) => {
  const w = net.params.snapshot();
  const out = Object.fromEntries(Object.entries(w).map(([k, t]) => [k, Array.from(t.dataSync())]));
  disposeRecord(w);
  return out;
};

async function trained(checkpoint?: NetTrainCheckpoint, stopAfterLossOf?: number) {
  const net = newNet();
  const ac = new AbortController();
  const r = await trainUnet2d(net, trainCfg, train, val, C, 9, {
    checkpoint,
    signal: ac.signal,
    onMetrics: (s, rec) => {
      if (stopAfterLossOf !== undefined && 'loss' in rec && s === stopAfterLossOf) ac.abort();
    },
  });
  const out = { result: r, weights: weightsOf(net) };
  net.dispose();
  return out;
}

const fresh = () => join(mkdtempSync(join(tmpdir(), 'unet-ck-')), 'ck');

describe('NetTrainCheckpoint', () => {
  it('a training stopped after its second validation resumes from the step it stopped at and ends as the uninterrupted one', async () => {
    const whole = await trained();
    const dir = fresh();
    const tensors = tf.memory().numTensors;
    const stopped = await trained(new NetTrainCheckpoint(dir, { run: 1 }), 5);
    assert.equal(stopped.result.steps, 5, 'stopped at the step it was told');
    assert.equal(tf.memory().numTensors, tensors, 'no tensors left by the stopped run');
    const peek = peekNetTrainState(join(dir, 'state.json'));
    assert.equal(peek?.step, 5, 'saved at the stop (step 5), after the validations of steps 2 and 4');
    assert.equal(peek?.total, 7);
    assert.equal(peek?.stoppedEarly, false);
    assert.equal(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).validation.length, 2);
    assert.deepEqual(readdirSync(dir).sort(), ['state-2.bin', 'state.json'], 'only the newest state is kept');

    const ck = new NetTrainCheckpoint(dir, { run: 1 });
    assert.equal(ck.setAside, null);
    assert.equal(ck.saved?.step, 5);
    const before = tf.memory().numTensors;
    const resumed = await trained(ck);
    assert.equal(tf.memory().numTensors, before);
    assert.equal(resumed.result.steps, 7);
    assert.deepEqual(resumed.result.history, whole.result.history, 'the loss of every step, the first four read back');
    assert.deepEqual(resumed.result.validation, whole.result.validation);
    assert.equal(resumed.result.bestStep, whole.result.bestStep);
    assert.equal(resumed.result.bestValMIOU, whole.result.bestValMIOU);
    assert.deepEqual(resumed.weights, whole.weights, 'the same weights, bit for bit (data order and dropout derive from the step)');
    assert.ok(resumed.result.seconds >= ck.saved!.seconds, "the time counts the first sitting's");
    ck.remove();
    assert.ok(!existsSync(dir));
  });

  it('an early-stopped training is saved finished: a rerun over it trains nothing and ends the same', async () => {
    const cfg = { ...trainCfg, evalEvery: 1, patience: 1 };
    const dir = fresh();
    const run = async (checkpoint: NetTrainCheckpoint) => {
      const net = newNet();
      let trainedSteps = 0;
      const result = await trainUnet2d(net, cfg, train, val, C, 9, { checkpoint, onMetrics: (_s, rec) => void ('loss' in rec && trainedSteps++) });
      const out = { result, weights: weightsOf(net), trainedSteps };
      net.dispose();
      return out;
    };
    const first = await run(new NetTrainCheckpoint(dir, 'fp'));
    assert.ok(first.result.stoppedEarly && first.result.steps < 7, `this case early-stops (steps ${first.result.steps})`);
    const peek = peekNetTrainState(join(dir, 'state.json'));
    assert.deepEqual([peek?.step, peek?.stoppedEarly], [first.result.steps, true]);
    const ck = new NetTrainCheckpoint(dir, 'fp');
    assert.match(ck.resumeLines('U-Net').join('\n'), new RegExp(`^U-Net: resumed at step ${first.result.steps} of 7, finished \\(early-stopped\\) \\(best val mIOU [\\d.]+% at step ${first.result.bestStep}\\)`));
    const tensors = tf.memory().numTensors;
    const again = await run(ck);
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(again.trainedSteps, 0, 'nothing trained again');
    assert.deepEqual({ ...again.result, seconds: 0 }, { ...first.result, seconds: 0 });
    assert.deepEqual(again.weights, first.weights, 'the best weights, as the first run ended with');
  });

  it('a training whose weights turn non-finite stops at its save with the last good state kept and no tensors left', async () => {
    const dir = fresh();
    const net = newNet();
    const before = tf.memory().numTensors;
    // A learning rate that overflows the weights within a few steps.
    const wild = { ...trainCfg, adam: { ...trainCfg.adam, lr: 1e30 } };
    await assert.rejects(trainUnet2d(net, wild, train, val, C, 9, { checkpoint: new NetTrainCheckpoint(dir, 'fp') }), /is not finite at step \d+; the training state is not written/);
    assert.equal(tf.memory().numTensors, before);
    net.dispose();
  });

  it('refuses a saved training of another length, leaving no tensors', async () => {
    const dir = fresh();
    await trained(new NetTrainCheckpoint(dir, 'fp'), 3);
    const net = newNet();
    const before = tf.memory().numTensors;
    await assert.rejects(trainUnet2d(net, { ...trainCfg, steps: 9 }, train, val, C, 9, { checkpoint: new NetTrainCheckpoint(dir, 'fp') }), /a training of 7 steps is saved there, this one has 9/);
    assert.equal(tf.memory().numTensors, before);
    net.dispose();
  });

  it('keeps best weights apart from the net when the best validation is not the last, and reads them back', () => {
    const dir = fresh();
    const ck = new NetTrainCheckpoint(dir, 'fp');
    const net = { a: tf.tensor([1, 2, 3]), b: tf.tensor([[4]]) };
    const best = { a: tf.tensor([0.5, 0.5, 0.5]), b: tf.tensor([[9]]) };
    const m = new Map<string, tf.Tensor>([['a', tf.tensor([0.1, 0.2, 0.3])]]);
    const v = new Map<string, tf.Tensor>([['a', tf.tensor([0.01, 0.02, 0.03])]]);
    const state = { step: 6, total: 10, history: [3, 2, 1, 1, 1, 1], validation: [[3, 0.5], [6, 0.4]] as [number, number][], best: { miou: 0.5, step: 3 }, sinceBest: 1, seconds: 12.5 };
    ck.save(state, net, { step: 6, m, v }, best);
    const before = tf.memory().numTensors;
    const r = new NetTrainCheckpoint(dir, 'fp').restore()!;
    assert.deepEqual(r.state, state);
    assert.deepEqual(Array.from(r.net.a.dataSync()), [1, 2, 3]);
    assert.deepEqual(Array.from(r.best!.b.dataSync()), [9]);
    assert.equal(r.adam.step, 6);
    assert.deepEqual(Array.from(r.adam.v.a.dataSync()), Array.from(new Float32Array([0.01, 0.02, 0.03])));
    disposeRecord(r.net);
    disposeRecord(r.best!);
    disposeRecord(r.adam.m);
    disposeRecord(r.adam.v);
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([...Object.values(net), ...Object.values(best), ...m.values(), ...v.values()]);
  });

  it('refuses non-finite tensors and keeps the last good state', () => {
    const dir = fresh();
    const ck = new NetTrainCheckpoint(dir, 'fp');
    const state = (step: number) => ({ step, total: 10, history: [], validation: [] as [number, number][], best: null, sinceBest: 0, seconds: 1 });
    const none = new Map<string, tf.Tensor>();
    const good = { w: tf.tensor([1, 2]) };
    ck.save(state(2), good, { step: 2, m: none, v: none }, null);
    const bad = { w: tf.tensor([1, NaN]) };
    assert.throws(() => ck.save(state(4), bad, { step: 4, m: none, v: none }, null), new RegExp(`${dir.replace(/[/\\]/g, '.')}: tensor 'net/w' is not finite at step 4; .*the one of step 2 stays`));
    const again = new NetTrainCheckpoint(dir, 'fp');
    assert.equal(again.saved?.step, 2);
    const r = again.restore()!;
    assert.deepEqual(Array.from(r.net.w.dataSync()), [1, 2]);
    disposeRecord(r.net);
    tf.dispose([good.w, bad.w]);
  });

  it('sets aside a folder of other settings, and a damaged one, and starts afresh', () => {
    const dir = fresh();
    const none = new Map<string, tf.Tensor>();
    const w = { w: tf.tensor([1, 2]) };
    const state = { step: 2, total: 10, history: [], validation: [] as [number, number][], best: null, sinceBest: 0, seconds: 1 };
    new NetTrainCheckpoint(dir, { seed: 1 }).save(state, w, { step: 2, m: none, v: none }, null);
    const other = new NetTrainCheckpoint(dir, { seed: 2 });
    assert.equal(other.saved, null);
    assert.match(other.setAside ?? '', /\/ck\.other-config-/);
    assert.ok(existsSync(join(other.setAside!, 'state.json')), 'set aside, not deleted');

    new NetTrainCheckpoint(dir, { seed: 1 }).save(state, w, { step: 2, m: none, v: none }, null);
    const doc = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    const bin = join(dir, doc.file);
    const bytes = readFileSync(bin);
    bytes[0] ^= 0xff;
    writeFileSync(bin, bytes);
    const damaged = new NetTrainCheckpoint(dir, { seed: 1 });
    assert.equal(damaged.saved, null);
    assert.match(damaged.setAside ?? '', /\/ck\.unreadable-/);
    tf.dispose(w.w);
  });
});
