/** 2-step smoke runs of TCO and the 2-D U-Nets with the `tiny` preset (SRN+U-Net: smoke_srn_unet.test.ts) through runBaseline: results.json of the runner's shape, tracker run. */
import { describe, it } from 'node:test';
import { BASELINE_KINDS } from '../../lib/baselines/finished_baseline';
import { tinyBaselineSmoke, useTinyChairs } from './smoke_fixture';

const data = useTinyChairs();

describe('baselines, tiny preset (2 steps each)', () => {
  for (const kind of BASELINE_KINDS.filter((k) => k !== 'srn-unet' && k !== 'srn-render-unet')) {
    it(`${kind}: trains, evaluates through the shared runner, writes results.json, logs a tracker run, leaks no tensors`, () =>
      tinyBaselineSmoke(kind, data.root));
  }
});
