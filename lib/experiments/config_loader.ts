/**
 * Loads `experiments/<name>.json` and validates the chosen scale. Errors name the file and the field,
 * e.g. `experiments/interpolation.json: scales.cpu.pair[1]: expected an integer ≥ 0, got -1`.
 * Preset, data, overrides and evaluation stride come from the scale (lib/config/scales.ts); a file's scale entry
 * adds the experiment's own fields and may override any of those. The `overrides` are checked against the preset
 * by resolveConfig (unknown keys are errors too).
 */
import { existsSync } from 'node:fs';
import { readJsonFile } from '../util/json_file';
import { findProjectRoot } from '../util/project_root';
import { isAbsolute, join, resolve } from 'node:path';
import { presetConfig, PRESET_NAMES } from '../config/presets';
import { scaleDefinition } from '../config/scales';
import { TABLE1_COLUMN_IDS, type Table1ColumnId } from '../eval/table1';
import {
  EXPERIMENT_NAMES,
  SCALES,
  type ExperimentConfig,
  type ExperimentName,
  type Scale,
} from './types';

type Obj = Record<string, unknown>;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing (field missing)';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** Field checks with the path in every message. */
class Checker {
  constructor(readonly file: string) {}
  fail(path: string, what: string, v: unknown): never {
    throw new Error(`${this.file}: ${path}: expected ${what}, got ${describe(v)}`);
  }
  obj(path: string, v: unknown): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, 'an object', v);
    return v as Obj;
  }
  int(path: string, v: unknown, min = 0): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) this.fail(path, `an integer ≥ ${min}`, v);
    return v as number;
  }
  str(path: string, v: unknown): string {
    if (typeof v !== 'string' || v.length === 0) this.fail(path, 'a non-empty string', v);
    return v as string;
  }
  bool(path: string, v: unknown): boolean {
    if (typeof v !== 'boolean') this.fail(path, 'true or false', v);
    return v as boolean;
  }
  oneOf<T extends string>(path: string, v: unknown, xs: readonly T[]): T {
    if (typeof v !== 'string' || !xs.includes(v as T)) this.fail(path, `one of ${xs.map((x) => `'${x}'`).join(', ')}`, v);
    return v as T;
  }
  arr<T>(path: string, v: unknown, each: (p: string, x: unknown) => T, minLength = 1): T[] {
    if (!Array.isArray(v) || v.length < minLength) this.fail(path, `an array with at least ${minLength} element(s)`, v);
    return (v as unknown[]).map((x, i) => each(`${path}[${i}]`, x));
  }
  /** Rejects keys other than `known` (typos are errors, not silently ignored options). */
  keys(path: string, o: Obj, known: readonly string[]): void {
    for (const k of Object.keys(o)) {
      if (!known.includes(k)) throw new Error(`${this.file}: ${path}.${k}: unknown field (expected one of ${known.join(', ')})`);
    }
  }
}

const BASE_KEYS = ['preset', 'seed', 'seeds', 'data', 'overrides', 'evalViewEvery'];
const EXTRA_KEYS: Record<ExperimentName, string[]> = {
  'semi-supervised-probe': ['protocol', 'figureInstances', 'figureViews'],
  'tco-baseline': ['baseline'],
  'unet-baselines': ['baseline'],
  'label-count-sweep': ['points', 'methods', 'unet'],
  interpolation: ['pair', 'frames', 'side', 'fitProtocol', 'stripFrames', 'gif', 'gifDelayMs'],
  'mask-reconstruction': ['instances', 'maskView', 'novelViews', 'fitSteps', 'heads'],
  'table-1': ['runMissing'],
};

/** `over` merged into `base` (plain objects recursively; arrays and values replaced), both left untouched. */
function deepMerge(base: Obj, over: Obj): Obj {
  const out: Obj = structuredClone(base);
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    const plain = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
    out[k] = plain(b) && plain(v) ? deepMerge(b, v) : structuredClone(v);
  }
  return out;
}

/** The folder holding the experiment configs: SRN_EXPERIMENTS_DIR, else `experiments/` of the project. */
export function experimentsDir(): string {
  if (process.env.SRN_EXPERIMENTS_DIR) return resolve(process.env.SRN_EXPERIMENTS_DIR);
  // The project root above this file: the same from lib/experiments, the prebuilt .cache/lib-dist and the notebooks' lib symlink.
  const root = findProjectRoot(__dirname);
  return root && existsSync(join(root, 'experiments')) ? join(root, 'experiments') : resolve('experiments');
}

export interface LoadExperimentOptions {
  /** Folder of the JSON files (default experimentsDir()). */
  dir?: string;
  /** Or the file itself. */
  file?: string;
}

/** Validates one scale's raw object (from `file`, for messages). */
export function validateExperimentScale<N extends ExperimentName>(experiment: N, scale: Scale, raw: unknown, file: string, description = ''): ExperimentConfig<N> {
  const c = new Checker(file);
  const p = `scales.${scale}`;
  const o = c.obj(p, raw);
  c.keys(p, o, [...BASE_KEYS, ...EXTRA_KEYS[experiment]]);
  const def = scaleDefinition(scale);
  const preset = o.preset === undefined ? def.srnPreset : c.oneOf(`${p}.preset`, o.preset, PRESET_NAMES);
  const seed = o.seed === undefined ? 0 : c.int(`${p}.seed`, o.seed);
  const seeds = o.seeds === undefined ? [seed] : c.arr(`${p}.seeds`, o.seeds, (q, x) => c.int(q, x, 0));
  if (new Set(seeds).size !== seeds.length) c.fail(`${p}.seeds`, 'distinct seeds', o.seeds);
  const d = o.data === undefined ? {} : c.obj(`${p}.data`, o.data);
  c.keys(`${p}.data`, d, ['className', 'root', 'synthetic', 'resolution', 'train', 'test']);
  const dd = { className: 'chair', ...def.data, ...d } as Obj;
  const data = {
    className: c.oneOf(`${p}.data.className`, typeof dd.className === 'string' ? dd.className.toLowerCase() : dd.className, ['chair', 'table']),
    root: c.str(`${p}.data.root`, dd.root),
    synthetic: c.bool(`${p}.data.synthetic`, dd.synthetic),
    resolution: c.int(`${p}.data.resolution`, dd.resolution, 8),
    train: c.int(`${p}.data.train`, dd.train, 1),
    test: c.int(`${p}.data.test`, dd.test, 1),
  };
  const overrides = deepMerge(def.overrides as Obj, o.overrides === undefined ? {} : c.obj(`${p}.overrides`, o.overrides));
  // Check the overrides against the preset now, so a typo fails at load time with the file named.
  try {
    presetConfig(preset, overrides);
  } catch (e) {
    throw new Error(`${file}: ${p}.overrides: ${(e as Error).message}`);
  }
  const evalViewEvery = o.evalViewEvery === undefined ? def.evalViewEvery : c.int(`${p}.evalViewEvery`, o.evalViewEvery, 1);
  const base = { preset, seed, seeds, data, overrides, evalViewEvery };
  const pos = (q: string, x: unknown) => c.int(q, x, 0);
  let extra: Obj;
  switch (experiment) {
    case 'semi-supervised-probe':
      extra = {
        protocol: c.oneOf(`${p}.protocol`, o.protocol, ['single', 'multi'] as const),
        figureInstances: c.int(`${p}.figureInstances`, o.figureInstances, 1),
        figureViews: c.int(`${p}.figureViews`, o.figureViews, 1),
      };
      break;
    case 'label-count-sweep':
      extra = {
        points: c.arr(`${p}.points`, o.points, (q, x) => {
          const pt = c.obj(q, x);
          c.keys(q, pt, ['instances', 'views']);
          const instances = c.int(`${q}.instances`, pt.instances, 1);
          if (instances > data.train) c.fail(`${q}.instances`, `at most data.train = ${data.train}`, instances);
          return { instances, views: c.int(`${q}.views`, pt.views, 1) };
        }),
        methods: c.arr(`${p}.methods`, o.methods, (q, x) => c.oneOf(q, x, ['srn+linear', 'unet'] as const)),
        unet: o.unet === undefined ? {} : c.obj(`${p}.unet`, o.unet),
      };
      break;
    case 'interpolation': {
      const pair = c.arr(`${p}.pair`, o.pair, (q, x) => pos(q, x), 2);
      if (pair.length !== 2) c.fail(`${p}.pair`, 'two test positions', o.pair);
      pair.forEach((v, i) => v >= data.test && c.fail(`${p}.pair[${i}]`, `a test position < data.test = ${data.test}`, v));
      extra = {
        pair,
        frames: c.int(`${p}.frames`, o.frames, 2),
        side: c.int(`${p}.side`, o.side, 4),
        fitProtocol: c.oneOf(`${p}.fitProtocol`, o.fitProtocol, ['single', 'multi'] as const),
        stripFrames: c.int(`${p}.stripFrames`, o.stripFrames, 2),
        gif: c.bool(`${p}.gif`, o.gif),
        gifDelayMs: o.gifDelayMs === undefined ? 80 : c.int(`${p}.gifDelayMs`, o.gifDelayMs, 10),
      };
      break;
    }
    case 'mask-reconstruction':
      extra = {
        instances: c.arr(`${p}.instances`, o.instances, (q, x) => {
          const v = pos(q, x);
          if (v >= data.test) c.fail(q, `a test position < data.test = ${data.test}`, v);
          return v;
        }),
        maskView: c.int(`${p}.maskView`, o.maskView, 0),
        novelViews: c.int(`${p}.novelViews`, o.novelViews, 1),
        fitSteps: o.fitSteps === null || o.fitSteps === undefined ? null : c.int(`${p}.fitSteps`, o.fitSteps, 1),
        heads: o.heads === undefined ? ['linear'] : c.arr(`${p}.heads`, o.heads, (q, x) => c.oneOf(q, x, ['linear', 'unet'] as const)),
      };
      break;
    case 'tco-baseline':
    case 'unet-baselines':
      extra = { baseline: o.baseline === undefined ? {} : c.obj(`${p}.baseline`, o.baseline) };
      break;
    case 'table-1':
      extra = {
        runMissing: o.runMissing === undefined ? [] : c.arr(`${p}.runMissing`, o.runMissing, (q, x) => c.oneOf(q, x, EXPERIMENT_NAMES), 0),
      };
      break;
  }
  return { ...base, ...extra, experiment, scale, source: file, description } as unknown as ExperimentConfig<N>;
}

/** Reads and validates `experiments/<name>.json` at `scale`. */
export function loadExperimentConfig<N extends ExperimentName>(name: N, scale: Scale = 'cpu', opts: LoadExperimentOptions = {}): ExperimentConfig<N> {
  if (!(EXPERIMENT_NAMES as readonly string[]).includes(name)) {
    throw new Error(`experiment: expected one of ${EXPERIMENT_NAMES.join(', ')}, got '${name}'`);
  }
  if (!(SCALES as readonly string[]).includes(scale)) throw new Error(`scale: expected one of ${SCALES.join(', ')}, got '${scale}'`);
  const file = opts.file ?? join(opts.dir ?? experimentsDir(), `${name}.json`);
  const doc = readJsonFile(file, 'the experiment config');
  const c = new Checker(file);
  const top = c.obj('(top level)', doc);
  c.keys('(top level)', top, ['experiment', 'description', 'scales']);
  if (top.experiment !== name) c.fail('experiment', `'${name}' (the file name)`, top.experiment);
  const scales = c.obj('scales', top.scales);
  for (const k of Object.keys(scales)) c.oneOf(`scales.${k} (scale name)`, k, SCALES);
  if (!(scale in scales)) throw new Error(`${file}: scales.${scale}: no configuration for scale '${scale}' (has ${Object.keys(scales).join(', ')})`);
  return validateExperimentScale(name, scale, scales[scale], file, typeof top.description === 'string' ? top.description : '');
}

/** A data root as an absolute path (relative roots are taken from `base`, default the working directory). */
export function resolveDataRoot(root: string, base = process.cwd()): string {
  return isAbsolute(root) ? root : resolve(base, root);
}

/**
 * A loaded config for another class and/or other replicate seeds (CLI `--class`, `--seeds '0,1,2'`); the
 * pre-training seed stays the config's. Bad values fail naming the option.
 */
export function withClassAndSeeds<C extends ExperimentConfig>(cfg: C, o: { className?: string; seeds?: string | readonly number[]; protocol?: string; columns?: string }): C {
  let out = cfg;
  if (o.columns !== undefined) {
    if (cfg.experiment !== 'table-1') throw new Error(`--columns: only table-1 runs a choice of columns (this is ${cfg.experiment})`);
    out = { ...out, columns: parseTable1Columns(o.columns) };
  }
  if (o.protocol !== undefined) {
    if (cfg.experiment !== 'semi-supervised-probe') throw new Error(`--protocol: only semi-supervised-probe has a test-time protocol (this is ${cfg.experiment})`);
    if (o.protocol !== 'single' && o.protocol !== 'multi') throw new Error(`--protocol: expected single or multi, got '${o.protocol}'`);
    out = { ...out, protocol: o.protocol };
  }
  if (o.className !== undefined) {
    const c = o.className.toLowerCase();
    if (c !== 'chair' && c !== 'table') throw new Error(`--class: expected chair or table, got '${o.className}'`);
    out = { ...out, data: { ...out.data, className: c } };
  }
  if (o.seeds !== undefined) {
    const list = typeof o.seeds === 'string' ? o.seeds.split(',').map((x) => x.trim()) : o.seeds.map(String);
    const seeds = list.map((x) => {
      if (!/^\d+$/.test(x)) throw new Error(`--seeds: expected comma-separated integers ≥ 0, got '${o.seeds}'`);
      return Number(x);
    });
    if (seeds.length === 0 || new Set(seeds).size !== seeds.length) throw new Error(`--seeds: expected distinct seeds, got '${o.seeds}'`);
    out = { ...out, seeds };
  }
  return out;
}

/** `--columns`: Table 1 columns by paper number (1–6) or id (tco-linear, …), comma-separated, in paper order. */
export function parseTable1Columns(list: string): Table1ColumnId[] {
  const ids = list.split(',').map((x) => x.trim()).filter(Boolean).map((x) => {
    if (/^[1-6]$/.test(x)) return TABLE1_COLUMN_IDS[Number(x) - 1];
    const id = TABLE1_COLUMN_IDS.find((c) => c === x);
    if (!id) throw new Error(`--columns: expected column numbers 1–6 or ids (${TABLE1_COLUMN_IDS.join(', ')}), got '${x}'`);
    return id;
  });
  if (!ids.length) throw new Error(`--columns: expected at least one column, got '${list}'`);
  return TABLE1_COLUMN_IDS.filter((c) => ids.includes(c));
}
