// Resuming pre-training from a checkpoint (format 2, and the same file rewritten as format 1) continues with
// the very numbers of an uninterrupted run: each resumed step's losses, then the weights, codes and both
// optimisers' state, which live with the trainer and travel through the checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../helpers/tf';
import { presetConfig } from '../../lib/config';
import { SrnModel } from '../../lib/srn';
import { loadCheckpoint, memorySource, pretrain, restoreModel, type StepRecord } from '../../lib/training';
import { sphereViews } from './fixtures';

const quiet = { onProgress: false as const };
const values = (h: StepRecord[]) => h.map(({ seconds: _s, ...rest }) => rest);

test('pre-training resumed from a checkpoint (format 2 and 1) repeats the uninterrupted run step for step', async (t) => {
  await useBackend('cpu');
  const root = mkdtempSync(join(tmpdir(), 'srn-resume-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const cfg = presetConfig('tiny', { training: { pretrain: { schedule: [{ side: 8, batchSize: 2, steps: 4 }] } } });
  const views = [...sphereViews(8, 3, 0), ...sphereViews(8, 3, 1, 0.3)];
  const tensors = tf.memory().numTensors;

  const a = new SrnModel(cfg.model, { numInstances: 2 });
  const ra = await pretrain(cfg, a, memorySource(views), quiet);
  const b = new SrnModel(cfg.model, { numInstances: 2 });
  const dir = join(root, 'ck');
  const rb = await pretrain(cfg, b, memorySource(views), { ...quiet, maxSteps: 2, checkpoint: { dir } });
  rb.adam?.dispose();
  b.dispose();
  const saved = loadCheckpoint(dir).manifest;
  assert.equal(saved.latentStep, 2, 'the SparseAdam step is in the checkpoint');
  assert.equal(saved.adamStep, 2);
  const wa = a.namedWeights();

  for (const format of [2, 1]) {
    if (format === 1) {
      const mpath = join(dir, 'manifest.json');
      const m = JSON.parse(readFileSync(mpath, 'utf8'));
      writeFileSync(mpath, JSON.stringify({ ...m, format: 'semantic-srn-checkpoint/1', tensors: m.tensors.map(({ dtype: _d, sha256: _s, ...e }: Record<string, unknown>) => e) }));
    }
    const c = restoreModel(dir);
    const rc = await pretrain(cfg, c, memorySource(views), { ...quiet, resumeFrom: loadCheckpoint(dir) });
    assert.equal(rc.step, 4);
    assert.deepEqual(values(rc.history), values(ra.history.slice(2)), `format ${format}: steps 3 and 4`);
    const wc = c.namedWeights();
    for (const k of Object.keys(wa)) assert.deepEqual(wc[k].dataSync(), wa[k].dataSync(), `format ${format}: ${k}`);
    assert.deepEqual([rc.latentAdam.m, rc.latentAdam.v, rc.latentAdam.step], [ra.latentAdam.m, ra.latentAdam.v, ra.latentAdam.step]);
    assert.equal(rc.adam?.step, ra.adam?.step);
    for (const [k, mo] of ra.adam!.m) assert.deepEqual(rc.adam!.m.get(k)!.dataSync(), mo.dataSync(), `format ${format}: adam.m.${k}`);
    tf.dispose(Object.values(wc));
    rc.adam?.dispose();
    c.dispose();
  }
  tf.dispose(Object.values(wa));
  ra.adam?.dispose();
  a.dispose();
  assert.equal(tf.memory().numTensors, tensors, 'no tensors left');
});
