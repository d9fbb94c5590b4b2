/** 2-step smoke run of the `cpu` preset (architecture unchanged, 16² data); also the preset validation. */
import { describe, it } from 'node:test';
import { presetSmoke, useTinyChairs } from './smoke_fixture';
import assert from 'node:assert/strict';
import { baselineConfig, BASELINE_PRESET_NAMES } from '../../lib/baselines/config';

const data = useTinyChairs();

describe('baseline preset cpu', () => {
  it('presets validate; paper keeps the authors\' numbers', () => {
    for (const p of BASELINE_PRESET_NAMES) baselineConfig(p);
    const paper = baselineConfig('paper');
    assert.equal(paper.tco.fcWidth, 4096);
    assert.equal(paper.tco.pretrain.adam.lr, 1e-4);
    assert.equal(paper.unet.numDown, 7);
    assert.equal(paper.unet.dropout, 0.2);
    assert.equal(paper.unet.oracle.adam.lr, 4e-4);
    assert.throws(() => baselineConfig('paper', { unet: { numDown: 8 } }), /baseline\.unet\.numDown: expected at most log2\(side\) = 7/);
    assert.throws(() => baselineConfig('cpu', { tco: { side: 48 } }), /baseline\.tco\.side/);
    assert.throws(() => baselineConfig('cpu', { tco: { nope: 1 } } as never), /baseline\.tco\.nope: unknown field/);
  });

  it('2 steps of TCO pre-training, probe, U-Net training and the 30-shot grid with the cpu architecture, one prediction each, no leak', async () => {
    await presetSmoke('cpu', data.splits());
  });
});
