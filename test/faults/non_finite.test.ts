// A NaN at step k: the stage stops with the step and the loss term named, the last good checkpoint stays
// byte-identical, nothing non-finite is ever written; the opt-in skip mode drops only the bad step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../helpers/tf';
import { SrnModel } from '../../lib/srn';
import { NonFiniteError, findCheckpoint, fitLatentCodes, pretrain, saveCheckpoint, MAX_SKIPPED_IN_A_ROW } from '../../lib/training';
import { createMemoryTracker } from '../../lib/tracking/create_tracker';
import { nanAtStep, quiet, tinyConfig, tinyViews } from './fixtures';

test('NaN at step 5: the stage stops naming step and term, the step-4 checkpoint is untouched, the run ends FAILED', async (t) => {
  await useBackend('cpu');
  const root = mkdtempSync(join(tmpdir(), 'srn-nan-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'ck');
  const cfg = tinyConfig(8);
  const model = new SrnModel(cfg.model, { numInstances: 2 });
  const tracker = createMemoryTracker();
  const n0 = tf.memory().numTensors;
  await assert.rejects(
    tracker.withRun({ name: 'nan' }, (run) =>
      pretrain(cfg, model, nanAtStep(5), { ...quiet, checkpoint: { dir, every: 2 }, onMetrics: (s, r) => run.logMetrics({ loss: r.loss }, s) })),
    (e: unknown) => {
      assert.ok(e instanceof NonFiniteError);
      assert.equal(e.step, 5);
      assert.equal(e.stage, 'pretrain');
      assert.match(e.message, /^pretrain: loss term 'img' is NaN at step 5; the stage stopped; .*ck keeps the last good checkpoint \(step 4\)$/);
      return true;
    },
  );
  assert.equal(tf.memory().numTensors, n0, 'the stopped stage leaks no tensors');
  const [run] = tracker.backend.runs.values();
  assert.equal(run.info.status, 'FAILED');
  const ck = findCheckpoint(dir)!;
  assert.equal(ck.manifest.step, 4);
  assert.deepEqual(readdirSync(root), ['ck']);
  const good = readFileSync(join(dir, 'weights.bin'));

  // Finding 1: resuming the good checkpoint with data that goes NaN must not overwrite it.
  const again = new SrnModel(cfg.model, { numInstances: 2 });
  await assert.rejects(pretrain(cfg, again, nanAtStep(6), { ...quiet, checkpoint: { dir, every: 2 }, resumeFrom: dir }), /loss term 'img' is NaN at step 6/);
  assert.deepEqual(readFileSync(join(dir, 'weights.bin')), good, 'the good checkpoint is byte-identical');
  assert.deepEqual(readdirSync(root), ['ck'], 'and no .old was deleted or left');

  // The writer itself refuses non-finite parameters (whatever calls it), naming the tensor.
  const name = again.params.list()[0].name;
  const v = again.params.get(name)!.variable;
  v.assign(tf.fill(v.shape, NaN));
  assert.throws(() => saveCheckpoint(dir, { config: cfg, model: again, stage: 'pretrain', step: 9 }), new RegExp(`pretrain: tensor '${name.replace(/\./g, '\\.')}' is NaN at step 9; checkpoint not written`));
  assert.deepEqual(readFileSync(join(dir, 'weights.bin')), good);
  model.dispose();
  again.dispose();
});

test("nonFinite: 'skip' drops the NaN step's update and finishes; parameters stay finite", async () => {
  await useBackend('cpu');
  const cfg = tinyConfig(5);
  const model = new SrnModel(cfg.model, { numInstances: 2 });
  const r = await pretrain(cfg, model, nanAtStep(3), { ...quiet, nonFinite: 'skip' });
  r.adam?.dispose();
  assert.equal(r.step, 5);
  assert.deepEqual(r.history.map((h) => h.skipped === true), [false, false, true, false, false]);
  for (const p of model.params.list()) assert.ok(p.variable.dataSync().every(Number.isFinite), `${p.name} finite`);
  assert.ok(model.latents.values.every(Number.isFinite));
  // A source that stays NaN: the stage gives up after MAX_SKIPPED_IN_A_ROW skips instead of spinning.
  const always = { numInstances: 2, batch: (s: number, b: number, side: number) => nanAtStep(s + 1).batch(s, b, side) };
  const cfgLong = tinyConfig(MAX_SKIPPED_IN_A_ROW + 5);
  await assert.rejects(pretrain(cfgLong, model, always, { ...quiet, nonFinite: 'skip' }), new RegExp(`${MAX_SKIPPED_IN_A_ROW} steps in a row skipped`));
  model.dispose();
});

test('latent fit: a NaN observation stops the fit naming the step', async () => {
  await useBackend('cpu');
  const cfg = tinyConfig(2);
  const model = new SrnModel(cfg.model, { numInstances: 2 });
  const views = tinyViews().slice(0, 1);
  views[0] = { ...views[0], view: { ...views[0].view, rgba: views[0].view.rgba.map(() => NaN) } };
  await assert.rejects(fitLatentCodes(cfg, model, [views], { ...quiet, maxSteps: 3 }), /latent-fit: loss term 'img' is NaN at step 1; fitting object\(s\) 0/);
  model.dispose();
});
