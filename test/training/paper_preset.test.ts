// The paper preset at its real widths (51.5M-parameter hypernetwork) for a few steps at a tiny image, on wasm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../helpers/tf';
import { presetConfig } from '../../lib/config';
import { SrnModel } from '../../lib/srn';
import { pretrain, trainSemantic, memorySource } from '../../lib/training';
import { sphereViews } from './fixtures';

test('paper and paper-released presets: real widths train (pretrain 2 steps at 8², semantic 1 step at 16², batch 1)', async () => {
  await useBackend('wasm');
  const cfg = presetConfig('paper', {
    training: {
      pretrain: { schedule: [{ side: 8, batchSize: 1, steps: 2 }] },
      semantic: { schedule: [{ side: 16, batchSize: 1, steps: 1 }] },
    },
  });
  assert.equal(presetConfig('paper-released').model.phiWidth, cfg.model.phiWidth);
  const m = new SrnModel(cfg.model, { numInstances: 1 });
  assert.equal(m.parameterCounts().hypernet, 51_519_232);
  const n0 = tf.memory().numTensors;
  const r = await pretrain(cfg, m, memorySource(sphereViews(8, 2)), { onProgress: false });
  assert.equal(r.history.length, 2);
  assert.ok(r.history.every((h) => Number.isFinite(h.loss)));
  r.adam?.dispose();
  assert.equal(tf.memory().numTensors, n0, 'no tensors left after the stage');
  const s = await trainSemantic(cfg, m, memorySource(sphereViews(16, 1)), { onProgress: false });
  assert.equal(s.history.length, 1);
  assert.ok(Number.isFinite(s.history[0].ce!));
  s.adam?.dispose();
  m.dispose();
});
