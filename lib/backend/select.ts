/**
 * Picks the fastest TF.js backend that loads on this machine:
 * tfjs-node-gpu → webgpu → tfjs-node → wasm → cpu. Override with `SRN_BACKEND` or the `backend` option.
 * GPU rungs (docs/gpu.md): node-gpu is tried only where an NVIDIA driver is found and reports the GPU it runs on
 * (or that TensorFlow found none and runs on the CPU); webgpu is chosen explicitly only (see `tryWebGpu`).
 * Native packages are never hard dependencies (tfjs-node's installer downloads libtensorflow),
 * so they are probed with a dynamic require and skipped with the reason recorded.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { probeCudaDriver } from './cuda_probe';
import { setFusedKernelsLoaded } from './native_ops';
import { installWasmKernelFixes } from './wasm_kernels';
import { disableWasmThreads, parseWasmThreads, prepareWasmThreads, unrefWasmWorkers } from './wasm_threads';
import { initWebGpu, type WebGpuReport } from './webgpu';

export const BACKEND_CHOICES = ['auto', 'node-gpu', 'webgpu', 'node', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
export type ConcreteBackend = Exclude<BackendChoice, 'auto'>;

export interface BackendOptions {
  /** Which backend to use; default `SRN_BACKEND` or 'auto'. */
  backend?: BackendChoice;
  /** wasm only: apply the kernel fixes of spec/backends.md (default true). */
  wasmKernelFixes?: boolean;
  /**
   * wasm only: pthreads in Node via the workaround in wasm_threads.ts (default `SRN_WASM_THREADS`, else 0 = off).
   * 2..4 threads; must be chosen before the wasm backend first initialises. Falls back to 1 thread with a reason.
   */
  wasmThreads?: number;
  /**
   * node only: TensorFlow's intra-op threads (default `SRN_NATIVE_THREADS`, else TensorFlow's own default, one
   * per core). Read once, when tfjs-node first loads in the process. 1 is faster for the `cpu` preset's small
   * ops (docs/native-backend.md, "Threads"), all cores for the `paper` preset.
   */
  nativeThreads?: number;
  /** node only: the thread count when neither `nativeThreads` nor `SRN_NATIVE_THREADS` is given (see `nativeThreadsForPreset`). */
  nativeThreadsDefault?: number;
  /** Print the report to stderr (default false). */
  verbose?: boolean;
}

export interface BackendReport {
  /** What we chose, in our naming. */
  chosen: ConcreteBackend;
  /** The name TF.js knows it by (`tensorflow`, `wasm`, `cpu`). */
  tfBackend: string;
  /** Faster candidates that were skipped, and why. */
  skipped: { backend: ConcreteBackend; reason: string }[];
  wasm?: {
    simd: boolean;
    threads: number;
    kernelFixes: boolean;
    /** Threads asked for (option or SRN_WASM_THREADS); 0 when not asked. */
    threadsRequested: number;
    /** Why fewer threads than requested run, if so. */
    threadsReason?: string;
  };
  native?: {
    /** TensorFlow intra-op threads; null = TensorFlow's default (one per core). */
    intraOpThreads: number | null;
    /** Why the requested thread count does not apply, if so. */
    threadsReason?: string;
    /** Whether our fused LayerNorm kernels (native/srn_ops.cc) are loaded; the reason when not. */
    fusedKernels: boolean;
    fusedKernelsReason?: string;
    /** node-gpu only: whether TensorFlow runs on a GPU, the GPUs nvidia-smi lists, and why not when it does not. */
    gpu?: { used: boolean; devices: string[]; reason?: string };
  };
  webgpu?: WebGpuReport;
}

const ORDER: ConcreteBackend[] = ['node-gpu', 'webgpu', 'node', 'wasm', 'cpu'];
const NODE_PACKAGES: Record<'node-gpu' | 'node', string> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
};

/**
 * Where `npm run setup:native` (scripts/setup-native.sh) builds tfjs-node against PyPI's TensorFlow C
 * library; used when the package is not installed: `<project>/.cache/native/tfjs-node`, next to the
 * node_modules that holds our @tensorflow/tfjs, so the build's own `require('@tensorflow/tfjs')` gets
 * the same tfjs-core instance. Found from tfjs's location rather than __dirname, which differs when lib/
 * runs from the notebooks' prebuilt copy (.cache/lib-dist, through notebooks/lib).
 */
function localNativeDir(): string {
  const tfjsPackageJson = require.resolve('@tensorflow/tfjs/package.json');
  return join(dirname(tfjsPackageJson), '..', '..', '..', '.cache', 'native');
}

/** `npm run setup:native -- --gpu` builds the same against the GPU wheel, next to the CPU build. */
function localNativeGpuDir(): string {
  return join(localNativeDir(), '..', 'native-gpu');
}

function localTfjsNodeDir(kind: 'node-gpu' | 'node' = 'node'): string {
  return join(kind === 'node' ? localNativeDir() : localNativeGpuDir(), 'tfjs-node');
}

/**
 * The native backend's thread count that suits a preset: 1 for `cpu` and `tiny`, whose 64-wide layers make
 * ops too small to split across cores (one thread: single-view fit 17.0 s instead of 24.9 s, training step
 * 0.154 s instead of 0.174 s; docs/native-backend.md), else undefined (TensorFlow's default, one per core).
 */
export function nativeThreadsForPreset(preset: string): number | undefined {
  return preset === 'cpu' || preset === 'tiny' ? 1 : undefined;
}

/** Parses a thread count for the native backend, naming the source on error. */
export function parseNativeThreads(value: string | number, source = 'nativeThreads'): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new Error(`${source}: expected an integer from 1 to 256, got '${value}'`);
  return n;
}

let current: BackendReport | undefined;

/** Parses a backend name from user input, naming the source on error. */
export function parseBackendChoice(value: string, source = 'backend'): BackendChoice {
  if ((BACKEND_CHOICES as readonly string[]).includes(value)) return value as BackendChoice;
  throw new Error(`${source}: expected one of ${BACKEND_CHOICES.join(', ')}, got '${value}'`);
}

function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0];
}

/** The local build's folder (not an installed tfjs-node) when one was loaded; our kernels are linked against it. */
let localBuildLoaded: string | undefined;
/** Intra-op threads TensorFlow was started with in this process (undefined before load, null = default). */
let loadedThreads: number | null | undefined;

/** Loads tfjs-node(-gpu): the installed package, else the local build of setup-native.sh (`--gpu` for node-gpu). */
function requireNodePackage(kind: 'node-gpu' | 'node', threads: number | null): void {
  const name = NODE_PACKAGES[kind];
  // libtensorflow logs INFO lines (oneDNN, CPU features) to stderr on load; keep warnings and errors.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '1';
  // TensorFlow reads this when tfjs-node creates its eager context, i.e. on first load.
  if (loadedThreads === undefined) {
    if (threads !== null) process.env.TF_NUM_INTRAOP_THREADS = String(threads);
    loadedThreads = threads;
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(name);
    return;
  } catch (e) {
    const notInstalled = (e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && errorText(e).includes(`'${name}'`);
    if (!notInstalled) throw e;
    if (!existsSync(join(localTfjsNodeDir(kind), 'package.json'))) {
      const how = kind === 'node' ? 'npm run setup:native' : 'npm run setup:native -- --gpu';
      throw new Error(`${errorText(e)} (${how} builds it from registry packages)`);
    }
  }
  if (localBuildLoaded && localBuildLoaded !== (kind === 'node' ? localNativeDir() : localNativeGpuDir())) {
    throw new Error(`another TensorFlow build (${localBuildLoaded}) is already loaded in this process`);
  }
  const local = localTfjsNodeDir(kind);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(local);
  localBuildLoaded = kind === 'node' ? localNativeDir() : localNativeGpuDir();
  if (tf.findBackendFactory('tensorflow') == null) {
    throw new Error(`${local} loaded but registered 'tensorflow' with another copy of @tensorflow/tfjs`);
  }
}

let kernelsState: { loaded: boolean; reason?: string } | undefined;

export const FUSED_KERNELS_GPU_REASON =
  'CPU-only kernels (native/srn_ops.cc) on a GPU device: the core ops run instead, without host round trips';

/** Why our fused kernels must stay off in this process, or undefined when they may load. */
export function fusedKernelsVeto(o: { disabled: boolean; localBuild: boolean; onGpu: boolean; path: string; exists: boolean }): string | undefined {
  if (o.disabled) return 'SRN_FUSED_KERNELS=0';
  if (!o.localBuild) return 'tfjs-node is an installed package, not the setup:native build they link against';
  // They are CPU kernels: TF would copy every input to the host and back; the core ops run on the GPU instead.
  if (o.onGpu) return FUSED_KERNELS_GPU_REASON;
  if (!o.exists) return `${o.path} is missing (npm run setup:native -- --force rebuilds)`;
  return undefined;
}

/**
 * Loads native/srn_ops.cc's kernels (built by setup-native.sh next to the local tfjs-node build, linked
 * against the same libtensorflow) into TensorFlow's op registry, once per process. An installed tfjs-node
 * brings its own libtensorflow, which the kernels were not built for: then they stay off.
 */
function loadFusedKernels(onGpu: boolean): { loaded: boolean; reason?: string } {
  if (kernelsState) return kernelsState;
  const path = join(localBuildLoaded ?? localNativeDir(), 'srn_ops.node');
  const veto = fusedKernelsVeto({ disabled: process.env.SRN_FUSED_KERNELS === '0', localBuild: localBuildLoaded !== undefined, onGpu, path, exists: existsSync(path) });
  if (veto) kernelsState = { loaded: false, reason: veto };
  else {
    try {
      process.dlopen({ exports: {} } as NodeJS.Module, path);
      kernelsState = { loaded: true };
    } catch (e) {
      kernelsState = { loaded: false, reason: errorText(e) };
    }
  }
  setFusedKernelsLoaded(kernelsState.loaded);
  return kernelsState;
}

async function tryNode(kind: 'node-gpu' | 'node', threads: number | null, auto: boolean): Promise<NonNullable<BackendReport['native']>> {
  const firstLoad = loadedThreads === undefined;
  const driver = kind === 'node-gpu' ? probeCudaDriver() : undefined;
  // Loading a GPU build fixes this process's TensorFlow: in auto mode, only where a driver can give it a GPU.
  if (driver && !driver.present && auto && localBuildLoaded !== localNativeGpuDir()) throw new Error(driver.detail);
  requireNodePackage(kind, threads);
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`${NODE_PACKAGES[kind]} loaded but the 'tensorflow' backend failed to initialise`);
  const onGpu = Boolean((tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice);
  const kernels = loadFusedKernels(onGpu);
  const report: NonNullable<BackendReport['native']> = { intraOpThreads: loadedThreads ?? null, fusedKernels: kernels.loaded };
  if (kernels.reason) report.fusedKernelsReason = kernels.reason;
  if (driver) {
    report.gpu = { used: onGpu, devices: driver.gpus };
    if (!onGpu) {
      report.gpu.reason = driver.present
        ? `TensorFlow found no usable GPU (driver: ${driver.detail}); running on the CPU (TF_CPP_MIN_LOG_LEVEL=0 shows why)`
        : `${driver.detail}; running on the CPU`;
    }
  }
  if (!firstLoad && threads !== null && threads !== loadedThreads) {
    report.threadsReason = `tfjs-node was already loaded in this process with ${loadedThreads ?? 'the default'} threads`;
  }
  return report;
}

/** Resolves after `ms` with false, so a hung threaded init cannot block selection forever. */
function timeout(ms: number): Promise<false> {
  return new Promise((resolve) => setTimeout(() => resolve(false), ms).unref());
}

async function tryWasm(opts: BackendOptions): Promise<BackendReport['wasm']> {
  // Side-effect import registers the 'wasm' backend factory.
  const wasmModule = await import('@tensorflow/tfjs-backend-wasm');
  const fixes = opts.wasmKernelFixes ?? true;
  if (fixes) installWasmKernelFixes();
  const requested = opts.wasmThreads ?? 0;
  let threadsReason: string | undefined;
  let ok = false;
  let threadedTried = false;
  if (requested >= 2 && tf.engine().registry['wasm'] != null && wasmModule.getThreadsCount() !== requested) {
    threadsReason = 'the wasm backend was already initialised in this process (threads are fixed at first init)';
  } else if (requested >= 2) {
    let prep: ReturnType<typeof prepareWasmThreads> | undefined;
    try {
      prep = prepareWasmThreads(requested);
      threadedTried = true;
      ok = await Promise.race([tf.setBackend('wasm'), timeout(60_000)]);
      if (!ok) threadsReason = 'threaded wasm failed to initialise (see the warning above) or timed out';
    } catch (e) {
      threadsReason = errorText(e);
    } finally {
      prep?.restore();
    }
    if (!ok) disableWasmThreads();
  }
  if (!ok && !(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to initialise');
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const threads = wasmModule.getThreadsCount();
  if (threads > 1) unrefWasmWorkers();
  if (threadedTried && ok && threads < requested) threadsReason = `threaded wasm started with ${threads} thread(s)`;
  const report: NonNullable<BackendReport['wasm']> = { simd, threads, kernelFixes: fixes, threadsRequested: requested };
  if (threadsReason) report.threadsReason = threadsReason;
  return report;
}

/**
 * WebGPU in Node cannot read tensors synchronously (webgpu.ts), and the training loop and renderer do
 * (`dataSync`): so auto skips it, without loading Dawn; chosen explicitly it accepts a software adapter too.
 */
async function tryWebGpu(auto: boolean): Promise<WebGpuReport> {
  if (auto) throw new Error('chosen explicitly only (SRN_BACKEND=webgpu): the training loop and renderer read tensors synchronously, which WebGPU in Node cannot');
  const report = await initWebGpu({ allowCpuAdapter: true });
  if (!(await tf.setBackend('webgpu'))) throw new Error('webgpu backend failed to initialise');
  return report;
}

/**
 * Selects and initialises a backend. Calling it again with the same choice is cheap;
 * the report says which backend runs and why faster ones were skipped.
 */
export async function selectBackend(opts: BackendOptions = {}): Promise<BackendReport> {
  const envChoice = process.env.SRN_BACKEND;
  const choice: BackendChoice =
    opts.backend ?? (envChoice ? parseBackendChoice(envChoice, 'SRN_BACKEND') : 'auto');
  if (current && (choice === 'auto' || choice === current.chosen) && tf.getBackend() === current.tfBackend) {
    return current;
  }
  const envNative = process.env.SRN_NATIVE_THREADS;
  const nativeThreads =
    opts.nativeThreads !== undefined ? parseNativeThreads(opts.nativeThreads)
    : envNative ? parseNativeThreads(envNative, 'SRN_NATIVE_THREADS')
    : opts.nativeThreadsDefault !== undefined ? parseNativeThreads(opts.nativeThreadsDefault, 'nativeThreadsDefault')
    : null;
  const envThreads = process.env.SRN_WASM_THREADS;
  const wasmThreads = opts.wasmThreads ?? (envThreads ? parseWasmThreads(envThreads, 'SRN_WASM_THREADS') : 0);
  const candidates = choice === 'auto' ? ORDER : [choice];
  const skipped: BackendReport['skipped'] = [];
  for (const cand of candidates) {
    try {
      let report: BackendReport;
      if (cand === 'node-gpu' || cand === 'node') {
        report = { chosen: cand, tfBackend: 'tensorflow', skipped, native: await tryNode(cand, nativeThreads, choice === 'auto') };
      } else if (cand === 'webgpu') {
        report = { chosen: cand, tfBackend: 'webgpu', skipped, webgpu: await tryWebGpu(choice === 'auto') };
      } else if (cand === 'wasm') {
        report = { chosen: cand, tfBackend: 'wasm', skipped, wasm: await tryWasm({ ...opts, wasmThreads }) };
      } else {
        if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend failed to initialise');
        report = { chosen: 'cpu', tfBackend: 'cpu', skipped };
      }
      tf.enableProdMode();
      current = report;
      if (opts.verbose) console.error(describeBackend(report));
      return report;
    } catch (e) {
      skipped.push({ backend: cand, reason: errorText(e) });
    }
  }
  throw new Error(
    `no TF.js backend could be initialised (${choice}): ` +
      skipped.map((s) => `${s.backend}: ${s.reason}`).join('; '),
  );
}

/** The report of the last selection, if any. */
export function currentBackend(): BackendReport | undefined {
  return current;
}

/** One line for logs and notebooks. */
export function describeBackend(r: BackendReport): string {
  const why3 = r.wasm?.threadsReason ? ` [${r.wasm.threadsReason}]` : '';
  const n = r.native;
  const nativeExtra = n
    ? ` (threads=${n.intraOpThreads ?? 'default'}${n.threadsReason ? ` [${n.threadsReason}]` : ''}, fused kernels=${n.fusedKernels}${n.fusedKernelsReason ? ` [${n.fusedKernelsReason}]` : ''})`
    : '';
  const gpu = n?.gpu ? ` [GPU: ${n.gpu.used ? n.gpu.devices.join('; ') || 'yes' : `none: ${n.gpu.reason}`}]` : '';
  const webgpu = r.webgpu ? ` (${r.webgpu.adapter}${r.webgpu.cpuAdapter ? ', a CPU adapter' : ''})` : '';
  const extra = r.wasm ? ` (simd=${r.wasm.simd}, threads=${r.wasm.threads}${why3}, kernel fixes=${r.wasm.kernelFixes})` : nativeExtra + gpu + webgpu;
  const why = r.skipped.length ? `; skipped ${r.skipped.map((s) => `${s.backend} [${s.reason}]`).join(', ')}` : '';
  return `backend: ${r.chosen}${extra}${why}`;
}
