/** bench/part_targets.ts: the per-part target (above the majority-part predictor on every part ≥ 10% of the foreground). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { partTargets } from '../../bench/part_targets';

const names = ['background', 'top', 'leg', 'shelf'];
const results = (perClassIoU: Record<string, number | null>) => ({
  side: 64,
  dataset: { className: 'Table' },
  perClassIoU,
  trivial: { majorityPart: { majorityClassName: 'top', perClassIoU: { background: 1, top: 0.6, leg: 0, shelf: 0 } } },
  counts: { instances: 1, viewsPerInstance: [1] },
});

test('only parts at or above the share are checked; the majority part must beat the predictor, the others be found at all', () => {
  // Foreground 100 px: top 60 %, leg 35 %, shelf 5 % (below 10 %: not a target even at IoU 0).
  const pixels = [900, 60, 35, 5];
  const ok = partTargets(results({ background: 0.95, top: 0.7, leg: 0.2, shelf: 0 }), pixels, names, 0.1);
  assert.deepEqual(ok.map((t) => [t.part, t.pass]), [['top', true], ['leg', true]]);
  assert.ok(Math.abs(ok[0].foregroundShare - 0.6) < 1e-12);
  const bad = partTargets(results({ background: 0.95, top: 0.55, leg: 0, shelf: 0.9 }), pixels, names, 0.1);
  assert.deepEqual(bad.map((t) => [t.part, t.pass]), [['top', false], ['leg', false]]);
  assert.equal(partTargets(results({ background: 1, top: 0.7, leg: null, shelf: 0 }), pixels, names, 0.1)[1].pass, false, 'a part never predicted fails');
});

test('bad input is named', () => {
  assert.throws(() => partTargets(results({}), [10, 0, 0, 0], names, 0.1), /no foreground pixel/);
  const r = { ...results({}), trivial: {} };
  assert.throws(() => partTargets(r, [1, 1, 1, 1], names, 0.1), /trivial\.majorityPart' is missing/);
});
