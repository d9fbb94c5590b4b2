/** scripts/restore-runs.ts: published rows and carried trainings brought back into a runs folder, nothing local replaced. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { presetConfig } from '../../lib/config/presets';
import { SrnModel } from '../../lib/srn/model';
import { findCheckpoint, saveCheckpoint } from '../../lib/training/checkpoint';
import { packSemantic } from '../../scripts/carry-stage';
import { restoreRuns } from '../../scripts/restore-runs';

const root = mkdtempSync(join(tmpdir(), 'restore-runs-'));
after(() => rmSync(root, { recursive: true, force: true }));
const config = presetConfig('tiny', { data: { className: 'Chair', maxTrainInstances: 3 } });
const key = 'tiny-chair-s0-0123456789ab';

const put = (p: string, text: string) => {
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
};

/** A semantic SRN cache at `step` under `runs` (weights of `seed`). */
function semanticCache(runs: string, step: number): string {
  const cache = join(runs, 'semantic', key);
  put(join(cache, 'key.json'), JSON.stringify({ seed: 0, data: { root, className: 'Chair', instances: ['a', 'b', 'c'] } }));
  const model = new SrnModel(config.model, { numInstances: 3, seed: 1, heads: ['unet'] });
  saveCheckpoint(join(cache, 'checkpoint'), { config, model, stage: 'semantic', step, dataVersion: 'synthetic-v2' });
  model.dispose();
  return cache;
}

test('published files are copied where missing, identical ones left, different local ones kept; a dry run writes nothing', () => {
  const results = join(root, 'results');
  put(join(results, 'table-1', 'runs', 'tco-baseline', 'cpu64', 'chair-seed0', 'results.json'), '{"a":1}');
  put(join(results, 'table-1', 'runs', 'unet-baselines', 'cpu64', 'chair-seed0', 'results.json'), '{"b":1}');
  put(join(results, 'sweep', 'runs', 'label-count-sweep', 'cpu64', 'chair', 'records.partial.json'), '{"records":[1]}');
  put(join(results, 'no-runs-here', 'README.md'), '#');
  const runs = join(root, 'runs-a');
  put(join(runs, 'tco-baseline', 'cpu64', 'chair-seed0', 'results.json'), '{"a":1}');
  put(join(runs, 'label-count-sweep', 'cpu64', 'chair', 'records.partial.json'), '{"records":[1,2]}');
  const o = { runsDir: runs, resultsRoot: results, pretrainedRoot: join(root, 'no-pretrained') };

  const dry = restoreRuns({ ...o, dryRun: true });
  assert.equal(existsSync(join(runs, 'unet-baselines')), false, 'a dry run copies nothing');
  const acts = restoreRuns(o);
  assert.deepEqual(acts, dry);
  const kinds = Object.fromEntries(acts.map((a) => ['file' in a ? a.file.slice(runs.length + 1) : '', a.kind]));
  assert.deepEqual(kinds, {
    'label-count-sweep/cpu64/chair/records.partial.json': 'kept-local',
    'tco-baseline/cpu64/chair-seed0/results.json': 'identical',
    'unet-baselines/cpu64/chair-seed0/results.json': 'copied',
  });
  assert.equal(readFileSync(join(runs, 'unet-baselines', 'cpu64', 'chair-seed0', 'results.json'), 'utf8'), '{"b":1}');
  assert.equal(readFileSync(join(runs, 'label-count-sweep', 'cpu64', 'chair', 'records.partial.json'), 'utf8'), '{"records":[1,2]}', 'the local journal is never replaced');
});

test('a current published result replaces a stale local one (the first publication restored, then its rerun); never the reverse', () => {
  const results = join(root, 'results-stale');
  const fewshot = (versions?: number) => JSON.stringify({ schema: 'semantic-srn/eval-results@1', method: 'unet-fewshot', mIOU: versions ? 0.6 : 0.61, ...(versions ? { codeVersions: { reflectPadGrad: versions } } : {}) });
  const rel = join('unet-baselines', 'cpu64', 'chair-seed1', 'unet-fewshot', 'results.json');
  const oracle = join('unet-baselines', 'cpu64', 'chair-seed1', 'unet-oracle', 'results.json');
  // Publications are restored in name order: here the stale first one, then its rerun.
  put(join(results, 'a-first', 'runs', rel), fewshot());
  put(join(results, 'b-rerun', 'runs', rel), fewshot(2));
  put(join(results, 'b-rerun', 'runs', oracle), fewshot());
  const runs = join(root, 'runs-stale');
  put(join(runs, oracle), fewshot(2)); // current local work: a stale publication never replaces it
  const o = { runsDir: runs, resultsRoot: results, pretrainedRoot: join(root, 'no-pretrained') };
  const dry = restoreRuns({ ...o, dryRun: true });
  const acts = restoreRuns(o);
  assert.deepEqual(dry, acts, 'a dry run sees the copies it would make');
  assert.deepEqual(acts.map((a) => [a.kind, 'file' in a ? a.file.slice(runs.length + 1) : '']), [
    ['copied', rel],
    ['replaced-stale', rel],
    ['kept-local', oracle],
  ]);
  const replaced = acts.find((a) => a.kind === 'replaced-stale') as { stale: string };
  assert.match(replaced.stale, /unet-fewshot: made with reflection-padding gradient v1/);
  assert.equal(readFileSync(join(runs, rel), 'utf8'), fewshot(2));
  assert.equal(readFileSync(join(runs, oracle), 'utf8'), fewshot(2));
  assert.match((acts.find((a) => a.kind === 'kept-local') as { publishedStale?: string }).publishedStale ?? '', /made with reflection-padding gradient v1/);
});

test('a carried semantic SRN is unpacked unless the runs folder holds it at that step or later', () => {
  const before = tf.memory().numTensors;
  const pretrained = join(root, 'pretrained');
  packSemantic(semanticCache(join(root, 'made'), 3), { trainedAt: 'HEAD', command: 'x', destRoot: pretrained });
  const o = { resultsRoot: join(root, 'none'), pretrainedRoot: pretrained };

  const fresh = join(root, 'runs-fresh');
  assert.deepEqual(restoreRuns({ ...o, runsDir: fresh }).map((a) => a.kind), ['unpacked']);
  assert.equal(findCheckpoint(join(fresh, 'semantic', key, 'checkpoint'))!.manifest.step, 3);
  assert.deepEqual(restoreRuns({ ...o, runsDir: fresh }).map((a) => [a.kind, 'localStep' in a ? a.localStep : null]), [['kept-newer', 3]], 'a second restore leaves it');

  const ahead = join(root, 'runs-ahead');
  semanticCache(ahead, 4);
  assert.deepEqual(restoreRuns({ ...o, runsDir: ahead }).map((a) => a.kind), ['kept-newer']);
  assert.equal(findCheckpoint(join(ahead, 'semantic', key, 'checkpoint'))!.manifest.step, 4, 'its own checkpoint (exact moments) stays');

  const behind = join(root, 'runs-behind');
  semanticCache(behind, 2);
  assert.deepEqual(restoreRuns({ ...o, runsDir: behind, dryRun: true }).map((a) => [a.kind, 'localStep' in a ? a.localStep : null]), [['unpacked', 2]]);
  assert.equal(findCheckpoint(join(behind, 'semantic', key, 'checkpoint'))!.manifest.step, 2, 'a dry run unpacks nothing');
  restoreRuns({ ...o, runsDir: behind });
  assert.equal(findCheckpoint(join(behind, 'semantic', key, 'checkpoint'))!.manifest.step, 3);
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
});
