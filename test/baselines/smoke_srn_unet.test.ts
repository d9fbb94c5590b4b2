/** 2-step smoke run of SRN+U-Net (both meanings) with the `tiny` preset through runBaseline. */
import { describe, it } from 'node:test';
import { BASELINE_KINDS } from '../../lib/baselines/run';
import { tinyBaselineSmoke, useTinyChairs } from './smoke_fixture';

const data = useTinyChairs();

describe('baselines, tiny preset (2 steps each)', () => {
  for (const kind of BASELINE_KINDS.filter((k) => k === 'srn-unet')) {
    it(`${kind}: trains, evaluates through the shared runner, writes results.json, logs a tracker run, leaks no tensors`, () =>
      tinyBaselineSmoke(kind, data.root));
  }
});
