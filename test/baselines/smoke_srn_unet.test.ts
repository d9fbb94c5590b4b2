/** 2-step smoke run of SRN+U-Net (both meanings) with the `tiny` preset through runBaseline. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { BASELINE_KINDS, runBaseline } from '../../lib/baselines/run';
import { baselineConfig } from '../../lib/baselines/config';
import { createMemoryTracker } from '../../lib/tracking/create_tracker';
import { useBackend } from '../helpers/tf';
import { tinyChairs, twoStepOverrides } from './smoke_fixture';

let root = '';
before(async () => {
  await useBackend('wasm');
  root = await tinyChairs();
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('baselines, tiny preset (2 steps each)', () => {
  for (const kind of BASELINE_KINDS.filter((k) => k === 'srn-unet')) {
    it(`${kind}: trains, evaluates through the shared runner, writes results.json, logs a tracker run, leaks no tensors`, async () => {
      const tracker = createMemoryTracker();
      const tensors = tf.memory().numTensors;
      const s = await runBaseline({
        kind, preset: 'tiny', data: root, out: join(root, 'runs'), name: kind, seed: 1, quiet: true, tracker,
        overrides: twoStepOverrides(baselineConfig('tiny').unet.numDown),
      });
      assert.equal(tf.memory().numTensors, tensors, 'no tensors left behind');
      const paths = Object.values(s.results);
      assert.equal(paths.length, (kind as string) === 'srn-unet' ? 3 : 1);
      for (const p of paths) {
        assert.ok(existsSync(p));
        const r = JSON.parse(readFileSync(p, 'utf8'));
        assert.equal(r.schema, 'semantic-srn/eval-results@1');
        assert.ok(r.mIOU >= 0 && r.mIOU <= 1 && r.shapeMIOU >= 0 && r.shapeMIOU <= 1);
        assert.equal(r.counts.images, 2 * 70);
        assert.ok(r.trivial.allBackground.mIOU > 0);
        assert.ok(r.training, 'training record');
      }
      const runs = [...tracker.backend.runs.values()];
      assert.equal(runs.length, 1);
      assert.equal(runs[0].info.status, 'FINISHED');
    });
  }
});
