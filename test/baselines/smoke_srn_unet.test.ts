/** 2-step smoke run of SRN+U-Net (both meanings) with the `tiny` preset through runBaseline. */
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { BASELINE_KINDS } from '../../lib/baselines/run';
import { useBackend } from '../helpers/tf';
import { tinyBaselineSmoke, tinyChairs } from './smoke_fixture';

let root = '';
before(async () => {
  await useBackend('wasm');
  root = await tinyChairs();
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('baselines, tiny preset (2 steps each)', () => {
  for (const kind of BASELINE_KINDS.filter((k) => k === 'srn-unet')) {
    it(`${kind}: trains, evaluates through the shared runner, writes results.json, logs a tracker run, leaks no tensors`, () =>
      tinyBaselineSmoke(kind, root));
  }
});
