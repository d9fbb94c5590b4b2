import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { presetConfig } from '../../lib/config/presets';
import { openSplit, splitIdentity } from '../../lib/data/split';
import { fitUsesHeads } from '../../lib/eval/code_journal';
import { makeTestSplit } from './fixture';

const root = makeTestSplit(71, 3);
after(() => rmSync(root, { recursive: true, force: true }));

test('splitIdentity names the objects in the key order that journals written before it hold', () => {
  const split = openSplit(root, 'Chair', 'test');
  const id = splitIdentity(split);
  // The JSON text is part of every journal's fingerprint: a reordering would set aside journals on disk.
  assert.equal(JSON.stringify(id), JSON.stringify({ root: split.root, className: split.className, split: 'test', ids: split.instances.map((i) => i.id) }));
  assert.deepEqual(Object.keys(id), ['root', 'className', 'split', 'ids']);
  assert.equal(id.ids.length, 3);
  assert.notDeepEqual(splitIdentity({ ...split, instances: split.instances.slice(1) }), id, 'a subset is another identity');
});

test('fitUsesHeads: an RGB fit without cross-entropy leaves the heads out, labels or a CE weight bring them in', () => {
  const rgbOnly = presetConfig('tiny');
  assert.equal(rgbOnly.training.latentFit.weights.ce, 0, 'the presets fit codes to RGB only');
  assert.equal(fitUsesHeads(rgbOnly), false);
  assert.equal(fitUsesHeads(rgbOnly, { target: 'rgb' }), false);
  assert.equal(fitUsesHeads(rgbOnly, { target: 'labels' }), true);
  assert.equal(fitUsesHeads(rgbOnly, { weights: { ...rgbOnly.training.latentFit.weights, ce: 1 } }), true);
  const ceFit = presetConfig('tiny', { training: { latentFit: { weights: { ce: 0.5 } } } });
  assert.equal(fitUsesHeads(ceFit), true, "the config's own fit weights count when no option overrides them");
  assert.equal(fitUsesHeads(ceFit, { weights: { ...ceFit.training.latentFit.weights, ce: 0 } }), false);
});
