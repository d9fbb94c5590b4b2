/** scripts/carry-stage.ts: an unfinished semantic SRN carried through git and put back without overwriting newer work. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { presetConfig, scheduleSteps } from '../../lib/config/presets';
import { SrnModel } from '../../lib/srn/model';
import { findCheckpoint, loadCheckpoint, MODEL_CODE_VERSION, saveCheckpoint, saveWeightsOnly } from '../../lib/training/checkpoint';
import { restoreRuns } from '../../scripts/restore-runs';
import { packSemantic, unpackCarry } from '../../scripts/carry-stage';

const root = mkdtempSync(join(tmpdir(), 'carry-stage-'));
after(() => rmSync(root, { recursive: true, force: true }));
const config = presetConfig('tiny', { data: { className: 'Chair', maxTrainInstances: 3 } });
const key = 'tiny-chair-s0-0123456789ab';
const keyJson = JSON.stringify({ seed: 0, data: { root, className: 'Chair', instances: ['a', 'b', 'c'] } });

function semanticCache(runs: string, step: number, seed: number): string {
  const cache = join(runs, 'semantic', key);
  mkdirSync(cache, { recursive: true });
  writeFileSync(join(cache, 'key.json'), keyJson);
  const model = new SrnModel(config.model, { numInstances: 3, seed, heads: ['unet'] });
  saveCheckpoint(join(cache, 'checkpoint'), { config, model, stage: 'semantic', step, dataVersion: 'synthetic-v2' });
  model.dispose();
  return cache;
}

test('pack keeps the weights and the cache key; unpack puts them where the semantic cache looks', () => {
  const before = tf.memory().numTensors;
  const cache = semanticCache(join(root, 'runs-a'), 3, 1); // the tiny preset's semantic SRN trains 4 steps
  const carry = packSemantic(cache, { trainedAt: 'HEAD', command: 'semantic-srn experiment table-1', notes: ['stopped with SIGINT'], destRoot: join(root, 'pretrained') });
  assert.equal(carry, join(root, 'pretrained', `wip-semantic-${key}`));
  const shipped = loadCheckpoint(carry).manifest;
  assert.equal(shipped.weightsOnly, true);
  assert.equal(shipped.step, 3);
  assert.deepEqual(shipped.heads, ['unet']);
  assert.ok(!loadCheckpoint(carry).arrays.has('latents.m'), 'no optimiser moments in a carry');
  const prov = readFileSync(join(carry, 'PROVENANCE.md'), 'utf8');
  assert.match(prov, /^# Unfinished semantic SRN/);
  assert.match(prov, /steps done \| 3 of 4/);
  assert.match(prov, /note \| stopped with SIGINT/);

  const target = unpackCarry(carry, { runsDir: join(root, 'runs-b') });
  assert.equal(target, join(root, 'runs-b', 'semantic', key, 'checkpoint'));
  assert.equal(readFileSync(join(root, 'runs-b', 'semantic', key, 'key.json'), 'utf8'), keyJson);
  const a = loadCheckpoint(join(cache, 'checkpoint')).arrays;
  const b = findCheckpoint(target)!.arrays;
  const weights = [...a.keys()].filter((n) => !n.startsWith('adam.') && n !== 'latents.m' && n !== 'latents.v');
  assert.ok(weights.some((n) => /unet/i.test(n)), `the U-Net head travels too (${weights.join(', ')})`);
  for (const name of weights) {
    const arr = a.get(name)!;
    assert.deepEqual(b.get(name)?.data, arr.data, `weights '${name}' differ after the round trip`);
  }
  assert.equal(tf.memory().numTensors, before, 'pack and unpack leave no tensors behind');
});

test('unpack refuses to replace a checkpoint at or past the carried step', () => {
  const carry = packSemantic(semanticCache(join(root, 'runs-c'), 5, 2), { trainedAt: 'HEAD', command: 'x', destRoot: join(root, 'pretrained-c') });
  const runs = join(root, 'runs-d');
  semanticCache(runs, 9, 3);
  assert.throws(() => unpackCarry(carry, { runsDir: runs }), /already holds step 9 \(the carry is at step 5\): resume from it/);
  // The live checkpoint is untouched.
  assert.equal(findCheckpoint(join(runs, 'semantic', key, 'checkpoint'))!.manifest.step, 9);
  // An older one is replaced, and the replacement recorded.
  const older = join(root, 'runs-e');
  semanticCache(older, 2, 4);
  unpackCarry(carry, { runsDir: older });
  assert.equal(findCheckpoint(join(older, 'semantic', key, 'checkpoint'))!.manifest.step, 5);
  assert.equal(JSON.parse(readFileSync(join(older, 'semantic', key, 'carried-from.json'), 'utf8')).replaced, 2);
});

test('bad input names what was expected', () => {
  assert.throws(() => packSemantic(join(root, 'nowhere'), { trainedAt: 'HEAD', command: 'x' }), /nowhere\/key\.json: not found; expected a semantic SRN cache folder/);
  const model = new SrnModel(config.model, { numInstances: 3, seed: 0 });
  const pre = join(root, 'pre', 'wip');
  saveCheckpoint(pre, { config, model, stage: 'pretrain', step: 3, dataVersion: 'synthetic-v2', weightsOnly: true });
  model.dispose();
  assert.throws(() => unpackCarry(pre, { runsDir: root }), /a pre-training carry goes to a run's checkpoint folder: give --to/);
  const to = join(root, 'run', 'checkpoints', 'pretrain');
  unpackCarry(pre, { to });
  assert.ok(existsSync(join(to, 'manifest.json')));
  assert.throws(() => unpackCarry(pre, { to }), /already holds step 3/);
});

test('a finished training is carried as finished: its provenance says so and that the experiment reuses it', () => {
  const total = scheduleSteps(config.training.semantic.schedule);
  const cache = semanticCache(join(root, 'runs-done'), total, 2);
  const carry = packSemantic(cache, { trainedAt: 'HEAD', command: 'semantic-srn experiment table-1', destRoot: join(root, 'pretrained-done') });
  const prov = readFileSync(join(carry, 'PROVENANCE.md'), 'utf8');
  assert.match(prov, /^# Finished semantic SRN/);
  assert.match(prov, new RegExp(`steps done \\| ${total} of ${total}`));
  assert.match(prov, /reuses the finished training/);
});

test('a carry keeps the model-code version it was trained with; a stale one is refused on unpack and left by restore-runs', () => {
  const before = tf.memory().numTensors;
  const old = MODEL_CODE_VERSION - 1;
  const carry = join(root, 'pretrained-stale', `wip-semantic-${key}`);
  const model = new SrnModel(config.model, { numInstances: 3, seed: 2, heads: ['unet'] });
  saveCheckpoint(join(root, 'stale-src'), { config, model, stage: 'semantic', step: 4, versions: { modelCode: old, data: 'synthetic-v2' } });
  saveCheckpoint(join(root, 'unversioned-src'), { config, model, stage: 'semantic', step: 4, versions: null });
  model.dispose();
  // A weights-only copy (what pack and unpack write) keeps the source's versions: never restamped as this code's.
  saveWeightsOnly(carry, loadCheckpoint(join(root, 'stale-src')), { carriedKey: key });
  writeFileSync(join(carry, 'key.json'), keyJson);
  assert.deepEqual(loadCheckpoint(carry).manifest.versions, { modelCode: old, data: 'synthetic-v2' });
  saveWeightsOnly(join(root, 'unversioned-copy'), loadCheckpoint(join(root, 'unversioned-src')));
  assert.equal(loadCheckpoint(join(root, 'unversioned-copy')).manifest.versions, undefined);

  assert.throws(() => unpackCarry(carry, { runsDir: join(root, 'runs-stale') }), new RegExp(`made by model code v${old}, this code v${MODEL_CODE_VERSION}: it can be neither reused nor resumed`));
  assert.equal(existsSync(join(root, 'runs-stale', 'semantic', key)), false, 'nothing unpacked');
  const acts = restoreRuns({ runsDir: join(root, 'runs-stale'), resultsRoot: join(root, 'no-results'), pretrainedRoot: join(root, 'pretrained-stale') });
  assert.deepEqual(acts.map((a) => a.kind), ['stale-carry']);
  assert.equal(existsSync(join(root, 'runs-stale', 'semantic', key)), false);
  assert.equal(tf.memory().numTensors, before);
});
