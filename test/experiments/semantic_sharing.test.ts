/**
 * SRN+U-Net (unet-baselines) and mask reconstruction (Fig. 6) train the fully supervised semantic SRN of a scale
 * once: at every scale and class their configs give the same cache key, whatever the replicate seed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baselineConfig } from '../../lib/baselines/config';
import { presetConfig } from '../../lib/config/presets';
import { scaleDefinition } from '../../lib/config/scales';
import type { SplitInfo } from '../../lib/data/types';
import { experimentSrnConfig, loadExperimentConfig, SCALES, withClassAndSeeds } from '../../lib/experiments';
import { semanticKey, stageDataKey, stageHash, type StageData } from '../../lib/pipeline/stage_cache';
import { mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const C = 6;
const data = (className: string): StageData => ({
  root: '/data',
  dataVersion: 'synthetic-v2',
  train: { className, instances: [{ id: 'a', index: 0 }, { id: 'b', index: 1 }] } as unknown as SplitInfo,
});

for (const scale of SCALES) {
  for (const className of ['chair', 'table']) {
    test(`${scale} ${className}: SRN+U-Net and mask reconstruction key one semantic SRN`, () => {
      const mask = withClassAndSeeds(loadExperimentConfig('mask-reconstruction', scale), { className, seeds: [2] });
      const unet = withClassAndSeeds(loadExperimentConfig('unet-baselines', scale), { className, seeds: [2] });
      // mask_reconstruction.ts: the replicate config, trained with the pre-training seed.
      const maskCfg = { ...experimentSrnConfig(mask, C), seed: mask.seed };
      // baselines/run.ts runSrnUnet: the baseline preset's SRN preset, the experiment's pre-training seed.
      const b = baselineConfig(scaleDefinition(scale).baselinePreset, { seed: 2 });
      const unetCfg = { ...presetConfig(b.srnUnet.srnPreset, { seed: 2, model: { numClasses: C } }), seed: unet.seed };
      const d = data(className === 'table' ? 'Table' : 'Chair');
      assert.deepEqual(semanticKey(unetCfg, d), semanticKey(maskCfg, d));
      assert.equal(stageHash(semanticKey(unetCfg, d)), stageHash(semanticKey(maskCfg, d)));
    });
  }
}

test('the key changes with the seed, the model and the training data', () => {
  const cfg = presetConfig('cpu64', { seed: 0, model: { numClasses: C } });
  const d = data('Chair');
  const k = stageHash(semanticKey(cfg, d));
  assert.notEqual(stageHash(semanticKey({ ...cfg, seed: 1 }, d)), k);
  assert.notEqual(stageHash(semanticKey(presetConfig('cpu', { seed: 0, model: { numClasses: C } }), d)), k);
  assert.notEqual(stageHash(semanticKey(cfg, { ...d, train: { ...d.train, instances: d.train.instances.slice(1) } })), k);
});

test('a symlinked data folder keys the same stage as the folder it points to', () => {
  const real = mkdtempSync(join(tmpdir(), 'stage-data-'));
  const link = `${real}-link`;
  symlinkSync(real, link);
  try {
    const cfg = presetConfig('cpu64', { seed: 0, model: { numClasses: C } });
    const d = data('Chair');
    assert.deepEqual(semanticKey(cfg, { ...d, root: link }), semanticKey(cfg, { ...d, root: real }));
    assert.equal(stageDataKey({ ...d, root: link }).root, realpathSync(real));
    assert.equal(stageDataKey({ ...d, root: '/no/such/folder' }).root, '/no/such/folder');
  } finally {
    rmSync(link);
    rmSync(real, { recursive: true });
  }
});
