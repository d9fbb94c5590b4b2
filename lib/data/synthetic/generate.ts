/**
 * Writes generated instances in the official layout (spec/reference.md §5.1):
 * `<root>/<Class>/<Class>.<split>/<id>/{intrinsics.txt, rgb/, pose/, seg/, depth/}`,
 * `<root>/<Class>/<Class>-level-1.txt` and `<root>/<Class>/generator.json` (what made it).
 *
 * Resumable: an instance whose files are all present is skipped. Every file appears by rename, so
 * an interrupt never leaves a torn file; view files skip the fsync (the data is a reproducible
 * cache and 4 fsyncs per view would dominate the run time) unless `durable` is set, and
 * intrinsics.txt — written last, it marks the instance complete — is always fsynced.
 * Output bytes do not depend on the number of workers: each instance is a pure function of
 * (seed, class, split, index, views, resolution).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { threadId, Worker } from 'node:worker_threads';
import { formatIntrinsics, formatPose, parsePose, type Mat4 } from '../../geometry/cameras';
import { encodeNpy } from '../../io/npy';
import { encodePng } from '../../io/png';
import { writeFileAtomic, writeJsonAtomic } from '../../util/atomic_write';
import type { SplitName } from '../types';
import { classFolder, levelOneText, parseSyntheticClass, type SyntheticClass } from './classes';
import { buildObject, GENERATOR_VERSION, instanceId, instanceRng, OBJECT_RADIUS, type SyntheticObject } from './object';
import { CAMERA_DISTANCE, renderView, syntheticIntrinsics, syntheticPoses, type SyntheticView } from './render';

export const SPLITS: readonly SplitName[] = ['train', 'val', 'test'];
/** Views per instance: 50 random for train/val, the 251-view spiral for test (reference.md §5.4). */
export const DEFAULT_VIEWS: Record<SplitName, number> = { train: 50, val: 50, test: 251 };
export const DEFAULT_RESOLUTION = 64;

/** What one instance of a split is made from. */
export interface InstanceSpec {
  seed: number;
  className: SyntheticClass;
  split: SplitName;
  index: number;
  views: number;
  resolution: number;
}

export interface RenderedInstance {
  object: SyntheticObject;
  /** Pose files' text, and the poses as parsed back from it (what the renders use). */
  poseTexts: string[];
  poses: Mat4[];
  intrinsicsText: string;
  views: SyntheticView[];
}

const viewName = (i: number): string => String(i).padStart(6, '0');

/** Renders every view of an instance in memory. */
export function renderInstance(spec: InstanceSpec): RenderedInstance {
  const object = buildObject(spec.seed, spec.className, spec.split, spec.index);
  const k = syntheticIntrinsics(spec.resolution);
  const raw = syntheticPoses(spec.split, spec.views, instanceRng(spec.seed, spec.className, spec.split, spec.index, 'views'));
  // Render with the pose exactly as written (9 significant digits), so files and pixels agree.
  const poseTexts = raw.map((m) => formatPose(m));
  const poses = poseTexts.map((t, i) => parsePose(t, `pose ${i}`));
  const views = poses.map((m) => renderView(object.primitives, m, k));
  return { object, poseTexts, poses, intrinsicsText: formatIntrinsics(k), views };
}

function splitDir(root: string, c: SyntheticClass, split: SplitName): string {
  const C = classFolder(c);
  return join(root, C, `${C}.${split}`);
}

/** Folder of one generated instance. */
export function instanceDir(root: string, spec: Omit<InstanceSpec, 'views' | 'resolution'>): string {
  return join(splitDir(root, spec.className, spec.split), instanceId(spec.seed, spec.className, spec.split, spec.index));
}

let tmpCounter = 0;
/** tmp + rename (atomic against interrupts), without fsync. */
function writeRenamed(path: string, data: Uint8Array | string): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${threadId}-${tmpCounter++}`);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

const SUBDIRS = ['rgb', 'pose', 'seg', 'depth'] as const;
const EXT: Record<(typeof SUBDIRS)[number], string> = { rgb: 'png', pose: 'txt', seg: 'npy', depth: 'npy' };

/** True when intrinsics.txt and all `views` files of each kind exist. */
export function instanceComplete(dir: string, views: number): boolean {
  if (!existsSync(join(dir, 'intrinsics.txt'))) return false;
  for (const sub of SUBDIRS) {
    let names: Set<string>;
    try {
      names = new Set(readdirSync(join(dir, sub)));
    } catch {
      return false;
    }
    for (let i = 0; i < views; i++) if (!names.has(`${viewName(i)}.${EXT[sub]}`)) return false;
  }
  return true;
}

/** Removes temporary files an interrupted run may have left in an instance folder. */
function removeStaleTemps(dir: string): void {
  for (const sub of ['.', ...SUBDIRS]) {
    const d = join(dir, sub);
    if (!existsSync(d)) continue;
    for (const name of readdirSync(d)) if (name.startsWith('.') && name.includes('.tmp-')) rmSync(join(d, name), { force: true });
  }
}

/** Renders and writes one instance (all views, then intrinsics.txt). */
export function writeInstance(root: string, spec: InstanceSpec, durable = false): string {
  const dir = instanceDir(root, spec);
  removeStaleTemps(dir);
  for (const sub of SUBDIRS) mkdirSync(join(dir, sub), { recursive: true });
  const write = durable ? writeFileAtomic : writeRenamed;
  const r = renderInstance(spec);
  const S = spec.resolution;
  r.views.forEach((v, i) => {
    const name = viewName(i);
    write(join(dir, 'rgb', `${name}.png`), encodePng({ width: S, height: S, data: v.rgba }));
    write(join(dir, 'pose', `${name}.txt`), r.poseTexts[i]);
    write(join(dir, 'seg', `${name}.npy`), encodeNpy({ dtype: 'uint8', shape: [S, S], data: v.labels }));
    write(join(dir, 'depth', `${name}.npy`), encodeNpy({ dtype: 'float32', shape: [S, S], data: v.depth }));
  });
  writeFileAtomic(join(dir, 'intrinsics.txt'), r.intrinsicsText);
  return dir;
}

// ---------------------------------------------------------------------------------------------
// generator.json: what produced a class folder; a second run must agree with it.

interface GeneratorRecord {
  generator: 'semantic-srn synthetic';
  version: number;
  className: SyntheticClass;
  seed: number;
  resolution: number;
  cameraDistance: number;
  objectRadius: number;
  splits: Partial<Record<SplitName, { count: number; views: number }>>;
}

/** The generator version that made `<root>/<Class>` (undefined when it holds no generated data). */
export function generatedVersion(root: string, c: SyntheticClass): number | undefined {
  const path = join(root, classFolder(c), 'generator.json');
  if (!existsSync(path)) return undefined;
  try {
    const v = (JSON.parse(readFileSync(path, 'utf8')) as Partial<GeneratorRecord>).version;
    return typeof v === 'number' ? v : undefined;
  } catch {
    return undefined; // updateGeneratorRecord reports the broken file
  }
}

/**
 * The version of the data under `<root>/<Class>` as checkpoints record it: `synthetic-v<N>` for data of our
 * generator, `external` for anything else (the official renders).
 */
export function datasetVersion(root: string, className: string): string {
  const c = className.toLowerCase();
  const v = c === 'chair' || c === 'table' ? generatedVersion(root, c) : undefined;
  return v === undefined ? 'external' : `synthetic-v${v}`;
}

/** Deletes the generated splits and generator.json of `<root>/<Class>` (only what our generator writes). */
function removeGenerated(root: string, c: SyntheticClass): void {
  for (const s of SPLITS) rmSync(splitDir(root, c, s), { recursive: true, force: true });
  rmSync(join(root, classFolder(c), 'generator.json'), { force: true });
}

function updateGeneratorRecord(root: string, c: SyntheticClass, seed: number, resolution: number, split: SplitName, count: number, views: number): void {
  const path = join(root, classFolder(c), 'generator.json');
  let rec: GeneratorRecord = {
    generator: 'semantic-srn synthetic',
    version: GENERATOR_VERSION,
    className: c,
    seed,
    resolution,
    cameraDistance: CAMERA_DISTANCE,
    objectRadius: OBJECT_RADIUS,
    splits: {},
  };
  if (existsSync(path)) {
    let old: GeneratorRecord;
    try {
      old = JSON.parse(readFileSync(path, 'utf8')) as GeneratorRecord;
    } catch (e) {
      throw new Error(`${path}: not valid JSON (${(e as Error).message}); delete it or choose another --out`);
    }
    if (old.version !== rec.version) {
      throw new Error(
        `${path}: this folder holds data of generator version ${old.version}, this code makes version ${rec.version}; ` +
          `versions are never mixed: delete ${join(root, classFolder(c))} (it is regenerated on the next run) or use another --out`,
      );
    }
    const clash = (['seed', 'resolution'] as const).filter((f) => old[f] !== rec[f]);
    if (clash.length > 0) {
      const what = clash.map((f) => `${f} ${old[f]} (asked ${rec[f]})`).join(', ');
      throw new Error(`${path}: this folder was generated with ${what}; use another --out to keep both`);
    }
    const prev = old.splits?.[split];
    if (prev && prev.views !== views) {
      throw new Error(`${path}: split '${split}' was generated with ${prev.views} views per instance (asked ${views}); use another --out`);
    }
    rec = { ...rec, splits: { ...old.splits } };
    if (prev) count = Math.max(count, prev.count);
  }
  rec.splits[split] = { count, views };
  const ordered: GeneratorRecord['splits'] = {};
  for (const s of SPLITS) if (rec.splits[s]) ordered[s] = rec.splits[s];
  rec.splits = ordered;
  writeJsonAtomic(path, rec);
}

function writeLevelOne(root: string, c: SyntheticClass): void {
  const path = join(root, classFolder(c), `${classFolder(c)}-level-1.txt`);
  const text = levelOneText(c);
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return;
  writeFileAtomic(path, text);
}

// ---------------------------------------------------------------------------------------------
// splits

export interface GenerateSplitOptions {
  root: string;
  className: SyntheticClass;
  split: SplitName;
  count: number;
  /** Default: 50 (train/val) or 251 (test). */
  views?: number;
  resolution?: number;
  seed?: number;
  /** Worker threads; 1 renders in this thread. Default: up to 2 (the CPUs available) when there are ≥ 4 instances to make. */
  workers?: number;
  /** fsync every file (slower). */
  durable?: boolean;
  /** Called after each instance with (instances finished, total asked). */
  onProgress?: (done: number, total: number) => void;
  /**
   * What to do when the class folder holds data of another generator version: refuse (default, with a
   * message naming both versions) or delete that folder's generated splits and make the data anew.
   * Data of two versions is never mixed.
   */
  otherVersion?: 'refuse' | 'replace';
  /** Told when data of another version is replaced (default: a line on stderr). */
  onNotice?: (message: string) => void;
}

export interface GenerateSplitResult {
  dir: string;
  className: SyntheticClass;
  split: SplitName;
  count: number;
  views: number;
  resolution: number;
  seed: number;
  generated: number;
  skipped: number;
  workers: number;
  seconds: number;
}

/** Job description a worker receives (see worker.ts). */
export interface WorkerJob {
  root: string;
  className: SyntheticClass;
  split: SplitName;
  views: number;
  resolution: number;
  seed: number;
  durable: boolean;
}

function checkCount(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new Error(`synthetic data: ${name} must be an integer ≥ ${min}, got ${v}`);
}

/** Generates instances 0..count−1 of a split that are not complete yet. */
export async function generateSplit(opts: GenerateSplitOptions): Promise<GenerateSplitResult> {
  const t0 = performance.now();
  const { root, split, count } = opts;
  const className = parseSyntheticClass(opts.className);
  const views = opts.views ?? DEFAULT_VIEWS[split];
  const resolution = opts.resolution ?? DEFAULT_RESOLUTION;
  const seed = opts.seed ?? 0;
  checkCount('count', count, 0);
  checkCount('views', views, 1);
  checkCount('seed', seed, 0);
  syntheticIntrinsics(resolution); // validates the resolution
  if (!SPLITS.includes(split)) throw new Error(`synthetic data: unknown split '${split}', expected train, val or test`);

  const found = generatedVersion(root, className);
  if (found !== undefined && found !== GENERATOR_VERSION && opts.otherVersion === 'replace') {
    (opts.onNotice ?? ((m: string) => process.stderr.write(m + '\n')))(
      `synthetic data: ${join(root, classFolder(className))} holds generator version ${found}; replacing it with version ${GENERATOR_VERSION}`,
    );
    removeGenerated(root, className);
  }
  mkdirSync(splitDir(root, className, split), { recursive: true });
  updateGeneratorRecord(root, className, seed, resolution, split, count, views);
  writeLevelOne(root, className);

  const todo: number[] = [];
  for (let i = 0; i < count; i++) {
    if (!instanceComplete(instanceDir(root, { seed, className, split, index: i }), views)) todo.push(i);
  }
  let done = count - todo.length;
  opts.onProgress?.(done, count);
  const job: WorkerJob = { root, className, split, views, resolution, seed, durable: opts.durable ?? false };
  const workers = Math.max(1, Math.min(opts.workers ?? (todo.length >= 4 ? Math.min(2, availableParallelism()) : 1), todo.length));
  const tick = () => opts.onProgress?.(++done, count);
  if (workers <= 1) {
    for (const index of todo) {
      writeInstance(root, { seed, className, split, index, views, resolution }, job.durable);
      tick();
    }
  } else {
    await runWorkers(job, todo, workers, tick);
  }
  return {
    dir: splitDir(root, className, split),
    className,
    split,
    count,
    views,
    resolution,
    seed,
    generated: todo.length,
    skipped: count - todo.length,
    workers: todo.length === 0 ? 0 : workers,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Hands out instance indices to `n` worker threads, one at a time. */
function runWorkers(job: WorkerJob, todo: number[], n: number, tick: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let live = n;
    let failed = false;
    const pool: Worker[] = [];
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      for (const w of pool) void w.terminate();
      reject(e instanceof Error ? e : new Error(String(e)));
    };
    for (let k = 0; k < n; k++) {
      // From source a .js entry registers tsx in the worker, then loads worker.ts; the prebuilt library
      // (.cache/lib-dist, npm run build:lib) has worker.js itself.
      const compiled = join(__dirname, 'worker.js');
      const w = new Worker(existsSync(compiled) ? compiled : join(__dirname, 'worker_entry.js'), { workerData: job });
      pool.push(w);
      const feed = () => {
        if (failed) return;
        if (next < todo.length) w.postMessage({ index: todo[next++] });
        else w.postMessage({ exit: true });
      };
      w.on('message', (msg: { ready?: true; done?: number; error?: string }) => {
        if (msg.error !== undefined) return fail(new Error(msg.error));
        if (msg.done !== undefined) tick();
        feed();
      });
      w.on('error', fail);
      w.on('exit', (code) => {
        if (failed) return;
        if (code !== 0) return fail(new Error(`synthetic data: a worker thread exited with code ${code}`));
        if (--live === 0) resolve();
      });
    }
  });
}

// ---------------------------------------------------------------------------------------------

export interface EnsureSyntheticOptions {
  root: string;
  /** 'chair' or 'table' (any case). */
  className: SyntheticClass | string;
  /** Instances wanted per split, e.g. { train: 50, test: 10 }. */
  splits: Partial<Record<SplitName, number>>;
  resolution?: number;
  seed?: number;
  /** Views per instance per split (defaults: 50 train/val, 251 test). */
  views?: Partial<Record<SplitName, number>>;
  workers?: number;
  onProgress?: (split: SplitName, done: number, total: number) => void;
  /** Data of another generator version under `root`: 'replace' (default here: this is the managed cache) or 'refuse'. */
  otherVersion?: 'refuse' | 'replace';
  onNotice?: (message: string) => void;
}

/** Generates whatever of the asked splits is missing under `root`; returns one result per split. */
export async function ensureSyntheticDataset(opts: EnsureSyntheticOptions): Promise<GenerateSplitResult[]> {
  const className = parseSyntheticClass(opts.className);
  const out: GenerateSplitResult[] = [];
  for (const split of SPLITS) {
    const count = opts.splits[split];
    if (count === undefined) continue;
    out.push(
      await generateSplit({
        root: opts.root,
        className,
        split,
        count,
        views: opts.views?.[split],
        resolution: opts.resolution,
        seed: opts.seed,
        workers: opts.workers,
        onProgress: opts.onProgress ? (d, t) => opts.onProgress!(split, d, t) : undefined,
        otherVersion: opts.otherVersion ?? 'replace',
        onNotice: opts.onNotice,
      }),
    );
  }
  return out;
}
