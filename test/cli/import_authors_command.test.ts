import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '../../lib/training/checkpoint';
import { useBackend } from '../helpers/tf';
import { cli } from '../helpers/cli';
import { makeTestSplit } from '../eval/fixture';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'authors-tiny');
const root = makeTestSplit(70, 1);
before(async () => useBackend());
after(() => rmSync(root, { recursive: true, force: true }));

test("import-authors: the authors' .pth files become a checkpoint that eval scores", async () => {
  const ck = join(root, 'authors', 'checkpoints', 'probe');
  const r = await cli(['import-authors', '--srn', join(FIX, 'srn.pth'), '--linear', join(FIX, 'linear.pth'), '--class', 'chair', '--tracing-steps', '10', '--preset', 'cpu', '--out', ck]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /SRN: latent 16, phi 4 × 32, hypernetwork 2 × 16, LSTM 16, 10 marching steps, renderer 5 × 32; 3 training codes/);
  assert.match(r.out, /heads: linear, unet \(6 classes\); U-Net nf0 4, 3 downs, max 8/);
  assert.match(r.out, /next: semantic-srn eval --checkpoint .*authors\/checkpoints\/probe/);
  const m = loadCheckpoint(ck).manifest;
  assert.equal(m.config.data.className, 'Chair');
  assert.equal(m.numInstances, 3);
  assert.deepEqual([m.config.preset, m.config.training.latentFit.objectsPerStep], ['cpu', 10]);
  const e = await cli(['eval', '--checkpoint', ck, '--data', root, '--fit-steps', '2', '--fit-side', '4', '--side', '4', '--majority-class', '2']);
  assert.equal(e.code, 0, e.err);
  const out = join(root, 'authors', 'results-single.json');
  assert.ok(existsSync(out));
  const res = JSON.parse(readFileSync(out, 'utf8'));
  assert.deepEqual([res.counts.instances, res.counts.images, res.config.latentFitSteps], [1, 70, 2]);
  assert.ok(res.mIOU >= 0 && res.mIOU <= 1);
});

test('import-authors: a missing --srn or a bad --tracing-steps exits 2 with the reason', async () => {
  const a = await cli(['import-authors']);
  assert.equal(a.code, 2);
  assert.match(a.err, /--srn is required/);
  const b = await cli(['import-authors', '--srn', join(FIX, 'srn.pth'), '--tracing-steps', '0']);
  assert.equal(b.code, 2);
  assert.match(b.err, /--tracing-steps must be a positive integer, got '0'/);
});
