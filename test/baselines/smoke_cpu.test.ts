/** 2-step smoke run of the `cpu` preset (architecture unchanged, 16² data); also the preset validation. */
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { openSplit } from '../../lib/data/split';
import type { SplitInfo } from '../../lib/data/types';
import { useBackend } from '../helpers/tf';
import { presetSmoke, tinyChairs } from './smoke_fixture';
import assert from 'node:assert/strict';
import { baselineConfig, BASELINE_PRESET_NAMES } from '../../lib/baselines/config';

let root = '';
let splits: { train: SplitInfo; test: SplitInfo; val: SplitInfo };
before(async () => {
  await useBackend('wasm');
  root = await tinyChairs();
  splits = { train: openSplit(root, 'Chair', 'train'), test: openSplit(root, 'Chair', 'test'), val: openSplit(root, 'Chair', 'val') };
});
after(() => rmSync(root, { recursive: true, force: true }));

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
    await presetSmoke('cpu', splits);
  });
});
