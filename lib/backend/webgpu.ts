/**
 * The `webgpu` rung: @tensorflow/tfjs-backend-webgpu in Node through Dawn (the `webgpu` npm package: Vulkan on
 * Linux, Metal on macOS, D3D12 on Windows). Adapters are tried in this order:
 *  1. Dawn's default (core WebGPU, high-performance): a GPU's Vulkan/Metal/D3D12 driver;
 *  2. Dawn's OpenGL ES backend at WebGPU's `compatibility` feature level through EGL (surfaceless when no display):
 *     on a machine without a GPU that is Mesa's llvmpipe, a CPU adapter that makes the numeric tests real.
 * Debian 12's lavapipe (Vulkan on the CPU) is refused by Dawn itself ("Vulkan shaderUniform*ArrayDynamicIndexing
 * required"); forceFallbackAdapter finds nothing because the package ships no SwiftShader (docs/gpu.md).
 * Our fused kernels are TensorFlow kernels: on this backend fused_dense.ts runs its core-op path.
 */
import * as tf from '@tensorflow/tfjs';

export interface WebGpuReport {
  /** One line: device and driver, as Dawn reports them. */
  adapter: string;
  /** 'core' (Vulkan/Metal/D3D12) or 'compatibility' (Dawn's OpenGL ES backend). */
  featureLevel: 'core' | 'compatibility';
  /** A software rasteriser (llvmpipe, lavapipe, SwiftShader): correct, but slower than the CPU backends. */
  cpuAdapter: boolean;
  /** The options handed to Dawn's `create()` for the adapter in use. */
  dawnOptions: string[];
}

export interface WebGpuOptions {
  /** Accept a software adapter (tests, CI); otherwise that case is an error naming it. */
  allowCpuAdapter: boolean;
  /** Extra Dawn options (`create([...])`), e.g. `enable-dawn-features=...`; default `SRN_WEBGPU_DAWN` split on ';'. */
  dawnOptions?: string[];
}

// The parts of the WebGPU API used here (lib is ES2023 only: no DOM typings).
interface AdapterInfo { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean }
interface Adapter { info: AdapterInfo; limits: Record<string, number>; requestDevice(d?: object): Promise<object> }
interface Gpu { requestAdapter(o?: object): Promise<Adapter | null> }

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|softpipe|software/i;

/** Whether an adapter is a software rasteriser running on the CPU. */
export function isCpuAdapter(info: AdapterInfo): boolean {
  return Boolean(info.isFallbackAdapter) || SOFTWARE.test(`${info.device ?? ''} ${info.description ?? ''} ${info.vendor ?? ''}`);
}

function describeAdapter(info: AdapterInfo, level: string): string {
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s && s.length > 0);
  return `${parts.join(' / ') || 'unnamed adapter'} (${level})`;
}

/** Limits tfjs-backend-webgpu asks for (its base.ts), plus storage buffers per stage: compatibility mode defaults low. */
const LIMITS = [
  'maxComputeWorkgroupStorageSize', 'maxComputeWorkgroupsPerDimension', 'maxStorageBufferBindingSize', 'maxBufferSize',
  'maxComputeWorkgroupSizeX', 'maxComputeInvocationsPerWorkgroup', 'maxStorageBuffersPerShaderStage',
];

let state: { report: WebGpuReport } | undefined;

/**
 * Finds an adapter, creates the device and registers TF.js's 'webgpu' backend with it (once per process; later
 * calls return the first report). Throws with the reason when no acceptable adapter exists.
 */
export async function initWebGpu(opts: WebGpuOptions): Promise<WebGpuReport> {
  if (state) {
    if (state.report.cpuAdapter && !opts.allowCpuAdapter) throw new Error(cpuOnlyReason(state.report));
    return state.report;
  }
  const { create, globals } = (await import('webgpu')) as unknown as { create(o: string[]): Gpu; globals: object };
  // tfjs-backend-webgpu reads GPUBufferUsage & co. and navigator.gpu from the global scope.
  Object.assign(globalThis, globals);
  const extra = opts.dawnOptions ?? (process.env.SRN_WEBGPU_DAWN ? process.env.SRN_WEBGPU_DAWN.split(';').filter(Boolean) : []);
  const tried: string[] = [];
  let found: { gpu: Gpu; adapter: Adapter; level: 'core' | 'compatibility'; dawn: string[] } | undefined;
  const core = create(extra);
  const hw = await core.requestAdapter({ powerPreference: 'high-performance' });
  if (hw) found = { gpu: core, adapter: hw, level: 'core', dawn: extra };
  else tried.push('no core adapter (Vulkan/Metal/D3D12)');
  if (!found || isCpuAdapter(found.adapter.info)) {
    // EGL without a display: Mesa picks its surfaceless platform only when asked.
    process.env.EGL_PLATFORM ??= 'surfaceless';
    const dawn = ['backend=opengles', ...extra];
    const gles = create(dawn);
    const a = await gles.requestAdapter({ featureLevel: 'compatibility' });
    if (a && (!found || !isCpuAdapter(a.info))) found = { gpu: gles, adapter: a, level: 'compatibility', dawn };
    else if (!a) tried.push('no OpenGL ES adapter (EGL)');
  }
  if (!found) throw new Error(`webgpu: no adapter: ${tried.join('; ')}`);
  const { adapter, level } = found;
  const report: WebGpuReport = {
    adapter: describeAdapter(adapter.info, level === 'core' ? 'core' : 'OpenGL ES, compatibility'),
    featureLevel: level,
    cpuAdapter: isCpuAdapter(adapter.info),
    dawnOptions: found.dawn,
  };
  if (report.cpuAdapter && !opts.allowCpuAdapter) throw new Error(cpuOnlyReason(report));

  const requiredLimits: Record<string, number> = {};
  for (const k of LIMITS) if (adapter.limits[k] !== undefined) requiredLimits[k] = adapter.limits[k];
  const device = await adapter.requestDevice({ requiredLimits });
  const g = globalThis as unknown as { navigator?: object };
  if (g.navigator === undefined) g.navigator = { gpu: found.gpu };
  else Object.defineProperty(g.navigator, 'gpu', { value: found.gpu, configurable: true });

  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  const backend = new WebGPUBackend(device as ConstructorParameters<typeof WebGPUBackend>[0], adapter.info as ConstructorParameters<typeof WebGPUBackend>[1]);
  // Its readSync goes through OffscreenCanvas, which Node lacks: fail with what to do instead.
  (backend as unknown as { readSync(id: object): unknown }).readSync = function (this: WebGPUBackendLike, dataId: object) {
    const d = this.tensorMap.get(dataId);
    if (d?.values != null) return d.values;
    throw new Error(SYNC_READ_ERROR);
  };
  if (tf.findBackendFactory('webgpu') != null) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => backend, 0);
  state = { report };
  return report;
}

interface WebGPUBackendLike { tensorMap: { get(id: object): { values?: unknown } | undefined } }

export const SYNC_READ_ERROR =
  'webgpu: synchronous reads (dataSync, arraySync) are not possible in Node: tfjs-backend-webgpu reads through ' +
  'OffscreenCanvas, which Node lacks; read with `await t.data()` instead';

function cpuOnlyReason(r: WebGpuReport): string {
  return `webgpu: only a software adapter was found (${r.adapter}), slower than the CPU backends`;
}
