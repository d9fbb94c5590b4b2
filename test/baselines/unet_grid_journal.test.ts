/** The 30-shot U-Net's dropout search journalled per candidate: resuming gives the uninterrupted run's choice and weights. */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { baselineConfig } from '../../lib/baselines/config';
import { disposeRecord } from '../../lib/baselines/layers';
import { UnetGridJournal } from '../../lib/baselines/unet_grid_journal';
import { memoryImageSet, trainFewShotUnet, type UnetTrainResult } from '../../lib/baselines/unet_train';
import { useBackend } from '../helpers/tf';
import { noiseImages } from './noise_images';

before(async () => {
  await useBackend('wasm');
});

const S = 16;
const C = 3;

const images = (n: number, seed: number) => noiseImages(n, seed, 'grid-journal-images', S, C);

const train = memoryImageSet(images(4, 1), S);
const val = memoryImageSet(images(2, 2), S);
const unet = (grid: number[]) => {
  const u = baselineConfig('tiny').unet;
  return { ...u, fewShot: { ...u.fewShot, steps: 3, evalEvery: 1, patience: 5, dropoutGrid: grid } };
};

const weightsOf = (net: { params: { snapshot(): Record<string, tf.Tensor> } }) => {
  const w = net.params.snapshot();
  const out = Object.fromEntries(Object.entries(w).map(([k, t]) => [k, Array.from(t.dataSync())]));
  disposeRecord(w);
  return out;
};

const stagesOf = async (cfg: ReturnType<typeof unet>, journal?: UnetGridJournal<UnetTrainResult>) => {
  const stages = new Set<string>();
  const r = await trainFewShotUnet(cfg, train, val, C, 7, { journal, onProgress: (p) => stages.add(p.stage) });
  const out = { dropout: r.dropout, grid: r.grid.map((g) => [g.dropout, g.bestValMIOU, g.bestStep]), weights: weightsOf(r.net), stages: [...stages], history: r.train.history };
  r.net.dispose();
  return out;
};

describe('UnetGridJournal', () => {
  it('a search resumed after its first candidate trains only the rest and ends with the same dropout, grid and weights', async () => {
    const full = await stagesOf(unet([0, 0.5, 0.2]));
    assert.deepEqual(full.stages.sort(), ['unet-fewshot p=0', 'unet-fewshot p=0.2', 'unet-fewshot p=0.5']);
    const dir = join(mkdtempSync(join(tmpdir(), 'grid-')), 'g');
    const first = await stagesOf(unet([0]), new UnetGridJournal<UnetTrainResult>(dir, { run: 1 }));
    assert.deepEqual(first.stages, ['unet-fewshot p=0']);
    const before = tf.memory().numTensors;
    const journal = new UnetGridJournal<UnetTrainResult>(dir, { run: 1 });
    assert.deepEqual(journal.resumeLines(3), [`dropout search resumed at 1 of 3 candidates: p=0 val mIOU ${(100 * first.grid[0][1]!).toFixed(1)}% (${dir})`]);
    const resumed = await stagesOf(unet([0, 0.5, 0.2]), journal);
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(resumed.stages.sort(), ['unet-fewshot p=0.2', 'unet-fewshot p=0.5']);
    assert.equal(resumed.dropout, full.dropout);
    assert.deepEqual(resumed.grid, full.grid);
    assert.deepEqual(resumed.weights, full.weights);
    assert.deepEqual(resumed.history, full.history);
  });

  it('a search found whole in the journal trains nothing and loads the best weights from disk', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'grid-')), 'g');
    const ran = await stagesOf(unet([0, 0.5]), new UnetGridJournal<UnetTrainResult>(dir, 'fp'));
    const j = new UnetGridJournal<UnetTrainResult>(dir, 'fp');
    assert.deepEqual(j.candidates.map((c) => c.dropout), [0, 0.5]);
    assert.equal(j.bestDropout, ran.dropout);
    assert.equal(readdirSync(dir).filter((f) => f.endsWith('.bin')).length, 1, 'only the best candidate\'s weights are kept');
    const again = await stagesOf(unet([0, 0.5]), j);
    assert.deepEqual(again.stages, []);
    assert.deepEqual(again.weights, ran.weights);
    assert.equal(again.dropout, ran.dropout);
  });

  it('sets aside a journal of another fingerprint or with damaged weights, and refuses non-finite weights', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'grid-')), 'g');
    await stagesOf(unet([0]), new UnetGridJournal<UnetTrainResult>(dir, 'a'));
    const other = new UnetGridJournal<UnetTrainResult>(dir, 'b');
    assert.match(other.setAside ?? '', /\/g\.other-config-/);
    assert.equal(other.candidates.length, 0);
    assert.ok(existsSync(join(other.setAside!, 'grid.json')), 'set aside, not deleted');

    await stagesOf(unet([0]), new UnetGridJournal<UnetTrainResult>(dir, 'b'));
    const bin = readdirSync(dir).find((f) => f.endsWith('.bin'))!;
    const bytes = readFileSync(join(dir, bin));
    bytes[10] ^= 0xff;
    writeFileSync(join(dir, bin), bytes);
    const damaged = new UnetGridJournal<UnetTrainResult>(dir, 'b');
    assert.match(damaged.setAside ?? '', /\/g\.unreadable-/);
    assert.equal(damaged.candidates.length, 0);

    const j = new UnetGridJournal<UnetTrainResult>(dir, 'c');
    const w = { a: tf.tensor1d([1, 2]), b: tf.tensor1d([0, 0]) };
    const result = { steps: 1, history: [1], validation: [[1, 0.5]] as [number, number][], bestValMIOU: 0.5, bestStep: 1, stoppedEarly: false, seconds: 0.1 };
    j.add({ dropout: 0, result }, w);
    const bad = { a: tf.tensor1d([1, NaN]), b: tf.tensor1d([0, 0]) };
    assert.throws(() => j.add({ dropout: 0.5, result: { ...result, bestValMIOU: 0.9 } }, bad), /tensor 'a' of the U-Net with dropout 0.5 is not finite/);
    const reopened = new UnetGridJournal<UnetTrainResult>(dir, 'c');
    assert.deepEqual(reopened.candidates.map((c) => c.dropout), [0]);
    const back = reopened.bestWeights();
    assert.deepEqual(Array.from(back.a.dataSync()), [1, 2]);
    tf.dispose([...Object.values(w), ...Object.values(bad), ...Object.values(back)]);
  });
});
