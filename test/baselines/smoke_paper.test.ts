/** 2-step smoke run of the `paper` preset: TCO with its 4096-wide FCs and the authors' U-Net widths, at 16² (numDown 4) so it fits a test. The 30-shot grid path is covered by smoke_cpu. */
import { describe, it } from 'node:test';
import { presetSmoke, useTinyChairs } from './smoke_fixture';

const data = useTinyChairs();

describe('baseline preset paper', () => {
  it('2 steps of TCO pre-training, probe, U-Net training with the paper architecture, one prediction each, no leak', async () => {
    await presetSmoke('paper', data.splits(), false);
  });
});
