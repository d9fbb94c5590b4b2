/** The known-code predictor renders each object from its own training code; bench/part_ceiling's pure parts. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { presetConfig } from '../../lib/config/presets';
import { openSplit } from '../../lib/data/split';
import { loadView } from '../../lib/data/view_loader';
import { SrnModel } from '../../lib/srn/model';
import { renderViews } from '../../lib/srn/render';
import { evaluate } from '../../lib/eval/runner';
import { KNOWN_CODE_PROTOCOL, knownCodePredictor } from '../../lib/eval/known_code_predictor';
import { everyNth, locateRun } from '../../bench/part_ceiling';
import { useBackend } from '../helpers/tf';
import { makeTestSplit } from './fixture';

const root = makeTestSplit(6, 2);
before(async () => useBackend());
after(() => rmSync(root, { recursive: true, force: true }));

test('known code: each object rendered from its own row of the code table, every requested view, no leak', async () => {
  const config = presetConfig('tiny', { inference: { side: 4 } });
  const model = new SrnModel(config.model, { numInstances: 2, seed: 0, heads: ['linear'] });
  const split = openSplit(root, 'Chair', 'test');
  const tensors = tf.memory().numTensors;
  const r = await evaluate({ split, side: 4, protocol: KNOWN_CODE_PROTOCOL, predictor: knownCodePredictor(config, model), evalViews: [0, 3, 5] });
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(r.counts.images, 6);
  assert.equal(r.protocol.name, 'known-code');
  // Object 1's labels are those rendered from code row 1 (not row 0): the same call made by hand.
  const inst = split.instances[1];
  const view = loadView(split, 1, 0, 4);
  const p = await knownCodePredictor(config, model)(inst, [0], {
    split, position: 1, protocol: KNOWN_CODE_PROTOCOL, observedViews: [], side: 4, loadView: () => view, following: () => [],
  });
  const byHand = renderViews(model, model.latents.row(1), [view.pose], view.intrinsics, { side: 4, chunkRays: config.inference.chunkRays, head: 'linear' });
  const other = renderViews(model, model.latents.row(0), [view.pose], view.intrinsics, { side: 4, chunkRays: config.inference.chunkRays, head: 'linear' });
  assert.deepEqual(p.labels[0], byHand[0].labels);
  assert.deepEqual(p.rgba![0], byHand[0].rgba);
  assert.notDeepEqual(p.rgba![0], other[0].rgba, 'code rows 0 and 1 render differently');
  model.dispose();
});

test('known code: an object without a training code is an error naming it', async () => {
  const config = presetConfig('tiny', { inference: { side: 4 } });
  const model = new SrnModel(config.model, { numInstances: 1, seed: 0, heads: ['linear'] });
  const split = openSplit(root, 'Chair', 'test');
  await assert.rejects(
    evaluate({ split, side: 4, protocol: KNOWN_CODE_PROTOCOL, predictor: knownCodePredictor(config, model), evalViews: [0] }),
    /training index 1 has no code \(the model has 1\)/,
  );
  model.dispose();
});

test('part_ceiling: every n-th view without the labelled ones; a run folder or a probe checkpoint', () => {
  assert.deepEqual(everyNth(50, 5, [0, 1, 2]), [5, 10, 15, 20, 25, 30, 35, 40, 45]);
  assert.deepEqual(everyNth(7, 1), [0, 1, 2, 3, 4, 5, 6]);
  assert.throws(() => everyNth(10, 0), /--every: expected a positive integer, got 0/);
  const run = mkdtempSync(join(tmpdir(), 'ceiling-run-'));
  try {
    assert.throws(() => locateRun(run), /neither a checkpoint folder nor a run folder/);
    mkdirSync(join(run, 'checkpoints', 'probe'), { recursive: true });
    writeFileSync(join(run, 'checkpoints', 'probe', 'manifest.json'), '{}');
    assert.deepEqual(locateRun(run), { checkpoint: join(run, 'checkpoints', 'probe'), results: undefined });
    writeFileSync(join(run, 'results.json'), '{}');
    assert.deepEqual(locateRun(join(run, 'checkpoints', 'probe')), { checkpoint: join(run, 'checkpoints', 'probe'), results: join(run, 'results.json') });
  } finally {
    rmSync(run, { recursive: true, force: true });
  }
});
