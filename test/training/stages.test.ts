import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, renameSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend, assertNoTensorLeak, maxAbsDiff } from '../helpers/tf';
import { presetConfig, PRESET_NAMES } from '../../lib/config';
import { SrnModel, renderViews, interpolateCodes } from '../../lib/srn';
import {
  pretrain, trainSemantic, fitLinearProbe, fitLatentCodes, memorySource, trainStep, DenseAdam, SparseAdam, trainableNames, batchFromViews,
  saveCheckpoint, loadCheckpoint, restoreModel, fitGroups, checkpointMaxAge,
} from '../../lib/training';
import { Rng } from '../../lib/util/random';
import { sphereViews } from './fixtures';

const quiet = { onProgress: false as const };
const snapshot = (m: SrnModel) => new Map(m.params.list().map((p) => [p.name, Float32Array.from(p.variable.dataSync())]));
function assertSame(m: SrnModel, snap: Map<string, Float32Array>, except = '') {
  for (const p of m.params.list()) {
    if (except && p.name.startsWith(except)) continue;
    assert.deepEqual(Float32Array.from(p.variable.dataSync()), snap.get(p.name), `${p.name} changed`);
  }
}

test('overfit: one object, 4 views, RGB loss falls by 3× within 40 steps (cpu)', async () => {
  await useBackend('cpu');
  const cfg = presetConfig('tiny', {
    model: { phiWidth: 24, hyperHidden: 24, rendererWidth: 24 },
    training: { pretrain: { schedule: [{ side: 8, batchSize: 2, steps: 40 }], dense: { lr: 3e-3 }, latent: { lr: 3e-3 } } },
  });
  const m = new SrnModel(cfg.model, { numInstances: 1 });
  const r = await pretrain(cfg, m, memorySource(sphereViews(8, 4)), quiet);
  const first = r.history.slice(0, 3).reduce((s, h) => s + h.img!, 0) / 3;
  const last = r.history.slice(-5).reduce((s, h) => s + h.img!, 0) / 5;
  assert.ok(last < first / 3, `img loss ${first} → ${last}`);
  r.adam?.dispose();
  m.dispose();
});

test('no tensor leak across training steps (pretrain with ray subset, semantic with U-Net)', async () => {
  await useBackend('cpu');
  const cfg = presetConfig('tiny');
  const views = sphereViews(8, 3);
  const m = new SrnModel(cfg.model, { numInstances: 1, heads: ['unet'] });
  const names = trainableNames(m, ['hypernet', 'raymarcher', 'renderer', 'segHead'], 'unet');
  const adam = new DenseAdam(new Map(names.map((n) => [n, m.params.get(n)!.variable])), cfg.training.pretrain.dense);
  const latentAdam = new SparseAdam(m.latents, cfg.training.pretrain.latent);
  let step = 0;
  const run = (ce: number, rays: number | null) => () => {
    const batch = batchFromViews(views.slice(0, 2));
    trainStep({
      model: m, batch, weights: { img: 200, ce, latent: 1, depth: 1e-3 }, dense: { adam, names },
      latent: { table: m.latents, rows: [0, 0], adam: latentAdam }, head: m.head('unet'), raysPerImage: rays, rng: new Rng(step++),
    });
    tf.dispose([batch.instanceIndex, batch.rgba, batch.cam2world, batch.intrinsics, batch.labels!]);
  };
  await assertNoTensorLeak(run(0, 20));
  await assertNoTensorLeak(run(8, null));
  adam.dispose();
  m.dispose();
});

test('linear probe: only the head trains; the frozen SRN (and codes) stay bit-identical', async () => {
  await useBackend('cpu');
  const cfg = presetConfig('tiny', { training: { probe: { steps: 6, batchSize: 2 } } });
  const views = [...sphereViews(8, 2, 0), ...sphereViews(8, 2, 1)];
  const m = new SrnModel(cfg.model, { numInstances: 2 });
  const snap = snapshot(m);
  const codes = m.latents.values.slice();
  const r = await fitLinearProbe(cfg, m, views, quiet);
  assert.equal(r.head.kind, 'linear');
  assert.equal(r.history.length, 6);
  assertSame(m, snap, 'segHead.');
  assert.deepEqual(m.latents.values, codes);
  // The head did move, and its loss fell.
  assert.ok(r.history[5].loss < r.history[0].loss);
  m.dispose();
});

test('linear probe: a Ctrl-C part-way rejects (a part-trained head is never returned as finished) and leaks nothing', async () => {
  await useBackend('cpu');
  const cfg = presetConfig('tiny', { training: { probe: { steps: 6, batchSize: 2, cacheFeatures: true } } });
  const views = [...sphereViews(8, 2, 0), ...sphereViews(8, 2, 1)];
  const m = new SrnModel(cfg.model, { numInstances: 2 });
  const before = tf.memory().numTensors;
  const ctl = new AbortController();
  const seen: number[] = [];
  await assert.rejects(
    fitLinearProbe(cfg, m, views, { ...quiet, signal: ctl.signal, onMetrics: (s) => (seen.push(s), s === 2 && ctl.abort()) }),
    /interrupted during the linear probe at step 2 of 6: nothing is kept/,
  );
  assert.deepEqual(seen, [1, 2]);
  // The head's own variables were added to the model; the feature cache and Adam moments are gone.
  const headTensors = m.params.list(['segHead']).length;
  assert.equal(tf.memory().numTensors - before, headTensors);
  m.dispose();
});

test('latent fitting: only the fresh codes move (RGB, mask through the linear head, both)', async () => {
  await useBackend('cpu');
  const cfg = presetConfig('tiny', { training: { latentFit: { steps: 5 } } });
  const m = new SrnModel(cfg.model, { numInstances: 2, heads: ['linear'] });
  const snap = snapshot(m);
  const table = m.latents.values.slice();
  const obs = sphereViews(8, 3, 0);
  for (const target of ['rgb', 'mask', 'both'] as const) {
    const r = await fitLatentCodes(cfg, m, [obs, obs.slice(0, 1)], { ...quiet, target });
    assert.equal(r.codes.length, 2);
    assert.equal(r.history[0].length, 5);
    assertSame(m, snap);
    assert.deepEqual(m.latents.values, table);
    if (target === 'mask') {
      // Linear head: 8·CE only, no regularisers (reference §4.5).
      assert.equal(r.history[0][0].latent, undefined);
      assert.equal(r.history[0][0].depth, undefined);
    }
    // The code moved away from its N(0, 0.01) start.
    const start = new LatentTable0(cfg.seed).first(m.cfg.latentDim);
    assert.ok(maxAbsDiff(r.codes[0], start) > 0);
  }
  m.dispose();
});

test('joint latent fit: objects sharing a step get the codes of their solo fits (rgb, mask through U-Net, ray subsets)', async () => {
  await useBackend('cpu');
  const m = new SrnModel(presetConfig('tiny').model, { numInstances: 1, heads: ['linear', 'unet'] });
  // Three objects with different colours/radii.
  const objects = [sphereViews(8, 2, 0, 0.45), sphereViews(8, 2, 0, 0.3, [-0.5, 0.6, 0.1]), sphereViews(8, 3, 0, 0.5, [0.1, 0.1, 0.9])];
  const cases = [
    { target: 'rgb' as const, batchSize: 1, raysPerImage: null, objs: objects },
    { target: 'rgb' as const, batchSize: 2, raysPerImage: 20, objs: objects },
    { target: 'mask' as const, head: 'unet' as const, batchSize: 2, raysPerImage: null, objs: [objects[0], objects[2].slice(0, 1), objects[1], objects[2]] }, // 2, 1, 2, 2 images per step → 3 groups
  ];
  for (const c of cases) {
    const cfg = presetConfig('tiny', { training: { latentFit: { steps: 6, batchSize: c.batchSize, raysPerImage: c.raysPerImage, unetHeadMode: 'eval' } } });
    const solo = await fitLatentCodes(cfg, m, c.objs, { ...quiet, target: c.target, head: c.head, objectsPerStep: 1 });
    const joint = await fitLatentCodes(cfg, m, c.objs, { ...quiet, target: c.target, head: c.head, objectsPerStep: 4 });
    assert.equal(joint.codes.length, c.objs.length);
    c.objs.forEach((_, o) => {
      const moved = maxAbsDiff(solo.codes[o], Rng.derive(cfg.seed, 'latentFit', o).normalArray(m.cfg.latentDim, 0, 0.01));
      assert.ok(moved > 1e-4, `${c.target}: object ${o} did not move (${moved})`);
      assert.ok(maxAbsDiff(joint.codes[o], solo.codes[o]) < 1e-3 * moved, `${c.target}: object ${o} joint ≠ solo (${maxAbsDiff(joint.codes[o], solo.codes[o])} vs moved ${moved})`);
      assert.equal(joint.history[o].length, 6);
    });
    if (c === cases[0]) {
      // All three share each step: its reported loss is the mean of their solo losses.
      const meanSolo = (solo.history[0][0].loss + solo.history[1][0].loss + solo.history[2][0].loss) / 3;
      assert.ok(Math.abs(joint.history[0][0].loss - meanSolo) < 1e-4 * meanSolo, `${joint.history[0][0].loss} vs ${meanSolo}`);
      assert.equal(joint.history[0], joint.history[2]);
    }
    if (c === cases[2]) assert.notEqual(joint.history[1], joint.history[2]);
  }
  m.dispose();
});

test('mask fit through the U-Net head: train mode (reference) updates BN running statistics, eval mode does not', async () => {
  await useBackend('cpu');
  const obs = sphereViews(8, 2, 0);
  for (const mode of ['train', 'eval'] as const) {
    const cfg = presetConfig('tiny', { training: { latentFit: { steps: 2, unetHeadMode: mode } } });
    const m = new SrnModel(cfg.model, { numInstances: 1, heads: ['unet'] });
    const stats = () => new Map(Object.entries(m.head('unet').namedState()).map(([k, t]) => [k, Float32Array.from(t.dataSync())]));
    const before = stats();
    assert.ok(before.size > 0);
    await fitLatentCodes(cfg, m, [obs], { ...quiet, target: 'mask', head: 'unet' });
    const after = stats();
    const moved = [...before].some(([k, v]) => maxAbsDiff(v, after.get(k)!) > 0);
    assert.equal(moved, mode === 'train', `${mode}: running statistics ${moved ? 'moved' : 'stayed'}`);
    m.dispose();
  }
});

test('fitGroups: consecutive objects with equal images per step, at most `size` each', () => {
  assert.deepEqual(fitGroups([1, 1, 1, 1, 1], 2), [[0, 1], [2, 3], [4]]);
  assert.deepEqual(fitGroups([1, 1, 2, 2, 1], 10), [[0, 1], [2, 3], [4]]);
  assert.deepEqual(fitGroups([3], 4), [[0]]);
  assert.throws(() => presetConfig('tiny', { training: { latentFit: { objectsPerStep: 0 } } }), /config\.training\.latentFit\.objectsPerStep/);
});

class LatentTable0 {
  constructor(private readonly seed: number) {}
  first(dim: number): Float32Array {
    return Rng.derive(this.seed, 'latentFit', 0).normalArray(dim, 0, 0.01);
  }
}

test('maxAgeSeconds saves between the regular steps once that long has passed; 0 or kept checkpoints do not', async () => {
  await useBackend('cpu');
  const dir = mkdtempSync(join(tmpdir(), 'srn-ckpt-age-'));
  try {
    const cfg = presetConfig('tiny', { training: { semantic: { schedule: [{ side: 8, batchSize: 2, steps: 3 }] } } });
    const views = [...sphereViews(8, 3, 0), ...sphereViews(8, 3, 1)];
    const savedStep = (ck: string) => (existsSync(join(ck, 'manifest.json')) ? (JSON.parse(readFileSync(join(ck, 'manifest.json'), 'utf8')) as { step: number }).step : null);
    // What is on disk when each step is reported (before that step's save), then at the end.
    const run = async (ck: string, checkpoint: { every?: number; keep?: number; maxAgeSeconds?: number }) => {
      const seen: (number | null)[] = [];
      const m = new SrnModel(cfg.model, { numInstances: 2, heads: ['unet'] });
      const r = await trainSemantic(cfg, m, memorySource(views), { ...quiet, checkpoint: { dir: ck, every: 0, ...checkpoint }, onMetrics: () => seen.push(savedStep(ck)) });
      r.adam?.dispose();
      m.dispose();
      return [...seen, savedStep(ck)];
    };
    assert.deepEqual(await run(join(dir, 'age'), { maxAgeSeconds: 1e-9 }), [null, 1, 2, 3], 'a save after every step: each has aged past the limit');
    assert.deepEqual(await run(join(dir, 'off'), { maxAgeSeconds: 0 }), [null, null, null, 3], 'at the end only');
    assert.equal(checkpointMaxAge({}), 600, 'only the newest kept: 10 minutes');
    assert.equal(checkpointMaxAge({ keep: 2 }), 0, 'earlier ones kept at regular steps: none by age');
    assert.equal(checkpointMaxAge({ keep: 2, maxAgeSeconds: 30 }), 30);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('checkpoint resume is exact: 4 steps = 2 steps, save, load, 2 steps (cpu, U-Net + BN stats)', async () => {
  await useBackend('cpu');
  const dir = mkdtempSync(join(tmpdir(), 'srn-ckpt-'));
  try {
    const cfg = presetConfig('tiny', { training: { semantic: { schedule: [{ side: 8, batchSize: 2, steps: 4 }] } } });
    const views = [...sphereViews(8, 3, 0), ...sphereViews(8, 3, 1)];
    const a = new SrnModel(cfg.model, { numInstances: 2, heads: ['unet'] });
    const ra = await trainSemantic(cfg, a, memorySource(views), quiet);
    ra.adam?.dispose();
    const b = new SrnModel(cfg.model, { numInstances: 2, heads: ['unet'] });
    const rb = await trainSemantic(cfg, b, memorySource(views), { ...quiet, maxSteps: 2, checkpoint: { dir: join(dir, 'ck') } });
    rb.adam?.dispose();
    b.dispose();
    const c = restoreModel(join(dir, 'ck'));
    const rc = await trainSemantic(cfg, c, memorySource(views), { ...quiet, resumeFrom: join(dir, 'ck') });
    rc.adam?.dispose();
    assert.equal(rc.step, 4);
    assert.equal(rc.history.length, 2);
    const wa = a.namedWeights();
    const wc = c.namedWeights();
    assert.deepEqual(Object.keys(wa).sort(), Object.keys(wc).sort());
    for (const k of Object.keys(wa)) assert.equal(maxAbsDiff(wa[k], wc[k]), 0, k);
    assert.deepEqual(a.latents.values, c.latents.values);
    assert.deepEqual([ra.latentAdam.m, ra.latentAdam.v, ra.latentAdam.step], [rc.latentAdam.m, rc.latentAdam.v, rc.latentAdam.step]);
    // Interrupted write: the previous checkpoint stays readable (moved aside as .old).
    renameSync(join(dir, 'ck'), join(dir, 'ck.old'));
    assert.equal(loadCheckpoint(join(dir, 'ck')).manifest.step, 2);
    saveCheckpoint(join(dir, 'ck'), { config: cfg, model: c, stage: 'semantic', step: 4 });
    assert.ok(!existsSync(join(dir, 'ck.old')));
    assert.equal(loadCheckpoint(join(dir, 'ck')).manifest.step, 4);
    assert.throws(() => loadCheckpoint(join(dir, 'none')), /no checkpoint/);
    // A checkpoint written before a config field existed loads with that field's default; unknown fields are errors.
    const mpath = join(dir, 'ck', 'manifest.json');
    const manifest = JSON.parse(readFileSync(mpath, 'utf8'));
    delete manifest.config.training.latentFit.objectsPerStep;
    writeFileSync(mpath, JSON.stringify(manifest));
    assert.equal(loadCheckpoint(join(dir, 'ck')).manifest.config.training.latentFit.objectsPerStep, 1);
    manifest.config.training.latentFit.objectsPerStp = 2;
    writeFileSync(mpath, JSON.stringify(manifest));
    assert.throws(() => loadCheckpoint(join(dir, 'ck')), /manifest\.json: config\.training\.latentFit\.objectsPerStp: unknown field/);
    tf.dispose([...Object.values(wa), ...Object.values(wc)]);
    a.dispose();
    c.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rendering: chunked output equals one chunk; labels from a head; interpolation endpoints', async () => {
  await useBackend('cpu');
  const cfg = presetConfig('tiny');
  const m = new SrnModel(cfg.model, { numInstances: 2, heads: ['linear', 'unet'] });
  const v = sphereViews(8, 2)[0].view;
  const big = renderViews(m, m.latents.row(0), [v.pose], v.intrinsics, { side: 8, chunkRays: 64, head: 'linear' });
  const n0 = tf.memory().numTensors;
  const small = renderViews(m, m.latents.row(0), [v.pose, v.pose], v.intrinsics, { side: 8, chunkRays: 10, head: 'unet' });
  assert.equal(tf.memory().numTensors, n0, 'rendering leaks no tensors');
  assert.equal(small.length, 2);
  assert.ok(maxAbsDiff(big[0].rgba, small[0].rgba) < 1e-5);
  assert.ok(maxAbsDiff(big[0].depth, small[1].depth) < 1e-5);
  assert.equal(big[0].labels!.length, 64);
  assert.equal(small[0].points.length, 64 * 3);
  const frames = interpolateCodes(m, m.latents.row(0), m.latents.row(1), [v.pose, v.pose], v.intrinsics, { side: 8 });
  assert.ok(maxAbsDiff(frames[0].rgba, big[0].rgba) < 1e-5, 'frame 0 uses code A');
  m.dispose();
});

test('every preset trains: its whole schedule (each phase 1 step, side 8) with its optimisers and losses; paper widths shrunk (full widths: paper_preset.test.ts)', async () => {
  await useBackend('cpu');
  // Widths of the tiny preset for the presets whose hypernetwork has 51.5M parameters; the architecture stays.
  const small = presetConfig('tiny').model;
  const shrink = { latentDim: small.latentDim, phiWidth: small.phiWidth, hyperHidden: small.hyperHidden, rendererWidth: small.rendererWidth, mlpHeadWidth: small.mlpHeadWidth, unet: small.unet };
  assert.ok(PRESET_NAMES.length >= 4 && PRESET_NAMES.includes('paper-released'));
  for (const name of PRESET_NAMES) {
    const base = presetConfig(name);
    const big = base.model.hyperHidden > 64;
    const cfg = presetConfig(name, {
      ...(big ? { model: shrink } : {}),
      training: { pretrain: { schedule: base.training.pretrain.schedule.map(() => ({ side: 8, batchSize: 1, steps: 1 })), raysPerImage: 16 } },
    });
    assert.equal(cfg.training.pretrain.schedule.length, base.training.pretrain.schedule.length);
    const m = new SrnModel(cfg.model, { numInstances: 1 });
    const tensors = tf.memory().numTensors;
    const r = await pretrain(cfg, m, memorySource(sphereViews(8, 2)), quiet);
    assert.equal(r.history.length, base.training.pretrain.schedule.length, name);
    assert.ok(r.history.every((h) => Number.isFinite(h.loss) && h.loss > 0), name);
    r.adam?.dispose();
    assert.equal(tf.memory().numTensors, tensors, `${name}: no tensors left after training`);
    m.dispose();
  }
});

test('progress: default reporter writes step/s and ETA; callbacks get every step; abort stops', async () => {
  await useBackend('cpu');
  const cfg = presetConfig('tiny');
  const m = new SrnModel(cfg.model, { numInstances: 1 });
  const seen: number[] = [];
  const ctl = new AbortController();
  const r = await pretrain(cfg, m, memorySource(sphereViews(8, 2)), {
    onProgress: (p) => { assert.ok(p.stepsPerSecond > 0 && Number.isFinite(p.etaSeconds)); },
    onMetrics: (s) => { seen.push(s); if (s === 2) ctl.abort(); },
    signal: ctl.signal,
  });
  assert.deepEqual(seen, [1, 2]);
  assert.equal(r.aborted, true);
  r.adam?.dispose();
  m.dispose();
});

test('progress: a latent fit of several objects per step counts object-steps, so its ETA reaches 0 at the end', async () => {
  await useBackend('cpu');
  const cfg = presetConfig('tiny', { training: { latentFit: { steps: 3 } } });
  const m = new SrnModel(cfg.model, { numInstances: 1 });
  const obs = sphereViews(8, 2, 0);
  const seen: { step: number; total: number; unit: string; eta: number }[] = [];
  await fitLatentCodes(cfg, m, [obs, obs, obs], {
    objectsPerStep: 2,
    onProgress: (p) => seen.push({ step: p.step, total: p.total, unit: p.unit, eta: p.etaSeconds }),
  });
  // Groups {0,1} then {2}: 3 steps advancing 2 object-steps, then 3 advancing 1; 9 in all.
  assert.deepEqual(seen.map((s) => s.step), [2, 4, 6, 7, 8, 9]);
  assert.ok(seen.every((s) => s.total === 9 && s.unit === 'object-steps'));
  assert.equal(seen.at(-1)!.eta, 0);
  m.dispose();
});
