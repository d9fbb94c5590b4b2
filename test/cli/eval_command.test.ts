import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../helpers/cli';
import { presetConfig } from '../../lib/config/presets';
import { SrnModel } from '../../lib/srn/model';
import { saveCheckpoint } from '../../lib/training/checkpoint';
import { useBackend } from '../helpers/tf';
import { makeTestSplit } from '../eval/fixture';

const root = makeTestSplit(70, 2);
before(async () => useBackend());
after(() => rmSync(root, { recursive: true, force: true }));

test('eval: scores a checkpoint on a split, sets aside a journal of another configuration at its results path, and leaves none', async () => {
  const config = presetConfig('tiny', { training: { latentFit: { steps: 2, side: 4 } }, inference: { side: 4 }, model: { numClasses: 6 } });
  const model = new SrnModel(config.model, { numInstances: 2, seed: 0, heads: ['linear'] });
  const ck = join(root, 'run', 'checkpoints', 'probe');
  saveCheckpoint(ck, { config, model, stage: 'probe', step: 1 });
  model.dispose();
  const out = join(root, 'run', 'results-single.json');
  // A journal another checkpoint left at this results path: set aside, not used.
  mkdirSync(join(root, 'run'), { recursive: true });
  writeFileSync(join(root, 'run', 'results-single.partial.json'), JSON.stringify({ fingerprint: { other: true }, records: [{ position: 0 }] }));
  const r = await cli(['eval', '--checkpoint', ck, '--data', root, '--majority-class', '2', '--out', out]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /a journal of another configuration set aside as .*results-single\.partial\.json\.other-config-/);
  const results = JSON.parse(readFileSync(out, 'utf8'));
  assert.deepEqual([results.counts.instances, results.counts.images, results.timings.resumedInstances], [2, 140, 0]);
  assert.ok(results.mIOU >= 0 && results.mIOU <= 1);
  assert.match(r.out, /results: .*results-single\.json/);
  const left = readdirSync(join(root, 'run')).filter((f) => f.includes('.partial.json'));
  assert.deepEqual(left.filter((f) => !f.includes('.other-config-')), [], 'both journals removed with the results');
  assert.ok(existsSync(out));
});

test("eval: a head of another class count than the data's is refused, naming both", async () => {
  const config = presetConfig('tiny', { inference: { side: 4 }, model: { numClasses: 11 } });
  const model = new SrnModel(config.model, { numInstances: 2, seed: 0, heads: ['linear'] });
  const ck = join(root, 'run-11', 'checkpoints', 'probe');
  saveCheckpoint(ck, { config, model, stage: 'probe', step: 1 });
  model.dispose();
  await assert.rejects(cli(['eval', '--checkpoint', ck, '--data', root, '--majority-class', '2']), /the checkpoint's linear head predicts 11 classes; .*Chair\.test has 6 \(background \+ the parts of its Chair-level-1\.txt\)/);
  assert.ok(!existsSync(join(root, 'run-11', 'results-single.json')));
});
