import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SrnModel } from '../../lib/srn/model';
import { loadCheckpoint, saveCheckpoint } from '../../lib/training/checkpoint';
import {
  DEFAULT_CONFIG, PAPER_SCHEDULE, PRESET_NAMES, RELEASED_SCRIPT_SCHEDULE, presetConfig, resolveConfig, validateConfig, PAPER_TEXT_VARIANTS,
} from '../../lib/config';

test('paper preset holds every reference number', () => {
  const c = presetConfig('paper');
  assert.equal(c.model.latentDim, 256);
  assert.equal(c.model.phiWidth, 256);
  assert.equal(c.model.phiLayers, 4);
  assert.equal(c.model.lstmHidden, 16);
  assert.equal(c.model.marchSteps, 10);
  assert.equal(c.model.initialDepth, 0.05);
  assert.equal(c.model.gradClamp, 10);
  assert.equal(c.model.lnEps, 1e-5);
  assert.equal(c.model.hyperLastWeightScale, 0.1);
  assert.equal(c.model.rendererHiddenLayers, 5);
  assert.deepEqual(c.model.unet, { nf0: 64, numDown: 4, maxChannels: 128, dropout: 0, bnMomentum: 0.1, bnEps: 1e-5 });
  assert.deepEqual(c.training.pretrain.schedule, PAPER_SCHEDULE);
  assert.deepEqual(PAPER_SCHEDULE, [{ side: 64, batchSize: 92, steps: 20000 }, { side: 128, batchSize: 16, steps: 85000 }]);
  assert.deepEqual(c.training.pretrain.weights, { img: 200, ce: 0, latent: 1, depth: 1e-3 });
  assert.deepEqual(c.training.semantic.weights, { img: 200, ce: 8, latent: 1, depth: 1e-3 });
  assert.deepEqual(c.training.pretrain.dense, { lr: 4e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  assert.deepEqual(c.training.pretrain.latent, { lr: 4e-4, beta1: 0.5, beta2: 0.5, eps: 1e-5 });
  assert.deepEqual(c.training.probe.weights, { img: 0, ce: 8, latent: 0, depth: 0 });
  assert.equal('singleView' in c.training.latentFit, false, 'the single view is SINGLE_VIEW_INDEX (eval/protocols.ts), not a config knob');
  assert.equal('multiViewEvery' in c.training.latentFit, false, 'the multi-view protocol is eval/protocols.ts (50 views), not a config knob');
  assert.equal(c.training.latentFit.side, 128);
  assert.equal(c.data.fewShot.instances, 10);
  assert.equal(c.data.fewShot.viewsPerInstance, 3);
  assert.equal(c.inference.side, 128);
  assert.deepEqual(presetConfig('paper-released').training.pretrain.schedule, RELEASED_SCRIPT_SCHEDULE);
});

test('every preset resolves and validates; paper-text variants are options', () => {
  for (const p of PRESET_NAMES) validateConfig(presetConfig(p));
  assert.equal(presetConfig('paper', PAPER_TEXT_VARIANTS.lstm256).model.lstmHidden, 256);
  assert.throws(() => presetConfig('huge'), /preset: expected one of paper, paper-released, cpu, cpu64, tiny, got 'huge'/);
});

test('resolveConfig fills defaults; arrays replace; unknown keys are rejected with the path', () => {
  const c = resolveConfig({ model: { phiWidth: 64 } });
  assert.equal(c.model.phiWidth, 64);
  assert.equal(c.model.latentDim, DEFAULT_CONFIG.model.latentDim);
  const s = resolveConfig({ training: { pretrain: { schedule: [{ side: 32, batchSize: 2, steps: 5 }] } } });
  assert.equal(s.training.pretrain.schedule.length, 1);
  assert.throws(() => resolveConfig({ model: { phiWidht: 3 } } as never), /config\.model\.phiWidht: unknown field/);
});

test('validator names the field path and what was expected', () => {
  assert.throws(() => resolveConfig({ model: { phiWidth: 0 } }), /config\.model\.phiWidth: expected an integer ≥ 1, got 0/);
  assert.throws(() => resolveConfig({ model: { lnEps: -1 } }), /config\.model\.lnEps: expected a number > 0/);
  assert.throws(() => resolveConfig({ training: { pretrain: { schedule: [] } } }), /config\.training\.pretrain\.schedule: expected a non-empty array/);
  assert.throws(() => resolveConfig({ training: { pretrain: { schedule: [{ side: 32, batchSize: 0, steps: 1 }] } } }), /config\.training\.pretrain\.schedule\[0\]\.batchSize: expected an integer ≥ 1, got 0/);
  assert.throws(() => resolveConfig({ training: { probe: { head: 'unet' as never } } }), /config\.training\.probe\.head: expected one of 'linear', 'mlp', got 'unet'/);
  assert.throws(() => resolveConfig({ training: { semantic: { raysPerImage: 100 } } }), /config\.training\.semantic\.raysPerImage: expected null \(the U-Net head needs whole images\)/);
  assert.throws(() => resolveConfig({ training: { semantic: { schedule: [{ side: 24, batchSize: 1, steps: 1 }] } } }), /semantic\.schedule\[0\]\.side: expected a multiple of 2\^numDown = 16/);
  assert.throws(() => resolveConfig({ data: { fewShot: { views: [0, 1] } } }), /config\.data\.fewShot\.views: expected 3 view indices/);
  assert.throws(() => resolveConfig({ seed: 1.5 }), /config\.seed: expected an integer/);
});

test('retired config fields: a checkpoint saved with multiViewEvery and singleView still loads, without them', () => {
  // A checkpoint as written before the field was removed: the current writer's, with the field put back.
  const dir = mkdtempSync(join(tmpdir(), 'srn-retired-'));
  try {
    const config = presetConfig('tiny');
    const model = new SrnModel(config.model, { numInstances: 1, seed: 0 });
    saveCheckpoint(dir, { config, model, stage: 'pretrain', step: 1 });
    model.dispose();
    const path = join(dir, 'manifest.json');
    const raw = JSON.parse(readFileSync(path, 'utf8'));
    raw.config.training.latentFit.multiViewEvery = 5;
    raw.config.training.latentFit.singleView = 65;
    writeFileSync(path, JSON.stringify(raw));
    const ck = loadCheckpoint(dir);
    assert.equal('multiViewEvery' in ck.manifest.config.training.latentFit, false);
    assert.equal('singleView' in ck.manifest.config.training.latentFit, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => resolveConfig({ training: { latentFit: { multiViewEvery: 5 } } } as never), /multiViewEvery: unknown field/);
  assert.throws(() => resolveConfig({ training: { latentFit: { singleView: 65 } } } as never), /singleView: unknown field/);
});
