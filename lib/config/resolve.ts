/** Filling defaults into partial configs, and validating the result with messages that name the field. */
import { DEFAULT_CONFIG } from './defaults';
import type { DeepPartial, ScheduleStage, SrnConfig } from './types';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Config fields that were removed; configs saved before keep loading. `multiViewEvery` was never read;
 * `singleView` duplicated the single-view protocol's view (SINGLE_VIEW_INDEX, eval/protocols.ts).
 */
const RETIRED_FIELDS: readonly (readonly string[])[] = [
  ['training', 'latentFit', 'multiViewEvery'],
  ['training', 'latentFit', 'singleView'],
];

/** A saved config (e.g. a checkpoint manifest's) without the retired fields; the input is not changed. */
export function withoutRetiredFields(config: unknown): unknown {
  const out = structuredClone(config) as Record<string, unknown>;
  for (const path of RETIRED_FIELDS) {
    let node: unknown = out;
    for (const k of path.slice(0, -1)) node = isPlainObject(node) ? (node as Record<string, unknown>)[k] : undefined;
    if (isPlainObject(node)) delete (node as Record<string, unknown>)[path[path.length - 1]];
  }
  return out;
}

/**
 * Deep merge of `over` onto `base`: objects merge key by key, arrays and scalars replace.
 * Keys that `base` does not have are rejected (they are typos, not options).
 */
export function mergeConfig<T>(base: T, over: unknown, path = 'config'): T {
  if (over === undefined) return structuredClone(base);
  if (!isPlainObject(base)) return structuredClone(over as T);
  if (!isPlainObject(over)) throw new Error(`${path}: expected an object, got ${describe(over)}`);
  const out: Record<string, unknown> = structuredClone(base) as Record<string, unknown>;
  for (const [k, v] of Object.entries(over)) {
    if (!(k in out)) throw new Error(`${path}.${k}: unknown field (expected one of ${Object.keys(out).join(', ')})`);
    out[k] = isPlainObject(out[k]) && v !== null ? mergeConfig(out[k], v, `${path}.${k}`) : structuredClone(v);
  }
  return out as T;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}

type Check = (path: string, v: unknown) => void;
const fail = (path: string, what: string, v: unknown): never => {
  throw new Error(`${path}: expected ${what}, got ${describe(v)}`);
};
const int = (min: number, max = Infinity): Check => (p, v) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    fail(p, `an integer${max === Infinity ? ` ≥ ${min}` : ` in [${min}, ${max}]`}`, v);
};
const num = (min: number, max = Infinity, minOpen = false): Check => (p, v) => {
  if (typeof v !== 'number' || !Number.isFinite(v) || (minOpen ? v <= min : v < min) || v > max)
    fail(p, `a number ${minOpen ? '>' : '≥'} ${min}${max === Infinity ? '' : ` and ≤ ${max}`}`, v);
};
const oneOf = (...xs: string[]): Check => (p, v) => {
  if (typeof v !== 'string' || !xs.includes(v)) fail(p, `one of ${xs.map((x) => `'${x}'`).join(', ')}`, v);
};
const nullable = (c: Check): Check => (p, v) => {
  if (v !== null) c(p, v);
};
const str: Check = (p, v) => {
  if (typeof v !== 'string' || v.length === 0) fail(p, 'a non-empty string', v);
};
const bool: Check = (p, v) => {
  if (typeof v !== 'boolean') fail(p, 'true or false', v);
};

function checkAll(obj: unknown, path: string, spec: Record<string, Check>): void {
  if (!isPlainObject(obj)) fail(path, 'an object', obj);
  const o = obj as Record<string, unknown>;
  for (const [k, c] of Object.entries(spec)) c(`${path}.${k}`, o[k]);
}

const adam: Check = (p, v) => checkAll(v, p, { lr: num(0, 10, true), beta1: num(0, 0.999999), beta2: num(0, 0.999999), eps: num(0, 1, true) });
const weights: Check = (p, v) => checkAll(v, p, { img: num(0), ce: num(0), latent: num(0), depth: num(0) });
const schedule: Check = (p, v) => {
  if (!Array.isArray(v) || v.length === 0) fail(p, 'a non-empty array of {side, batchSize, steps}', v);
  (v as ScheduleStage[]).forEach((s, i) => checkAll(s, `${p}[${i}]`, { side: int(2, 4096), batchSize: int(1), steps: int(0) }));
};
const stage: Check = (p, v) =>
  checkAll(v, p, {
    schedule, raysPerImage: nullable(int(1)), weights, dense: adam, latent: adam, checkpointEvery: int(0),
  });

/** Throws an Error naming the first bad field and what was expected. */
export function validateConfig(cfg: SrnConfig): void {
  checkAll(cfg, 'config', { preset: str, seed: int(0, 2 ** 32 - 1) });
  checkAll(cfg.model, 'config.model', {
    latentDim: int(1), phiWidth: int(1), phiLayers: int(1), hyperHidden: int(1), hyperHiddenLayers: int(0),
    hyperLastWeightScale: num(0, Infinity, true), lstmHidden: int(1), marchSteps: int(0), initialDepth: num(0, Infinity, true),
    gradClamp: num(0, Infinity, true), rendererHiddenLayers: int(0), rendererWidth: int(1), rgbChannels: int(1, 4),
    numClasses: int(2), mlpHeadLayers: int(0), mlpHeadWidth: int(1), lnEps: num(0, 1, true),
  });
  checkAll(cfg.model.unet, 'config.model.unet', {
    nf0: int(1), numDown: int(1, 10), maxChannels: int(1), dropout: num(0, 0.99), bnMomentum: num(0, 1, true), bnEps: num(0, 1, true),
  });
  checkAll(cfg.training, 'config.training', { pretrain: stage, semantic: stage });
  checkAll(cfg.training.probe, 'config.training.probe', {
    steps: int(0), batchSize: int(1), side: int(2, 4096), head: oneOf('linear', 'mlp'), weights, dense: adam, cacheFeatures: bool,
  });
  checkAll(cfg.training.latentFit, 'config.training.latentFit', {
    steps: int(0), batchSize: int(1), side: int(2, 4096), raysPerImage: nullable(int(1)), weights, latent: adam,
    initStd: num(0), objectsPerStep: int(1), unetHeadMode: oneOf('train', 'eval'),
  });
  checkAll(cfg.data, 'config.data', { className: str, renderResolution: int(8, 4096), maxTrainInstances: nullable(int(1)), maxTestInstances: nullable(int(1)) });
  checkAll(cfg.data.fewShot, 'config.data.fewShot', {
    instances: int(1), viewsPerInstance: int(1), allClassesPresent: bool, seed: int(0),
    views: nullable((p, v) => {
      if (!Array.isArray(v) || v.some((x) => !Number.isInteger(x) || x < 0)) fail(p, 'null or an array of view indices ≥ 0', v);
      if ((v as number[]).length !== cfg.data.fewShot.viewsPerInstance)
        fail(p, `${cfg.data.fewShot.viewsPerInstance} view indices (= viewsPerInstance)`, v);
    }),
  });
  checkAll(cfg.inference, 'config.inference', { side: int(2, 4096), chunkRays: int(1), batchSize: int(1) });
  // Cross-field rules.
  const unetDiv = 2 ** cfg.model.unet.numDown;
  for (const name of ['pretrain', 'semantic'] as const) {
    const st = cfg.training[name];
    if (name === 'semantic' && st.raysPerImage !== null)
      fail(`config.training.semantic.raysPerImage`, 'null (the U-Net head needs whole images)', st.raysPerImage);
    if (name === 'semantic')
      st.schedule.forEach((s, i) => {
        if (s.side % unetDiv !== 0) fail(`config.training.semantic.schedule[${i}].side`, `a multiple of 2^numDown = ${unetDiv} (U-Net head)`, s.side);
      });
  }
}

/** Fills defaults into a partial config (deep merge onto `base`, default DEFAULT_CONFIG) and validates it. */
export function resolveConfig(partial: DeepPartial<SrnConfig> | undefined = {}, base: SrnConfig = DEFAULT_CONFIG): SrnConfig {
  const cfg = mergeConfig(base, partial ?? {});
  validateConfig(cfg);
  return cfg;
}
