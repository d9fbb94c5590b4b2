/** 2-step smoke run of the `paper` preset: TCO with its 4096-wide FCs and the authors' U-Net widths, at 16² (numDown 4) so it fits a test. The 30-shot grid path is covered by smoke_cpu. */
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { openSplit } from '../../lib/data/split';
import type { SplitInfo } from '../../lib/data/types';
import { useBackend } from '../helpers/tf';
import { presetSmoke, tinyChairs } from './smoke_fixture';

let root = '';
let splits: { train: SplitInfo; test: SplitInfo; val: SplitInfo };
before(async () => {
  await useBackend('wasm');
  root = await tinyChairs();
  splits = { train: openSplit(root, 'Chair', 'train'), test: openSplit(root, 'Chair', 'test'), val: openSplit(root, 'Chair', 'val') };
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('baseline preset paper', () => {
  it('2 steps of TCO pre-training, probe, U-Net training with the paper architecture, one prediction each, no leak', async () => {
    await presetSmoke('paper', splits, false);
  });
});
