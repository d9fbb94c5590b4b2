/** 2-step smoke runs of SRN+U-Net (both meanings: srn-unet, srn-render-unet) with the `tiny` preset through runBaseline. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { baselineConfig } from '../../lib/baselines/config';
import { BASELINE_KINDS } from '../../lib/baselines/finished_baseline';
import { runBaseline } from '../../lib/baselines/run';
import { NullTracker } from '../../lib/tracking/create_tracker';
import { ensureSyntheticDataset } from '../../lib/data/synthetic/generate';
import { findCheckpoint } from '../../lib/training/checkpoint';
import { tinyBaselineSmoke, twoStepOverrides, useTinyChairs } from './smoke_fixture';

const data = useTinyChairs();

describe('baselines, tiny preset (2 steps each)', () => {
  for (const kind of BASELINE_KINDS.filter((k) => k === 'srn-unet' || k === 'srn-render-unet')) {
    it(`${kind}: trains, evaluates through the shared runner, writes results.json, logs a tracker run, leaks no tensors`, () =>
      tinyBaselineSmoke(kind, data.root));
  }

  it('srn-unet: replicate seeds share one cached semantic SRN (the semantic seed), each fits with its own seed', async () => {
    const stages = join(data.root, 'stages');
    const run = (seed: number) =>
      runBaseline({
        kind: 'srn-unet', preset: 'tiny', data: data.root, out: join(data.root, 'runs-reuse'), name: `srn-unet-s${seed}`, seed, quiet: true,
        tracker: new NullTracker(), overrides: twoStepOverrides(baselineConfig('tiny').unet.numDown), stageRunsDir: stages, semanticSeed: 7,
      });
    const tensors = tf.memory().numTensors;
    const first = await run(1);
    const second = await run(2);
    assert.equal(tf.memory().numTensors, tensors, 'no tensors left behind');
    const cached = readdirSync(join(stages, 'semantic'));
    assert.equal(cached.length, 1, cached.join(', '));
    assert.match(cached[0], /^tiny-chair-s7-[0-9a-f]{12}$/);
    assert.ok(existsSync(join(stages, 'semantic', cached[0], 'checkpoint')));
    const training = (s: typeof first) => JSON.parse(readFileSync(s.results['srn+unet'], 'utf8')).training;
    assert.equal(training(first).semanticReused, false);
    assert.equal(training(second).semanticReused, true);
    assert.equal(training(second).semanticCheckpoint, training(first).semanticCheckpoint);
    assert.equal(training(second).semanticSeed, 7);
    assert.equal(training(second).semanticSteps, training(first).semanticSteps);
    assert.equal(JSON.parse(readFileSync(second.results['srn+unet'], 'utf8')).table1.seed, 2);
  });

  it("srn-unet on tables: the semantic SRN's checkpoint records the class it trained on, not its preset's (Chair)", async () => {
    await ensureSyntheticDataset({ root: data.root, className: 'table', splits: { train: 3, test: 2 }, views: { train: 4, test: 70 }, resolution: 16, workers: 1 });
    const stages = join(data.root, 'stages-table');
    const two = twoStepOverrides(baselineConfig('tiny').unet.numDown);
    await runBaseline({
      kind: 'srn-unet', preset: 'tiny', data: data.root, out: join(data.root, 'runs-table'), name: 'srn-unet-table', seed: 0, quiet: true,
      tracker: new NullTracker(), overrides: { ...two, data: { ...two.data, className: 'Table' } }, stageRunsDir: stages,
    });
    const [key] = readdirSync(join(stages, 'semantic'));
    assert.match(key, /^tiny-table-s0-/);
    assert.equal(findCheckpoint(join(stages, 'semantic', key, 'checkpoint'))!.manifest.config.data.className, 'Table');
  });

  it('srn-unet: Ctrl-C during the multi-view fits keeps the journals; the rerun takes the single-view pass from them and removes them at the end', async () => {
    const out = join(data.root, 'runs-resume');
    const dir = join(out, 'srn-unet-resume');
    const run = (signal?: AbortSignal) =>
      runBaseline({
        kind: 'srn-unet', preset: 'tiny', data: data.root, out, name: 'srn-unet-resume', seed: 0, quiet: true, tracker: new NullTracker(),
        overrides: twoStepOverrides(baselineConfig('tiny').unet.numDown), stageRunsDir: join(data.root, 'stages-resume'), ...(signal ? { signal } : {}),
      });
    const ac = new AbortController();
    // The fits yield to the event loop every step: the stop comes during the multi-view pass.
    const watch = setInterval(() => existsSync(join(dir, 'results-single.json')) && ac.abort(), 5);
    try {
      await assert.rejects(run(ac.signal), /interrupted while fitting test object 1 of 2/);
    } finally {
      clearInterval(watch);
    }
    const single = JSON.parse(readFileSync(join(dir, 'results-single.json'), 'utf8'));
    assert.ok(existsSync(join(dir, 'results-single.partial.json')), 'the single-view journal stays until the kind has finished');
    assert.ok(!existsSync(join(dir, 'results-multi.json')));
    const tensors = tf.memory().numTensors;
    const again = await run();
    assert.equal(tf.memory().numTensors, tensors);
    const single2 = JSON.parse(readFileSync(again.results['srn+unet'], 'utf8'));
    assert.equal(single2.timings.resumedInstances, 2, 'both objects from the journal: nothing fitted again');
    assert.deepEqual([single2.mIOU, single2.shapeMIOU, single2.perClassIoU, single2.psnr], [single.mIOU, single.shapeMIOU, single.perClassIoU, single.psnr]);
    assert.equal(JSON.parse(readFileSync(again.results['srn+unet (multi)'], 'utf8')).timings.resumedInstances, 0);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.partial.')), [], 'no journal left');
  });

  it('srn-render-unet: Ctrl-C during the test fits keeps the fitted codes and scored objects; the rerun scores the same from them without rendering the training images again', async () => {
    const stageRunsDir = join(data.root, 'stages-render-resume');
    const run = (out: string, signal?: AbortSignal) =>
      runBaseline({
        kind: 'srn-render-unet', preset: 'tiny', data: data.root, out, name: 'render', seed: 0, quiet: true, tracker: new NullTracker(),
        overrides: twoStepOverrides(baselineConfig('tiny').unet.numDown), stageRunsDir, ...(signal ? { signal } : {}),
      });
    const whole = JSON.parse(readFileSync((await run(join(data.root, 'runs-render-whole'))).results['srn-render+unet2d'], 'utf8'));
    const dir = join(data.root, 'runs-render-resume', 'render');
    const ac = new AbortController();
    // Objects are fitted one at a time (tiny): the stop comes in the second object's fit.
    const watch = setInterval(() => existsSync(join(dir, 'results-rendered-unet.partial.json')) && ac.abort(), 5);
    try {
      await assert.rejects(run(join(data.root, 'runs-render-resume'), ac.signal), /interrupted while fitting test object 2 of 2/);
    } finally {
      clearInterval(watch);
    }
    assert.ok(existsSync(join(dir, 'results-rendered-unet.codes.partial.json')), 'the fitted code is journalled');
    const tensors = tf.memory().numTensors;
    const again = JSON.parse(readFileSync((await run(join(data.root, 'runs-render-resume'))).results['srn-render+unet2d'], 'utf8'));
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(again.timings.resumedInstances, 1, 'the first object from the journal');
    assert.equal(typeof whole.timings.renderTrainSeconds, 'number');
    assert.equal(again.timings.renderTrainSeconds, undefined, 'its finished U-Net training renders no training image again');
    assert.equal(again.training.rgbUnet.images, whole.training.rgbUnet.images);
    assert.deepEqual([again.mIOU, again.shapeMIOU, again.perClassIoU, again.psnr], [whole.mIOU, whole.shapeMIOU, whole.perClassIoU, whole.psnr]);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.partial.')), [], 'no journal left');
  });

  it('srn-unet: an aborted signal (the CLI\'s Ctrl-C) reaches the semantic SRN, which stops and says where it resumes', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(
      runBaseline({
        kind: 'srn-unet', preset: 'tiny', data: data.root, out: join(data.root, 'runs-abort'), name: 'srn-unet-abort', seed: 0, quiet: true,
        tracker: new NullTracker(), overrides: twoStepOverrides(baselineConfig('tiny').unet.numDown), stageRunsDir: join(data.root, 'stages-abort'), signal: ac.signal,
      }),
      /semantic SRN training aborted at step \d+ \(its checkpoint in .*stages-abort.* resumes it\)/,
    );
  });
});
