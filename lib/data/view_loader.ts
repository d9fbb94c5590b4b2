/**
 * Loading one view (or a batch) into the arrays and tensors the model consumes, exactly as the
 * reference preprocesses them (spec/reference.md §5.2), with an optional bounded LRU cache of
 * preprocessed views.
 */
import * as tf from '@tensorflow/tfjs';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { parsePose, rescaleIntrinsics } from '../geometry/cameras';
import { intrinsicsTensor, poseTensor } from '../geometry/rays';
import { npyToFloat32, npyToInt32, readNpy, type NpyArray } from '../io/npy';
import { decodePng, type RgbaImage } from '../io/png';
import { centreCropBox, cropImage, nearestResize, preprocessRgba } from './image_ops';
import type { InstanceRecord, LoadedView, SplitInfo, ViewBatch, ViewFiles, ViewRef } from './types';

/** Least-recently-used cache of preprocessed views, bounded by bytes (and optionally entries). */
export class ViewCache {
  private readonly map = new Map<string, { view: LoadedView; bytes: number }>();
  private used = 0;
  hits = 0;
  misses = 0;

  constructor(
    readonly maxBytes = 512 * 2 ** 20,
    readonly maxEntries = Infinity,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get bytes(): number {
    return this.used;
  }

  get(key: string): LoadedView | undefined {
    const e = this.map.get(key);
    if (!e) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Re-insert to mark as most recently used (Map keeps insertion order).
    this.map.delete(key);
    this.map.set(key, e);
    return e.view;
  }

  set(key: string, view: LoadedView): void {
    const bytes = view.rgba.byteLength + (view.labels?.byteLength ?? 0) + (view.depth?.byteLength ?? 0) + 256;
    if (bytes > this.maxBytes || this.maxEntries < 1) return;
    const old = this.map.get(key);
    if (old) {
      this.used -= old.bytes;
      this.map.delete(key);
    }
    this.map.set(key, { view, bytes });
    this.used += bytes;
    for (const [k, e] of this.map) {
      if (this.used <= this.maxBytes && this.map.size <= this.maxEntries) break;
      this.map.delete(k);
      this.used -= e.bytes;
    }
  }

  clear(): void {
    this.map.clear();
    this.used = 0;
  }
}

export interface LoadViewOptions {
  cache?: ViewCache;
  /** Skip labels (e.g. RGB-only training); default false. */
  skipLabels?: boolean;
  /** Skip depth; default false. */
  skipDepth?: boolean;
}

function instanceAt(info: SplitInfo, pos: number): InstanceRecord {
  const inst = info.instances[pos];
  if (!inst) throw new Error(`${info.splitDir ?? info.className}: instance position ${pos} outside [0, ${info.instances.length})`);
  return inst;
}

function viewAt(inst: InstanceRecord, v: number): ViewFiles {
  const view = inst.views[v];
  if (!view) throw new Error(`${inst.dir}: view ${v} outside [0, ${inst.views.length})`);
  return view;
}

/** An H×W label or depth map from .npy (shape [H, W] or [H, W, 1]), checked against the rgb size. */
function readMap(path: string, height: number, width: number, what: string, rgbPath = 'the rgb image'): NpyArray {
  const arr = readNpy(path);
  const s = arr.shape;
  const ok = (s.length === 2 || (s.length === 3 && s[2] === 1)) && s[0] === height && s[1] === width;
  if (!ok) {
    throw new Error(`${path}: ${what} of shape [${s.join(', ')}], expected [${height}, ${width}] or [${height}, ${width}, 1] (the size of ${rgbPath})`);
  }
  return arr;
}

/** Width and height from a PNG's IHDR chunk without decoding it; undefined when unreadable (loadView reports that). */
function pngSize(path: string): { width: number; height: number } | undefined {
  const head = Buffer.alloc(24);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    if (readSync(fd, head, 0, 24, 0) < 24 || !PNG_SIGNATURE.every((b, i) => head[i] === b)) return undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}

type InstanceSize = { width: number; height: number } | 'no majority' | 'unknown';
const instanceSizes = new Map<string, InstanceSize>();

/**
 * The image size of an instance: the size most of its first five views have ('no majority' when they
 * disagree, 'unknown' when none has a readable PNG header). Without it a wrong-size view would be silently cropped and resized in training (no label map
 * to compare with), or, with one, the label map would be blamed for the image's size.
 */
function instanceImageSize(inst: InstanceRecord): InstanceSize {
  const cached = instanceSizes.get(inst.dir);
  if (cached !== undefined) return cached;
  const counts = new Map<string, number>();
  for (const v of inst.views.slice(0, 5)) {
    const s = pngSize(v.rgb);
    if (s) counts.set(`${s.width}x${s.height}`, (counts.get(`${s.width}x${s.height}`) ?? 0) + 1);
  }
  const ranked = [...counts].sort((a, b) => b[1] - a[1]);
  const ref = ranked.length === 1 || (ranked.length > 1 && ranked[0][1] > ranked[1][1]) ? ranked[0][0].split('x').map(Number) : undefined;
  const out: InstanceSize = ref ? { width: ref[0], height: ref[1] } : ranked.length ? 'no majority' : 'unknown';
  instanceSizes.set(inst.dir, out);
  return out;
}

/** Throws unless every label is in [0, numClasses). */
function checkLabelRange(labels: Int32Array, width: number, numClasses: number, path: string): Int32Array {
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l < 0 || l >= numClasses) {
      throw new Error(
        `${path}: label ${l} at row ${Math.floor(i / width)}, column ${i % width} is outside [0, ${numClasses}) (the class file's range)`,
      );
    }
  }
  return labels;
}

/** Reads a label map (checked against the rgb size H×W) and checks every value is in [0, numClasses). */
export function readLabelMap(path: string, height: number, width: number, numClasses: number): Int32Array {
  return checkLabelRange(npyToInt32(readMap(path, height, width, 'label map'), path), width, numClasses, path);
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Reads an RGBA view image, telling a non-PNG file apart from a truncated or corrupt one. */
export function readViewImage(path: string): RgbaImage {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new Error(`${path}: cannot read the view image (expected an RGBA .png; ${(e as Error).message})`);
  }
  if (buf.length < 8 || !PNG_SIGNATURE.every((b, i) => buf[i] === b)) {
    throw new Error(`${path}: not a PNG file (bad signature; expected an 8-bit RGBA .png)`);
  }
  try {
    return decodePng(buf, path);
  } catch (e) {
    throw new Error(`${path}: truncated or corrupt PNG (${(e as Error).message.replace(`${path}: `, '')})`);
  }
}

function readPoseFile(path: string): number[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read pose (expected a 4×4 cam2world matrix; ${(e as Error).message})`);
  }
  return parsePose(text, path);
}

/** Loads and preprocesses one view at side S (spec/reference.md §5.2). */
export function loadView(info: SplitInfo, instancePos: number, viewIdx: number, side: number, opts: LoadViewOptions = {}): LoadedView {
  if (!Number.isInteger(side) || side < 1) throw new Error(`loadView: side must be a positive integer, got ${side}`);
  const inst = instanceAt(info, instancePos);
  const files = viewAt(inst, viewIdx);
  const key = `${files.rgb}|${side}|${opts.skipLabels ? 0 : 1}${opts.skipDepth ? 0 : 1}`;
  const hit = opts.cache?.get(key);
  if (hit) return hit;

  const img = readViewImage(files.rgb);
  const ref = instanceImageSize(inst);
  if (ref === 'no majority' || (ref !== 'unknown' && (img.width !== ref.width || img.height !== ref.height))) {
    const others = ref === 'no majority' ? `the first views of ${inst.dir} differ in size with no majority` : `the other views of ${inst.dir} are ${ref.width}×${ref.height}`;
    throw new Error(`${files.rgb}: image is ${img.width}×${img.height}, but ${others}; every view of an instance must have one size`);
  }
  const out: LoadedView = {
    rgba: preprocessRgba(img.data, img.height, img.width, side),
    pose: readPoseFile(files.pose),
    intrinsics: rescaleIntrinsics(inst.intrinsics, side),
  };
  const box = centreCropBox(img.height, img.width);
  if (files.seg && !opts.skipLabels) {
    const labels = checkLabelRange(npyToInt32(readMap(files.seg, img.height, img.width, 'label map', files.rgb), files.seg), img.width, info.numClasses, files.seg);
    const crop = cropImage(labels, img.width, 1, box, (n) => new Int32Array(n));
    out.labels = nearestResize(crop, box.side, side, (n) => new Int32Array(n));
  }
  if (files.depth && !opts.skipDepth) {
    const depth = npyToFloat32(readMap(files.depth, img.height, img.width, 'depth map', files.rgb));
    const crop = cropImage(depth, img.width, 1, box, (n) => new Float32Array(n));
    out.depth = nearestResize(crop, box.side, side, (n) => new Float32Array(n));
  }
  opts.cache?.set(key, out);
  return out;
}

/**
 * Loads (instance, view) pairs into a ViewBatch. Labels (depth) are included when every view
 * has them; a batch mixing labelled and unlabelled views throws.
 */
export function loadBatch(info: SplitInfo, refs: readonly ViewRef[], side: number, opts: LoadViewOptions = {}): ViewBatch {
  if (refs.length === 0) throw new Error('loadBatch: empty list of views');
  const views = refs.map((r) => loadView(info, r.instance, r.view, side, opts));
  const n = side * side;
  const b = refs.length;
  const rgba = new Float32Array(b * n * 4);
  views.forEach((v, i) => rgba.set(v.rgba, i * n * 4));
  const withLabels = views.filter((v) => v.labels).length;
  if (withLabels !== 0 && withLabels !== b) {
    const r = refs[views.findIndex((v) => !v.labels)];
    throw new Error(`loadBatch: view ${r.view} of ${info.instances[r.instance].dir} has no seg/ labels but others in the batch do`);
  }
  const withDepth = views.filter((v) => v.depth).length;
  const instancePositions = refs.map((r) => r.instance);
  const batch: ViewBatch = {
    instanceIndex: tf.tensor1d(instancePositions.map((p) => info.instances[p].index), 'int32'),
    instancePositions,
    viewIndex: refs.map((r) => info.instances[r.instance].views[r.view].index ?? r.view),
    rgba: tf.tensor3d(rgba, [b, n, 4]),
    cam2world: poseTensor(views.map((v) => v.pose)),
    intrinsics: intrinsicsTensor(views.map((v) => v.intrinsics)),
    side,
  };
  if (withLabels === b) {
    const labels = new Int32Array(b * n);
    views.forEach((v, i) => labels.set(v.labels!, i * n));
    batch.labels = tf.tensor2d(labels, [b, n], 'int32');
  }
  if (withDepth === b) {
    const depth = new Float32Array(b * n);
    views.forEach((v, i) => depth.set(v.depth!, i * n));
    batch.depth = tf.tensor2d(depth, [b, n]);
  }
  return batch;
}

/** Disposes every tensor of a batch. */
export function disposeBatch(batch: ViewBatch): void {
  tf.dispose([batch.instanceIndex, batch.rgba, batch.cam2world, batch.intrinsics]);
  if (batch.labels) batch.labels.dispose();
  if (batch.depth) batch.depth.dispose();
}

/**
 * Per-class pixel counts (length C) of a view's labels: at full resolution, or after the centre
 * crop + nearest resize to `side` when given (what the model actually sees). Reads only seg/.
 */
export function viewClassCounts(info: SplitInfo, instancePos: number, viewIdx: number, side?: number): number[] {
  const inst = instanceAt(info, instancePos);
  const files = viewAt(inst, viewIdx);
  if (!files.seg) throw new Error(`${inst.dir}: view ${viewIdx} has no seg/ label map`);
  const arr = readNpy(files.seg);
  const s = arr.shape;
  if (!(s.length === 2 || (s.length === 3 && s[2] === 1))) {
    throw new Error(`${files.seg}: label map of shape [${s.join(', ')}], expected [H, W]`);
  }
  let labels = checkLabelRange(npyToInt32(arr, files.seg), s[1], info.numClasses, files.seg);
  if (side !== undefined) {
    const box = centreCropBox(s[0], s[1]);
    labels = nearestResize(cropImage(labels, s[1], 1, box, (n) => new Int32Array(n)), box.side, side, (n) => new Int32Array(n));
  }
  const counts = new Array<number>(info.numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}
