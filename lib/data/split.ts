/**
 * Opening a split of the official on-disk format (spec/reference.md §5.1): the class file, the
 * instance folders in sorted order (index = position in the full sorted list) and each instance's
 * views matched across rgb/, pose/, seg/ (and optional depth/) by sorted file order.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseIntrinsics } from '../geometry/cameras';
import type { InstanceRecord, SplitInfo, SplitName, ViewFiles } from './types';

export interface ClassFile {
  /** 1 + the largest id. */
  numClasses: number;
  /** names[id]; 0 is 'background' unless the file names it; ids without a line get `class_<id>`. */
  classNames: string[];
}

/** Parses `<Class>-level-1.txt`: one `<id> <name>` per line (extra columns ignored). */
export function parseClassFile(text: string, source = 'level-1.txt'): ClassFile {
  const named = new Map<number, string>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line.length === 0 || line.startsWith('#')) return;
    const [idText, name] = line.split(/\s+/);
    const id = Number(idText);
    if (!Number.isInteger(id) || id < 0 || name === undefined) {
      throw new Error(`${source}: line ${i + 1} should be '<id> <name>' with a non-negative integer id, got '${line}'`);
    }
    if (named.has(id)) throw new Error(`${source}: line ${i + 1}: class id ${id} appears twice`);
    named.set(id, name);
  });
  if (named.size === 0) throw new Error(`${source}: no '<id> <name>' lines (expected the class list)`);
  const numClasses = 1 + Math.max(...named.keys());
  const classNames = Array.from({ length: numClasses }, (_, id) => named.get(id) ?? (id === 0 ? 'background' : `class_${id}`));
  return { numClasses, classNames };
}

export function readClassFile(path: string): ClassFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read the class file (expected '<id> <name>' lines; ${(e as Error).message})`);
  }
  return parseClassFile(text, path);
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Sorted (code-point order, like Python's `sorted`) visible files of `dir` ending in `ext`. */
export function listSortedFiles(dir: string, ext: string): string[] {
  return readdirSync(dir)
    .filter((f) => !f.startsWith('.') && f.toLowerCase().endsWith(ext))
    .sort()
    .map((f) => join(dir, f));
}

/** The class folder under `root`: exact name first, then a case-insensitive match ('chair' → 'Chair'). */
export function resolveClassDir(root: string, className: string): { dir: string; name: string } {
  const exact = join(root, className);
  if (isDir(exact)) return { dir: exact, name: className };
  if (isDir(root)) {
    const hit = readdirSync(root).find((f) => f.toLowerCase() === className.toLowerCase() && isDir(join(root, f)));
    if (hit) return { dir: join(root, hit), name: hit };
  }
  throw new Error(`${exact}: class folder not found (expected <root>/<Class>/ with <Class>.<split>/ and <Class>-level-1.txt)`);
}

/**
 * The views of one instance folder, matched across rgb/*.png, pose/*.txt, seg/*.npy and depth/*.npy
 * by sorted order. seg/ and depth/ are optional; when present their counts must match rgb/.
 */
export function listInstanceViews(dir: string): ViewFiles[] {
  const rgbDir = join(dir, 'rgb');
  const poseDir = join(dir, 'pose');
  if (!isDir(rgbDir)) throw new Error(`${rgbDir}: missing rgb/ folder (expected RGBA .png views)`);
  if (!isDir(poseDir)) throw new Error(`${poseDir}: missing pose/ folder (expected 4×4 cam2world .txt files)`);
  const rgb = listSortedFiles(rgbDir, '.png');
  const pose = listSortedFiles(poseDir, '.txt');
  if (rgb.length === 0) throw new Error(`${rgbDir}: no .png views (expected one RGBA image per view)`);
  const mismatch = (what: string, n: number, ext: string) =>
    new Error(`${dir}: rgb/ has ${rgb.length} .png files but ${what}/ has ${n} ${ext} files (views are matched by sorted order; the counts must agree)`);
  if (pose.length !== rgb.length) throw mismatch('pose', pose.length, '.txt');
  const optional = (name: string): string[] | undefined => {
    const d = join(dir, name);
    if (!isDir(d)) return undefined;
    const files = listSortedFiles(d, '.npy');
    if (files.length !== rgb.length) throw mismatch(name, files.length, '.npy');
    return files;
  };
  const seg = optional('seg');
  const depth = optional('depth');
  return rgb.map((r, i) => {
    const v: ViewFiles = { rgb: r, pose: pose[i], index: i };
    if (seg) v.seg = seg[i];
    if (depth) v.depth = depth[i];
    return v;
  });
}

export function readInstance(dir: string, id: string, index: number): InstanceRecord {
  const kPath = join(dir, 'intrinsics.txt');
  let text: string;
  try {
    text = readFileSync(kPath, 'utf8');
  } catch (e) {
    throw new Error(`${kPath}: cannot read intrinsics (expected the 4-line official format; ${(e as Error).message})`);
  }
  return { id, index, dir, intrinsics: parseIntrinsics(text, kPath).intrinsics, views: listInstanceViews(dir) };
}

export interface OpenSplitOptions {
  /** Keep only these instance folder names (each keeps its full-list index). Unknown ids throw. */
  instanceIds?: readonly string[];
  /** Keep the first n instances (after `instanceIds`), as the reference's `--max_num_instances_*`. */
  maxInstances?: number;
  /** Keep only these view positions (of the full sorted list) in every instance. */
  viewIndices?: readonly number[];
}

/**
 * Opens `<root>/<Class>/<Class>.<split>`. Instances are sorted by folder name and keep
 * `index` = position in the full sorted list, whatever subset is requested (reference pitfall 14;
 * unlike the reference, `instanceIds` + `maxInstances` compose instead of truncating first).
 */
export function openSplit(root: string, className: string, split: SplitName, opts: OpenSplitOptions = {}): SplitInfo {
  const cls = resolveClassDir(root, className);
  const classFile = readClassFile(join(cls.dir, `${cls.name}-level-1.txt`));
  const splitDir = join(cls.dir, `${cls.name}.${split}`);
  if (!isDir(splitDir)) throw new Error(`${splitDir}: split folder not found (expected <Class>/<Class>.${split}/<instance>/)`);
  const ids = readdirSync(splitDir)
    .filter((f) => !f.startsWith('.') && isDir(join(splitDir, f)))
    .sort();
  if (ids.length === 0) throw new Error(`${splitDir}: empty split (no instance folders)`);

  let chosen = ids.map((id, index) => ({ id, index }));
  if (opts.instanceIds) {
    const pos = new Map(ids.map((id, i) => [id, i]));
    const wanted = new Set<number>();
    for (const id of opts.instanceIds) {
      const i = pos.get(id);
      if (i === undefined) throw new Error(`${splitDir}: instance '${id}' not found (instanceIds must name folders of the split)`);
      wanted.add(i);
    }
    chosen = chosen.filter((c) => wanted.has(c.index));
  }
  if (opts.maxInstances !== undefined) {
    if (!Number.isInteger(opts.maxInstances) || opts.maxInstances < 1) {
      throw new Error(`openSplit: maxInstances must be a positive integer, got ${opts.maxInstances}`);
    }
    chosen = chosen.slice(0, opts.maxInstances);
  }
  const instances = chosen.map((c) => readInstance(join(splitDir, c.id), c.id, c.index));
  const info: SplitInfo = {
    root,
    className: cls.name,
    split,
    numClasses: classFile.numClasses,
    classNames: classFile.classNames,
    instances,
    fullSplitSize: ids.length,
    splitDir,
  };
  return opts.viewIndices ? subsetSplit(info, { views: opts.viewIndices }) : info;
}

export interface SubsetSpec {
  /** Positions in `info.instances` to keep (any order; the result is sorted by index). */
  positions?: readonly number[];
  /** View positions to keep: one list for all instances, or one per kept instance (same order as `positions`). */
  views?: readonly number[] | readonly (readonly number[])[];
}

/**
 * A subset of a split that keeps every instance's full-split `index` and every view's file
 * `index`. View positions refer to the instance's current `views` list.
 */
export function subsetSplit(info: SplitInfo, spec: SubsetSpec): SplitInfo {
  const positions = spec.positions ?? info.instances.map((_, i) => i);
  const seen = new Set<number>();
  for (const p of positions) {
    if (!Number.isInteger(p) || p < 0 || p >= info.instances.length) {
      throw new Error(`subsetSplit: instance position ${p} outside [0, ${info.instances.length})`);
    }
    if (seen.has(p)) throw new Error(`subsetSplit: instance position ${p} listed twice`);
    seen.add(p);
  }
  const perInstance = spec.views !== undefined && spec.views.length > 0 && Array.isArray(spec.views[0]);
  if (perInstance && spec.views!.length !== positions.length) {
    throw new Error(`subsetSplit: ${spec.views!.length} view lists for ${positions.length} instances`);
  }
  const kept = positions.map((p, k) => {
    const inst = info.instances[p];
    if (spec.views === undefined) return inst;
    const vs = (perInstance ? spec.views[k] : spec.views) as readonly number[];
    const views = vs.map((v) => {
      if (!Number.isInteger(v) || v < 0 || v >= inst.views.length) {
        throw new Error(`${inst.dir}: view index ${v} outside [0, ${inst.views.length}) (the instance has ${inst.views.length} views)`);
      }
      return inst.views[v];
    });
    return { ...inst, views };
  });
  kept.sort((a, b) => a.index - b.index);
  return { ...info, instances: kept };
}

/** The released scripts' few-shot rule: the first n instances of the sorted list (`--max_num_instances_train n`). */
export function firstInstances(info: SplitInfo, n: number): SplitInfo {
  if (!Number.isInteger(n) || n < 1) throw new Error(`firstInstances: n must be a positive integer, got ${n}`);
  if (n > info.instances.length) throw new Error(`firstInstances: asked for ${n} instances, the split has ${info.instances.length}`);
  return subsetSplit(info, { positions: info.instances.slice(0, n).map((_, i) => i) });
}

/**
 * Which objects a split holds, for journal fingerprints: a journal written over other objects (another root, class,
 * split or subset) must not be resumed. Key order is part of the fingerprint's JSON: keep it.
 */
export function splitIdentity(split: SplitInfo): { root: string; className: string; split: SplitName; ids: string[] } {
  return { root: split.root, className: split.className, split: split.split, ids: split.instances.map((i) => i.id) };
}
