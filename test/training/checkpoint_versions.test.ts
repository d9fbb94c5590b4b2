import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { presetConfig } from '../../lib/config/presets';
import { LatentTable } from '../../lib/latent/table';
import { SrnModel } from '../../lib/srn/model';
import { SparseAdam } from '../../lib/training/adam';
import { loadCheckpoint, loadModelState, MODEL_CODE_VERSION, modelCodeCurrent, restoreTrainingState, saveCheckpoint, versionMismatch } from '../../lib/training/checkpoint';
import { findCompatiblePretrain } from '../../lib/experiments/common';

describe('checkpoint versions and weights-only checkpoints', () => {
  const root = mkdtempSync(join(tmpdir(), 'srn-ckver-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const config = presetConfig('tiny', { data: { className: 'Chair', maxTrainInstances: 3 } });
  const model = new SrnModel(config.model, { numInstances: 3, seed: 0 });
  after(() => model.dispose());
  const steps = config.training.pretrain.schedule.reduce((s, x) => s + x.steps, 0);

  it('records the model-code and data versions; a mismatch or an unversioned checkpoint is named', () => {
    const dir = join(root, 'v');
    saveCheckpoint(dir, { config, model, stage: 'pretrain', step: steps, dataVersion: 'synthetic-v2' });
    const m = loadCheckpoint(dir).manifest;
    assert.deepEqual(m.versions, { modelCode: MODEL_CODE_VERSION, data: 'synthetic-v2' });
    assert.equal(versionMismatch(m, 'synthetic-v2'), undefined);
    assert.match(versionMismatch(m, 'synthetic-v3')!, /data 'synthetic-v2' \(this data is 'synthetic-v3'\)/);
    assert.match(versionMismatch({ ...m, versions: { modelCode: MODEL_CODE_VERSION + 1, data: 'synthetic-v2' } }, 'synthetic-v2')!, new RegExp(`model code v${MODEL_CODE_VERSION + 1} \\(this code is v${MODEL_CODE_VERSION}\\)`));
    assert.match(versionMismatch({ ...m, versions: undefined }, 'synthetic-v2')!, /records no model-code or data version/);
  });

  it("v2 (the U-Net's reflect-pad gradient) leaves v1 pre-trainings and probes standing and makes a v1 semantic SRN stale", () => {
    const dir = join(root, 'v');
    const m = loadCheckpoint(dir).manifest;
    const v1 = (stage: string) => ({ ...m, stage, versions: { modelCode: 1, data: 'synthetic-v2' } });
    assert.equal(MODEL_CODE_VERSION, 2);
    assert.equal(versionMismatch(v1('pretrain'), 'synthetic-v2'), undefined);
    assert.equal(versionMismatch(v1('probe'), 'synthetic-v2'), undefined);
    assert.match(versionMismatch(v1('semantic'), 'synthetic-v2')!, /model code v1 \(this code is v2; a 'semantic' checkpoint of v1 computes otherwise\)/);
    assert.ok(modelCodeCurrent('semantic', 2) && !modelCodeCurrent('pretrain', 3));
  });

  it('a matching pre-training of other data is refused with a message that says how to re-train', () => {
    const runs = join(root, 'runs');
    const ck = join(runs, 'old-run', 'checkpoints', 'pretrain');
    saveCheckpoint(ck, { config, model, stage: 'pretrain', step: steps, dataVersion: 'synthetic-v1' });
    const said: string[] = [];
    assert.equal(findCompatiblePretrain(runs, config, 3, 'synthetic-v2', (m) => said.push(m)), undefined);
    assert.match(said.join('\n'), /not using .*old-run.*trained with data 'synthetic-v1' \(this data is 'synthetic-v2'\); pre-training anew .*README/);
    // The same checkpoint is found for the data it was made on.
    assert.equal(findCompatiblePretrain(runs, config, 3, 'synthetic-v1')?.ck.dir, ck);
  });

  it('weights-only checkpoints drop the optimiser moments and load with them reset, weights unchanged', () => {
    const dir = join(root, 'w');
    const latentAdam = new SparseAdam(model.latents, config.training.pretrain.latent);
    latentAdam.m.fill(0.5);
    latentAdam.step = 7;
    saveCheckpoint(dir, { config, model, stage: 'pretrain', step: steps, dataVersion: 'synthetic-v2', weightsOnly: true, latentAdam });
    const ck = loadCheckpoint(dir);
    assert.ok(!ck.arrays.has('latents.m') && !ck.arrays.has('latents.v'));
    assert.equal(ck.manifest.adamStep, null);
    assert.equal(ck.manifest.latentStep, 0);
    const other = new SrnModel(config.model, { numInstances: 3, seed: 1 });
    const before = tf.memory().numTensors;
    loadModelState(ck, other);
    assert.equal(tf.memory().numTensors, before);
    const a = model.namedWeights();
    const b = other.namedWeights();
    for (const k of Object.keys(a)) assert.deepEqual(Array.from(b[k].dataSync()), Array.from(a[k].dataSync()), k);
    tf.dispose([...Object.values(a), ...Object.values(b)]);
    // Resuming from it: the trainer's SparseAdam starts afresh, whatever it held.
    const resumed = new SparseAdam(other.latents, config.training.pretrain.latent);
    resumed.m.fill(0.25);
    resumed.step = 3;
    assert.equal(restoreTrainingState(ck, other, { latent: resumed }), steps);
    assert.ok(resumed.m.every((x) => x === 0) && resumed.v.every((x) => x === 0));
    assert.equal(resumed.step, 0);
    assert.deepEqual(other.latents.values, model.latents.values);
    // An optimiser of another table is refused on both sides.
    const stray = new SparseAdam(new LatentTable(3, config.model.latentDim), config.training.pretrain.latent);
    assert.throws(() => saveCheckpoint(join(root, 'stray'), { config, model, stage: 'pretrain', step: steps, latentAdam: stray }), /latentAdam is not the optimiser of the model's latent table/);
    assert.throws(() => restoreTrainingState(ck, other, { latent: stray }), /the latent SparseAdam is not the optimiser of the model's latent table/);
    other.dispose();
  });

  it('the manifest of a checkpoint without versions still loads (and is then refused by versionMismatch)', () => {
    const dir = join(root, 'legacy');
    saveCheckpoint(dir, { config, model, stage: 'pretrain', step: steps });
    const path = join(dir, 'manifest.json');
    const m = JSON.parse(readFileSync(path, 'utf8'));
    delete m.versions;
    writeFileSync(path, JSON.stringify(m));
    assert.ok(versionMismatch(loadCheckpoint(dir).manifest, 'synthetic-v2'));
  });
});
