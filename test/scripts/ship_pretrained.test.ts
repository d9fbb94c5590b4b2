/** scripts/ship-pretrained.ts: the loss history of a training resumed across sittings, read and merged. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeLosses, readLosses } from '../../scripts/ship-pretrained';

const dir = mkdtempSync(join(tmpdir(), 'ship-losses-'));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

test('reads history.json, an MLflow metric file (sorted by step) and a resume point manifest', () => {
  assert.deepEqual(readLosses(file('h.json', '{"losses": [3, 2, 1]}')), { steps: [1, 2, 3], values: [3, 2, 1] });
  assert.deepEqual(readLosses(file('loss', '1700 0.5 12\n1600 0.7 11\n')), { steps: [11, 12], values: [0.7, 0.5] });
  const manifest = file('manifest.json', JSON.stringify({ step: 3, extra: { pretrainLosses: { steps: [1, 2, 3], values: [9, 8, 7] } } }));
  assert.deepEqual(readLosses(manifest), { steps: [1, 2, 3], values: [9, 8, 7] });
});

test('bad files are errors naming the file and what was expected', () => {
  assert.throws(() => readLosses(file('bad.json', '{"step": 3}')), /bad\.json: expected \{ "losses": \[numbers\] \} or a checkpoint manifest/);
  assert.throws(() => readLosses(file('m2.json', '{"extra": {"pretrainLosses": {"steps": [1], "values": []}}}')), /m2\.json: extra\.pretrainLosses must hold/);
  assert.throws(() => readLosses(file('loss2', '1700 0.5\n')), /loss2:1: expected 'timestamp value step'/);
});

test('parts merge by step, a later part wins a step both have, steps after the checkpoint are cut', () => {
  // A run stopped at step 5, resumed from its kept checkpoint at step 3, now at step 7 (its logged steps 4–8).
  const first = { steps: [1, 2, 3, 4, 5], values: [10, 9, 8, 7, 6] };
  const second = { steps: [4, 5, 6, 7, 8], values: [7.5, 6.5, 5, 4, 3] };
  assert.deepEqual(mergeLosses([first, second], 7), { steps: [1, 2, 3, 4, 5, 6, 7], values: [10, 9, 8, 7.5, 6.5, 5, 4] });
  assert.deepEqual(mergeLosses([first], 0), { steps: [], values: [] });
});
