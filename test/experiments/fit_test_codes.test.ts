import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { presetConfig } from '../../lib/config/presets';
import { openSplit } from '../../lib/data/split';
import { fitTestCodes } from '../../lib/experiments/common';
import { SrnModel } from '../../lib/srn/model';
import { useBackend } from '../helpers/tf';
import { makeTestSplit } from '../eval/fixture';

const root = makeTestSplit(70, 3);
before(async () => useBackend());
after(() => rmSync(root, { recursive: true, force: true }));

test('test codes with a journal: a stopped fit keeps the groups that ended, and the rerun fits only the rest, to the same codes', async () => {
  const config = presetConfig('tiny', { training: { latentFit: { steps: 3, side: 4, objectsPerStep: 2 } }, inference: { side: 4 } });
  const model = new SrnModel(config.model, { numInstances: 2, seed: 0, heads: ['linear'] });
  const split = openSplit(root, 'Chair', 'test');
  const positions = [0, 1, 2];
  const before = tf.memory().numTensors;
  const plain = await fitTestCodes(config, model, split, positions, 'single');

  const journal = join(root, 'test-codes.partial.json');
  const ac = new AbortController();
  let ticks = 0;
  const said: string[] = [];
  const opts = { signal: ac.signal, stepProgress: () => ++ticks === 5 && ac.abort(), onProgress: (m: string) => said.push(m) };
  await assert.rejects(fitTestCodes(config, model, split, positions, 'single', opts, journal), /interrupted before using the test codes/);
  const doc = JSON.parse(readFileSync(journal, 'utf8')) as { records: { position: number }[] };
  assert.deepEqual(doc.records.map((r) => r.position), [0, 1], 'the first group (objects 0, 1) ended; the second was stopped');

  ticks = 0;
  const resumed = await fitTestCodes(config, model, split, positions, 'single', { stepProgress: () => ticks++, onProgress: (m: string) => said.push(m) }, journal);
  assert.equal(ticks, 3, "only object 2's three steps");
  assert.deepEqual(resumed.map((c) => Array.from(c)), plain.map((c) => Array.from(c)));
  assert.ok(said.includes(`test codes: 2 of 3 fitted before (${journal})`), said.join('\n'));
  assert.ok(existsSync(journal), 'kept until the caller has its results');
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});
