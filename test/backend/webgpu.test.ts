/**
 * The webgpu rung: a training step (loss, every gradient, the Adam update) and a render match the cpu backend.
 * Here (no GPU) the adapter is Mesa's llvmpipe through Dawn's OpenGL ES backend; where Dawn finds no adapter the
 * numeric tests skip with its reason (they fail instead under SRN_REQUIRE_WEBGPU=1, as in CI).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { presetConfig } from '../../lib/config/presets';
import { fusedKernelBackend, nativeBackend } from '../../lib/backend/native_ops';
import { selectBackend } from '../../lib/backend/select';
import { isCpuAdapter, SYNC_READ_ERROR } from '../../lib/backend/webgpu';
import { LatentTable } from '../../lib/latent/table';
import { SrnModel } from '../../lib/srn/model';
import { DenseAdam, SparseAdam } from '../../lib/training/adam';
import { batchFromViews } from '../../lib/training/data';
import { trainableNames } from '../../lib/training/stages';
import { Rng } from '../../lib/util/random';
import { fitLatentAsync, renderRgbAsync, trainStepAsync } from '../../bench/gpu_step';
import { assertNoTensorLeak } from '../helpers/tf';
import { sphereViews } from '../training/fixtures';

const cfg = presetConfig('tiny');

interface StepOutcome { loss: number; gradients: Record<string, Float32Array>; after: Record<string, Float32Array>; code: Float32Array; rgb: Float32Array }

/** One step of pretraining on two sphere views (seeded), then a 16² render, on the active backend. */
async function stepOnce(): Promise<StepOutcome> {
  // Built on cpu: the LSTM init reads synchronously (model.ts); tensors move to the active backend when used.
  const backend = tf.getBackend();
  await tf.setBackend('cpu');
  const model = new SrnModel(cfg.model, { numInstances: 2, seed: 3 });
  await tf.setBackend(backend);
  const names = trainableNames(model, ['hypernet', 'raymarcher', 'renderer']);
  const adam = new DenseAdam(new Map(names.map((n) => [n, model.params.get(n)!.variable])), cfg.training.pretrain.dense);
  const table = new LatentTable(2, cfg.model.latentDim, { std: 0.5, seed: 5 });
  const views = [...sphereViews(8, 1, 0), ...sphereViews(8, 1, 1, 0.35)];
  const batch = batchFromViews(views);
  const rec = await trainStepAsync({
    model, batch, weights: { img: 200, ce: 0, latent: 1, depth: 0 }, dense: { adam, names },
    latent: { table, rows: [0, 1], adam: new SparseAdam(table, cfg.training.pretrain.latent) }, raysPerImage: 40, rng: new Rng('webgpu-test'),
  }, true);
  const after: Record<string, Float32Array> = {};
  for (const n of names) after[n] = (await model.params.get(n)!.variable.data()) as Float32Array;
  const rgb = await renderRgbAsync(model, table.row(0), views[0].view.pose, views[0].view.intrinsics, 16, 100);
  tf.dispose([batch.instanceIndex, batch.rgba, batch.cam2world, batch.intrinsics]);
  adam.dispose();
  model.dispose();
  return { loss: rec.loss, gradients: rec.gradients!, after, code: table.row(0), rgb };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

describe('webgpu backend', () => {
  let skip: string | undefined;
  let reference: StepOutcome;
  before(async () => {
    await selectBackend({ backend: 'cpu' });
    reference = await stepOnce();
    try {
      await selectBackend({ backend: 'webgpu' });
      // Else ops on small inputs that still sit on the host run on tfjs's cpu kernels: test the GPU kernels.
      tf.env().set('WEBGPU_CPU_FORWARD', false);
    } catch (e) {
      // CI installs Mesa's EGL/GLES (.ci/run) and sets this: there the tests must run, not skip.
      if (process.env.SRN_REQUIRE_WEBGPU === '1') throw e;
      skip = `no WebGPU adapter: ${(e as Error).message}`;
    }
  });

  it('the async step, render and fit leave no tensors behind (cpu)', async () => {
    await selectBackend({ backend: 'cpu' });
    const model = new SrnModel(cfg.model, { numInstances: 1, seed: 1 });
    const names = trainableNames(model, ['renderer']);
    const adam = new DenseAdam(new Map(names.map((n) => [n, model.params.get(n)!.variable])), cfg.training.pretrain.dense);
    const table = new LatentTable(1, cfg.model.latentDim, { seed: 2 });
    const views = sphereViews(8, 1, 0);
    const batch = batchFromViews(views);
    await assertNoTensorLeak(async () => {
      await trainStepAsync({
        model, batch, weights: { img: 200, ce: 0, latent: 1, depth: 0.001 }, dense: { adam, names },
        latent: { table, rows: [0], adam: new SparseAdam(table, cfg.training.pretrain.latent) }, raysPerImage: 16, rng: new Rng('leak'),
      });
      await renderRgbAsync(model, table.row(0), views[0].view.pose, views[0].view.intrinsics, 8, 20);
      await fitLatentAsync(model, views, { steps: 2, raysPerImage: 16, initStd: 0.01, adam: cfg.training.latentFit.latent, weights: cfg.training.latentFit.weights, seed: 0 });
    });
    tf.dispose([batch.instanceIndex, batch.rgba, batch.cam2world, batch.intrinsics]);
    adam.dispose();
    model.dispose();
  });

  it('tells software adapters from GPUs', () => {
    assert.equal(isCpuAdapter({ device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'OpenGL ES 3.2 Mesa 22.3.6' }), true);
    assert.equal(isCpuAdapter({ vendor: 'google', description: 'SwiftShader Device (Subzero)' }), true);
    assert.equal(isCpuAdapter({ vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H200' }), false);
    assert.equal(isCpuAdapter({ vendor: 'nvidia', isFallbackAdapter: true }), true);
  });

  it('reports the adapter, runs our fused ops as core ops and refuses synchronous reads with the reason', async (t) => {
    if (skip) return t.skip(skip);
    await selectBackend({ backend: 'webgpu' });
    assert.equal(tf.getBackend(), 'webgpu');
    assert.equal(nativeBackend(), null);
    assert.equal(fusedKernelBackend(), null);
    const y = tf.add(tf.ones([3]), 1);
    assert.deepEqual(Array.from(await y.data()), [2, 2, 2]);
    const z = tf.mul(y, 2);
    assert.throws(() => z.dataSync(), { message: SYNC_READ_ERROR });
    tf.dispose([y, z]);
  });

  it('runs a training step and a render that match the cpu backend (loss, gradients, Adam update, pixels)', async (t) => {
    if (skip) return t.skip(skip);
    await selectBackend({ backend: 'webgpu' });
    const got = await stepOnce();
    assert.ok(Number.isFinite(reference.loss) && reference.loss > 0, `cpu loss ${reference.loss}`);
    assert.ok(Math.abs(got.loss - reference.loss) <= 1e-4 * reference.loss, `loss webgpu ${got.loss} vs cpu ${reference.loss}`);
    assert.deepEqual(Object.keys(got.gradients).sort(), Object.keys(reference.gradients).sort());
    for (const [name, g] of Object.entries(reference.gradients)) {
      const scale = Math.max(maxAbs(g), 1e-6);
      assert.ok(maxAbsDiff(got.gradients[name], g) <= 1e-3 * scale, `gradient of ${name}: max diff ${maxAbsDiff(got.gradients[name], g)} (scale ${scale})`);
    }
    for (const [name, v] of Object.entries(reference.after)) {
      assert.ok(maxAbsDiff(got.after[name], v) <= 1e-5 + 1e-4 * maxAbs(v), `${name} after the Adam step`);
    }
    assert.ok(maxAbsDiff(got.code, reference.code) <= 1e-5, 'latent code after SparseAdam');
    assert.ok(maxAbsDiff(got.rgb, reference.rgb) <= 1e-3 * Math.max(1, maxAbs(reference.rgb)), `render max diff ${maxAbsDiff(got.rgb, reference.rgb)}`);
  });
});
