/**
 * node-gpu: tfjs-node built by `npm run setup:native -- --gpu` against TensorFlow's GPU wheel. Without a GPU it
 * must run on the CPU and say why; with one, our CPU-only fused kernels stay off. Skips where the build is absent.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { probeCudaDriver } from '../../lib/backend/cuda_probe';
import { FUSED_KERNELS_GPU_REASON, fusedKernelsVeto, type BackendReport } from '../../lib/backend/select';

const build = join(__dirname, '..', '..', '.cache', 'native-gpu', 'tfjs-node', 'package.json');
const noBuild = existsSync(build) ? undefined : `${build} is absent (npm run setup:native -- --gpu builds it)`;

function child(env: Record<string, string>): { report: BackendReport; matMul: number[]; grad: number[]; second: string; error?: string } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'node_gpu.ts')], {
    env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'],
  });
  const r = JSON.parse(out.trim().split('\n').pop()!);
  if (r.error) throw new Error(r.error);
  return r;
}

describe('node-gpu', () => {
  it('keeps the CPU-only fused kernels off on a GPU device, and on for the CPU', () => {
    const base = { disabled: false, localBuild: true, path: '/x/srn_ops.node', exists: true };
    assert.equal(fusedKernelsVeto({ ...base, onGpu: true }), FUSED_KERNELS_GPU_REASON);
    assert.equal(fusedKernelsVeto({ ...base, onGpu: false }), undefined);
    assert.match(fusedKernelsVeto({ ...base, onGpu: false, exists: false })!, /srn_ops.node is missing/);
    assert.equal(fusedKernelsVeto({ ...base, onGpu: false, disabled: true }), 'SRN_FUSED_KERNELS=0');
  });

  it('probes the NVIDIA driver without loading TensorFlow', () => {
    const p = probeCudaDriver();
    assert.equal(typeof p.present, 'boolean');
    if (p.present) assert.match(p.detail, /libcuda\.so\.1/);
    else assert.match(p.detail, /no NVIDIA driver/);
  });

  it('SRN_BACKEND=node-gpu loads the GPU build, computes, reports the device or why it runs on the CPU', (t) => {
    if (noBuild) return t.skip(noBuild);
    const r = child({ SRN_BACKEND: 'node-gpu' });
    assert.equal(r.report.chosen, 'node-gpu');
    assert.equal(r.report.tfBackend, 'tensorflow');
    assert.deepEqual(r.matMul, [19, 22, 43, 50]);
    assert.deepEqual(r.grad, [2, -4]);
    const n = r.report.native!;
    assert.ok(n.gpu, 'the report has a gpu section');
    if (n.gpu.used) {
      assert.equal(n.fusedKernels, false);
      assert.equal(n.fusedKernelsReason, FUSED_KERNELS_GPU_REASON);
    } else {
      assert.ok(n.gpu.reason && n.gpu.reason.length > 0, 'says why it runs on the CPU');
      assert.equal(n.fusedKernels, true, n.fusedKernelsReason);
    }
    // One TensorFlow per process: the CPU build cannot join.
    assert.match(r.second, /another TensorFlow build .*native-gpu.* is already loaded/);
  });

  it('auto skips node-gpu without a driver, before loading it', (t) => {
    if (noBuild) return t.skip(noBuild);
    if (probeCudaDriver().present) return t.skip('an NVIDIA driver is present here');
    const r = child({ SRN_BACKEND: 'auto' });
    assert.notEqual(r.report.chosen, 'node-gpu');
    assert.match(r.report.skipped.find((s) => s.backend === 'node-gpu')!.reason, /no NVIDIA driver/);
  });
});
