// Truncated, edited and incomplete checkpoints: every load verifies every tensor, and the error names the
// file and the tensor; a tensor missing from the manifest never loads as random weights (finding 3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBackend } from '../helpers/tf';
import { SrnModel } from '../../lib/srn';
import { CHECKPOINT_FORMAT, findCheckpoint, loadCheckpoint, loadModelState, restoreModel, restoreTrainingState, saveCheckpoint } from '../../lib/training';
import { tinyConfig } from './fixtures';

function fresh(t: { after: (fn: () => void) => void }) {
  const root = mkdtempSync(join(tmpdir(), 'srn-badck-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const cfg = tinyConfig(2);
  const model = new SrnModel(cfg.model, { numInstances: 2 });
  const dir = join(root, 'ck');
  saveCheckpoint(dir, { config: cfg, model, stage: 'pretrain', step: 2 });
  const mpath = join(dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(mpath, 'utf8'));
  return { root, dir, mpath, wpath: join(dir, 'weights.bin'), manifest, model, cfg };
}

test('the manifest lists every tensor with shape, dtype and sha256; extra optional fields are harmless', async (t) => {
  await useBackend('cpu');
  const { dir, mpath, manifest, model } = fresh(t);
  assert.equal(manifest.format, CHECKPOINT_FORMAT);
  const w = model.namedWeights();
  for (const name of [...Object.keys(w), 'latents.m', 'latents.v']) {
    const e = manifest.tensors.find((x: { name: string }) => x.name === name);
    assert.ok(e, `${name} listed`);
    assert.equal(e.dtype, 'float32');
    assert.match(e.sha256, /^[0-9a-f]{64}$/);
  }
  for (const v of Object.values(w)) v.dispose();
  // e.g. a `versions` record added later: ignored by this reader.
  writeFileSync(mpath, JSON.stringify({ ...manifest, versions: { model: 'x', dataset: 'y' } }));
  assert.equal(loadCheckpoint(dir).manifest.step, 2);
  model.dispose();
});

test('truncated or odd-length weights.bin, cut manifest.json, edited shape or bytes: errors name the file and the tensor', async (t) => {
  await useBackend('cpu');
  const { dir, mpath, wpath, manifest, model } = fresh(t);
  const bytes = readFileSync(wpath);
  const first = manifest.tensors[0].name;

  truncateSync(wpath, bytes.length - 2);
  assert.throws(() => loadCheckpoint(dir), (e: Error) => e.message.includes(`${wpath}: ${bytes.length - 2} bytes`) && /not even a whole number of float32 values/.test(e.message));
  truncateSync(wpath, bytes.length - 8);
  assert.throws(() => loadCheckpoint(dir), new RegExp(`weights\\.bin: ${bytes.length - 8} bytes, but .*manifest\\.json lists ${bytes.length / 4} float32 values .*truncated`));
  writeFileSync(wpath, bytes);

  const flipped = Buffer.from(bytes);
  flipped[1] ^= 0xff;
  writeFileSync(wpath, flipped);
  assert.throws(() => loadCheckpoint(dir), new RegExp(`weights\\.bin: tensor '${first.replace(/\./g, '\\.')}' does not match its sha256`));
  writeFileSync(wpath, bytes);

  const text = readFileSync(mpath, 'utf8');
  writeFileSync(mpath, text.slice(0, text.length / 2));
  assert.throws(() => loadCheckpoint(dir), /manifest\.json: not valid JSON \(truncated or edited\?/);

  const edited = structuredClone(manifest);
  edited.tensors[0].shape = [...edited.tensors[0].shape.slice(0, -1), edited.tensors[0].shape.at(-1) + 1];
  writeFileSync(mpath, JSON.stringify(edited));
  assert.throws(() => loadCheckpoint(dir), new RegExp(`manifest\\.json: tensor '${first.replace(/\./g, '\\.')}': shape \\[.*\\] has \\d+ values but the entry's length is \\d+ \\(edited\\?\\)`));

  const noStep = structuredClone(manifest);
  delete noStep.step;
  writeFileSync(mpath, JSON.stringify(noStep));
  assert.throws(() => loadCheckpoint(dir), /manifest\.json: field 'step' is missing, expected a non-negative integer/);
  writeFileSync(mpath, text);
  assert.equal(loadCheckpoint(dir).manifest.step, 2);
  model.dispose();
});

test('a tensor removed from the manifest (and its bytes) never loads silently with random weights', async (t) => {
  await useBackend('cpu');
  const { dir, mpath, wpath, manifest, model, cfg } = fresh(t);
  const victim = manifest.tensors.find((e: { name: string }) => e.name.startsWith('renderer.')) ?? manifest.tensors[1];
  const bytes = readFileSync(wpath);
  const kept = manifest.tensors.filter((e: { name: string }) => e !== victim);
  let offset = 0;
  const parts: Buffer[] = [];
  for (const e of kept) {
    parts.push(bytes.subarray(e.offset * 4, (e.offset + e.length) * 4));
    e.offset = offset;
    offset += e.length;
  }
  writeFileSync(wpath, Buffer.concat(parts));
  writeFileSync(mpath, JSON.stringify({ ...manifest, tensors: kept }));
  const ck = loadCheckpoint(dir); // a consistent file: it reads, but cannot load into a model
  const m2 = new SrnModel(cfg.model, { numInstances: 2 });
  const msg = new RegExp(`manifest\\.json: tensor '${victim.name.replace(/\./g, '\\.')}' is missing`);
  assert.throws(() => loadModelState(ck, m2), msg);
  assert.throws(() => restoreModel(dir), msg);
  assert.throws(() => restoreTrainingState(ck, m2), msg);
  m2.dispose();
  model.dispose();
});

test('every candidate corrupt: a clear error listing each, never a silent fresh start; a lone incomplete temporary is no checkpoint', async (t) => {
  await useBackend('cpu');
  const { root, dir, wpath, model } = fresh(t);
  cpSync(dir, `${dir}.old`, { recursive: true });
  truncateSync(wpath, 6);
  truncateSync(join(`${dir}.old`, 'weights.bin'), 6);
  assert.throws(() => findCheckpoint(dir), (e: Error) => e.message.startsWith(`${dir}: no usable checkpoint:`) && e.message.includes(wpath) && e.message.includes(join(`${dir}.old`, 'weights.bin')));
  const other = join(root, 'other');
  saveCheckpoint(other, { config: tinyConfig(2), model, stage: 'pretrain', step: 1 });
  cpSync(other, join(root, '.lonely.tmp-1-0'), { recursive: true });
  rmSync(join(root, '.lonely.tmp-1-0', 'manifest.json'));
  assert.equal(findCheckpoint(join(root, 'lonely')), undefined);
  assert.throws(() => loadCheckpoint(join(root, 'lonely')), /lonely: no checkpoint/);
  model.dispose();
});

test('a format-1 checkpoint (no dtype or sha256, as written before format 2) still loads, checked by size and shape', async (t) => {
  await useBackend('cpu');
  const { root, dir, mpath, manifest, model } = fresh(t);
  const v1 = { ...manifest, format: 'semantic-srn-checkpoint/1', tensors: manifest.tensors.map(({ dtype: _d, sha256: _s, ...e }: Record<string, unknown>) => e) };
  writeFileSync(mpath, JSON.stringify(v1));
  const ck = loadCheckpoint(dir);
  assert.equal(ck.manifest.format, 'semantic-srn-checkpoint/1');
  const restored = restoreModel(ck);
  assert.equal(restored.latents.count, ck.manifest.numInstances);
  restored.dispose();
  model.dispose();
  // Its size check applies too: a truncated copy is refused naming the file.
  cpSync(dir, join(root, 'v1'), { recursive: true });
  copyFileSync(mpath, join(root, 'v1', 'manifest.json'));
  truncateSync(join(root, 'v1', 'weights.bin'), 1000);
  assert.throws(() => loadCheckpoint(join(root, 'v1')), /v1\/weights\.bin: 1000 bytes, but/);
});
