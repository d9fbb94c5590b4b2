/**
 * `semantic-srn data inspect <instance-dir>`: a human-readable sanity report on one instance folder
 * of the official format — views, resolution, classes present, pose sanity, intrinsics. Problems
 * are collected and listed rather than thrown, so one report shows everything that is wrong.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cameraCenter, parseIntrinsics, rescaleIntrinsics, rigidError, type Intrinsics, type Mat4 } from '../geometry/cameras';
import { npyToInt32, readNpy } from '../io/npy';
import { readViewImage } from '../data/view_loader';
import { listSortedFiles, readClassFile, type ClassFile } from '../data/split';

export interface InspectOptions {
  /** Also show the intrinsics rescaled to this side. */
  side?: number;
  /** Class file; default: `<Class>-level-1.txt` two levels up from the instance. */
  classFile?: string;
  /** Decode every PNG (catches truncated files); default true. When false only headers are read. */
  decodeImages?: boolean;
  /** Tolerance of the rigid check; default 1e-3 (as parsePose). */
  rigidTolerance?: number;
}

const fmt = (x: number, d = 4) => (Number.isFinite(x) ? Number(x.toFixed(d)).toString() : String(x));

/** Width and height from a PNG's IHDR chunk, without decoding. */
function pngSize(path: string): { width: number; height: number } {
  const b = readFileSync(path);
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (b.length < 24 || !sig.every((s, i) => b[i] === s) || b.toString('latin1', 12, 16) !== 'IHDR') {
    throw new Error(`${path}: not a PNG image (bad signature or missing IHDR)`);
  }
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

function findClassFile(instanceDir: string): string | undefined {
  const classDir = dirname(dirname(resolve(instanceDir)));
  const named = join(classDir, `${basename(classDir)}-level-1.txt`);
  if (existsSync(named)) return named;
  try {
    const any = readdirSync(classDir).filter((f) => f.endsWith('-level-1.txt')).sort()[0];
    return any ? join(classDir, any) : undefined;
  } catch {
    return undefined;
  }
}

function subdirFiles(dir: string, name: string, ext: string): string[] | undefined {
  const d = join(dir, name);
  try {
    if (!statSync(d).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  return listSortedFiles(d, ext);
}

/** Builds the report for one instance folder. Throws only when `dir` is not an instance folder at all. */
export async function inspectInstance(dir: string, opts: InspectOptions = {}): Promise<string> {
  const problems: string[] = [];
  const lines: string[] = [];
  const rgb = subdirFiles(dir, 'rgb', '.png');
  const pose = subdirFiles(dir, 'pose', '.txt');
  if (!rgb && !pose) throw new Error(`${dir}: not an instance folder (expected rgb/ and pose/ subfolders)`);
  const seg = subdirFiles(dir, 'seg', '.npy');
  const depth = subdirFiles(dir, 'depth', '.npy');
  lines.push(`instance: ${resolve(dir)}`);
  lines.push(`id: ${basename(resolve(dir))}`);

  const counts = [`rgb ${rgb?.length ?? 'missing'}`, `pose ${pose?.length ?? 'missing'}`, `seg ${seg?.length ?? 'absent'}`];
  if (depth) counts.push(`depth ${depth.length}`);
  const nRgb = rgb?.length ?? 0;
  lines.push(`views: ${nRgb} (${counts.join(', ')})`);
  if (!rgb) problems.push('rgb/ folder missing');
  if (!pose) problems.push('pose/ folder missing');
  for (const [name, files] of [['pose', pose], ['seg', seg], ['depth', depth]] as const) {
    if (files && rgb && files.length !== rgb.length) {
      problems.push(`${name}/ has ${files.length} files but rgb/ has ${rgb.length} (views are matched by sorted order)`);
    }
  }

  // Resolution.
  const sizes = new Map<string, number>();
  const imgSize: { width: number; height: number }[] = [];
  for (const f of rgb ?? []) {
    try {
      const s = opts.decodeImages === false ? pngSize(f) : readViewImage(f);
      imgSize.push({ width: s.width, height: s.height });
      const key = `${s.width}×${s.height}`;
      sizes.set(key, (sizes.get(key) ?? 0) + 1);
    } catch (e) {
      imgSize.push({ width: -1, height: -1 });
      problems.push((e as Error).message);
    }
  }
  if (sizes.size === 1) lines.push(`resolution: ${[...sizes.keys()][0]} (width×height, all views)`);
  else if (sizes.size > 1) {
    lines.push(`resolution: mixed ${[...sizes].map(([k, n]) => `${k} ×${n}`).join(', ')}`);
    problems.push('images differ in size');
  }

  // Intrinsics.
  let k: Intrinsics | undefined;
  try {
    const kPath = join(dir, 'intrinsics.txt');
    k = parseIntrinsics(readFileSync(kPath, 'utf8'), kPath).intrinsics;
    lines.push(`intrinsics: f=${fmt(k.fx)} cx=${fmt(k.cx)} cy=${fmt(k.cy)} for ${k.height}×${k.width} (height×width)`);
    const first = imgSize.find((s) => s.width > 0);
    if (first && (first.width !== k.width || first.height !== k.height)) {
      lines.push(`  note: images are ${first.height}×${first.width}; the rescale uses the ratio S/${k.height}, so f/height must match the images`);
    }
    if (opts.side) {
      const r = rescaleIntrinsics(k, opts.side);
      lines.push(`  at side ${opts.side}: f=${fmt(r.fx)} cx=${fmt(r.cx)} cy=${fmt(r.cy)}`);
    }
  } catch (e) {
    problems.push((e as Error).message.replace(/^Error: /, ''));
    lines.push('intrinsics: unreadable');
  }

  // Classes.
  const classPath = opts.classFile ?? findClassFile(dir);
  let classes: ClassFile | undefined;
  if (classPath) {
    try {
      classes = readClassFile(classPath);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (seg) {
    const pixelCounts = new Map<number, number>();
    let total = 0;
    seg.forEach((f, i) => {
      try {
        const arr = readNpy(f);
        const labels = npyToInt32(arr, f);
        const s = imgSize[i];
        const sh = arr.shape;
        // [H, W] or [H, W, 1], as the loader requires (an [H, W, 3] map would fail only at training or eval).
        const rankOk = sh.length === 2 || (sh.length === 3 && sh[2] === 1);
        if (!rankOk || (s && s.width > 0 && (sh[0] !== s.height || sh[1] !== s.width))) {
          const want = s && s.width > 0 ? `[${s.height}, ${s.width}] (the rgb size)` : '[H, W]';
          problems.push(`${f}: label map of shape [${sh.join(', ')}], expected ${want} or [H, W, 1]`);
        }
        for (let j = 0; j < labels.length; j++) pixelCounts.set(labels[j], (pixelCounts.get(labels[j]) ?? 0) + 1);
        total += labels.length;
      } catch (e) {
        problems.push((e as Error).message);
      }
    });
    const ids = [...pixelCounts.keys()].sort((a, b) => a - b);
    const name = (id: number) => (classes && id >= 0 && id < classes.numClasses ? ` ${classes.classNames[id]}` : '');
    const src = classes ? ` (${basename(classPath!)}, C=${classes.numClasses})` : ' (no class file found)';
    lines.push(`classes present${src}:`);
    for (const id of ids) lines.push(`  ${id}${name(id)}: ${fmt((100 * pixelCounts.get(id)!) / total, 2)}% of pixels`);
    if (classes) {
      const absent = classes.classNames.flatMap((n, id) => (pixelCounts.has(id) ? [] : [`${id} ${n}`]));
      lines.push(`  absent: ${absent.length ? absent.join(', ') : 'none'}`);
      const outside = ids.filter((id) => id < 0 || id >= classes!.numClasses);
      if (outside.length) problems.push(`labels ${outside.join(', ')} are outside [0, ${classes.numClasses}) of ${classPath}`);
    }
  } else {
    lines.push('classes present: no seg/ folder (unlabelled)');
  }

  // Poses.
  if (pose && pose.length > 0) {
    const mats: Mat4[] = [];
    let nonRigid = 0;
    for (const f of pose) {
      const nums = readFileSync(f, 'utf8').replace(/[,[\]]/g, ' ').trim().split(/\s+/).filter(Boolean).map(Number);
      if (nums.length !== 16 || nums.some((v) => !Number.isFinite(v))) {
        problems.push(`${f}: expected 16 numbers (4×4 cam2world), got ${nums.length}`);
        continue;
      }
      const err = rigidError(nums);
      if (err > (opts.rigidTolerance ?? 1e-3)) {
        nonRigid++;
        problems.push(`${f}: not a rigid transform (error ${err.toExponential(2)})`);
      }
      mats.push(nums);
    }
    const dists = mats.map((m) => Math.hypot(...cameraCenter(m)));
    // Angle between the view axis (column 2 of R) and the direction from the camera to the origin.
    const angles = mats.map((m) => {
      const c = cameraCenter(m);
      const d = Math.hypot(...c);
      const axis = [m[2], m[6], m[10]];
      const an = Math.hypot(axis[0], axis[1], axis[2]);
      if (d === 0 || an === 0) return NaN;
      const cos = -(axis[0] * c[0] + axis[1] * c[1] + axis[2] * c[2]) / (d * an);
      return (Math.acos(Math.max(-1, Math.min(1, cos))) * 180) / Math.PI;
    });
    const fin = angles.filter(Number.isFinite);
    lines.push(`poses: ${mats.length - nonRigid}/${pose.length} rigid`);
    if (dists.length) lines.push(`  camera distance from origin: min ${fmt(Math.min(...dists))}, max ${fmt(Math.max(...dists))}`);
    if (fin.length) {
      const max = Math.max(...fin);
      const mean = fin.reduce((a, b) => a + b, 0) / fin.length;
      const verdict = max < 1 ? 'all cameras look at the origin' : `${fin.filter((a) => a >= 1).length} cameras look away from the origin by ≥ 1°`;
      lines.push(`  view axis vs direction to origin: max ${fmt(max, 3)}°, mean ${fmt(mean, 3)}° (${verdict})`);
    }
  }

  lines.push(problems.length ? `problems (${problems.length}):` : 'problems: none');
  for (const p of problems) lines.push(`  - ${p}`);
  return lines.join('\n');
}

const USAGE = 'usage: semantic-srn data inspect <instance-dir> [--side S] [--class-file PATH] [--quick]\n' +
  '  --side S           also print the intrinsics rescaled to S×S\n' +
  '  --class-file PATH  class list (default: <Class>-level-1.txt two levels up)\n' +
  '  --quick            read PNG headers only instead of decoding every image';

/** CLI glue for `data inspect`: prints the report; exit code 0 when clean, 1 when problems were found or it failed, 2 on usage errors. */
export async function runInspect(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { side: { type: 'string' }, 'class-file': { type: 'string' }, quick: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    console.error(`data inspect: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`data inspect: expected one instance folder, got ${positionals.length}\n${USAGE}`);
    return 2;
  }
  let side: number | undefined;
  if (values.side !== undefined) {
    side = Number(values.side);
    if (!Number.isInteger(side) || side < 1) {
      console.error(`data inspect: --side must be a positive integer, got '${values.side}'`);
      return 2;
    }
  }
  try {
    const report = await inspectInstance(positionals[0], { side, classFile: values['class-file'], decodeImages: !values.quick });
    console.log(report);
    return report.includes('\nproblems: none') ? 0 : 1;
  } catch (e) {
    console.error(`data inspect: ${(e as Error).message}`);
    return 1;
  }
}
