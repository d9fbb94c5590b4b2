import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  archimedeanSpiralPoses,
  cameraCenter,
  formatPose,
  liftPixel,
  parseIntrinsics,
  parsePose,
  pixelRayDirection,
} from '../../lib/geometry/cameras';
import { readNpy } from '../../lib/io/npy';
import { Rng } from '../../lib/util/random';
import { readPng } from '../../lib/io/png';
import { loadView, openSplit } from '../../lib/data';
import type { SplitName } from '../../lib/data/types';
import {
  aabb,
  buildObject,
  CAMERA_DISTANCE,
  castRay,
  CLASS_NAMES,
  ensureSyntheticDataset,
  generatedVersion,
  generateSplit,
  GENERATOR_VERSION,
  MATERIAL_SCHEMES,
  syntheticPoses,
  instanceDir,
  instanceId,
  OBJECT_RADIUS,
  signedDistance,
  type SyntheticClass,
} from '../../lib/data/synthetic';

const SEED = 7;
const SIDE = 32;
const VIEWS = 3;

function hashTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(root, { recursive: true })) {
    const p = join(root, String(f));
    if (statSync(p).isFile()) out.set(relative(root, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
  }
  return out;
}

async function generateSmall(root: string, seed: number, workers: number): Promise<void> {
  for (const className of ['chair', 'table'] as const) {
    await generateSplit({ root, className, split: 'train', count: 2, views: VIEWS, resolution: SIDE, seed, workers });
  }
}

/**
 * Re-casts every pixel's ray from the WRITTEN pose and intrinsics against the object's primitives
 * and checks label, alpha and depth; returns the number of foreground pixels.
 */
function checkInstanceAgainstPrimitives(root: string, className: SyntheticClass, split: SplitName, index: number, seed: number): number {
  const dir = instanceDir(root, { seed, className, split, index });
  const { primitives } = buildObject(seed, className, split, index);
  const k = parseIntrinsics(readFileSync(join(dir, 'intrinsics.txt'), 'utf8')).intrinsics;
  const C = CLASS_NAMES[className].length;
  let foreground = 0;
  const views = readdirSync(join(dir, 'pose')).sort();
  for (const name of views) {
    const stem = name.replace(/\.txt$/, '');
    const pose = parsePose(readFileSync(join(dir, 'pose', name), 'utf8'));
    const seg = readNpy(join(dir, 'seg', `${stem}.npy`));
    const depth = readNpy(join(dir, 'depth', `${stem}.npy`));
    const rgb = readPng(join(dir, 'rgb', `${stem}.png`));
    assert.deepEqual(seg.shape, [k.height, k.width]);
    assert.equal(seg.dtype, 'uint8');
    assert.deepEqual(depth.shape, [k.height, k.width]);
    assert.equal(depth.dtype, 'float32');
    assert.equal(rgb.width, k.width);
    const origin = cameraCenter(pose);
    for (let v = 0; v < k.height; v++) {
      for (let u = 0; u < k.width; u++) {
        const q = v * k.width + u;
        const label = seg.data[q] as number;
        const d = depth.data[q] as number;
        const alpha = rgb.data[4 * q + 3];
        assert.ok(label < C, `label ${label} out of range at ${stem} (${u},${v})`);
        const hit = castRay(primitives, origin, pixelRayDirection(k, pose, u, v));
        const where = `${className} ${index} view ${stem} pixel (u=${u}, v=${v})`;
        if (hit.index < 0) {
          assert.equal(label, 0, `${where}: ray misses every primitive but label is ${label}`);
          assert.equal(d, 0, `${where}: background depth`);
          assert.equal(alpha, 0, `${where}: background alpha`);
          continue;
        }
        foreground++;
        const prim = primitives[hit.index];
        assert.equal(label, prim.label, `${where}: label ${label}, ray hits primitive ${hit.index} labelled ${prim.label}`);
        assert.equal(alpha, 255, `${where}: foreground alpha`);
        assert.ok(d > 0, `${where}: foreground depth ${d}`);
        // The pixel lifted to the written depth lies on the hit primitive's surface …
        const p = liftPixel(k, pose, u, v, d);
        const dist = signedDistance(prim, p);
        assert.ok(Math.abs(dist) < 1e-3, `${where}: lifted point is ${dist} from the labelled primitive's surface`);
        // … and inside no primitive (else the ray would have entered that one first): an
        // intersection-free check that the labelled hit is the nearest.
        for (const other of primitives) assert.ok(signedDistance(other, p) > -1e-3, `${where}: lifted point inside another primitive`);
      }
    }
  }
  return foreground;
}

describe('synthetic dataset generator', () => {
  const roots: string[] = [];
  const temp = (tag: string) => {
    const r = mkdtempSync(join(tmpdir(), `srn-synth-${tag}-`));
    roots.push(r);
    return r;
  };
  let rootA: string;
  let rootB: string;
  before(async () => {
    rootA = temp('a');
    rootB = temp('b');
    await generateSmall(rootA, SEED, 1);
    await generateSmall(rootB, SEED, 2); // worker threads must not change a byte
  });
  after(() => {
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });

  it('writes the official layout', () => {
    for (const [cls, C] of [['chair', 'Chair'], ['table', 'Table']] as const) {
      const classDir = join(rootA, C);
      assert.deepEqual(readdirSync(classDir).sort(), [`${C}-level-1.txt`, `${C}.train`, 'generator.json'].sort());
      const ids = readdirSync(join(classDir, `${C}.train`)).sort();
      assert.deepEqual(ids, [0, 1].map((i) => instanceId(SEED, cls, 'train', i)).sort());
      for (const id of ids) {
        assert.match(id, /^[0-9a-f]{32}$/);
        const dir = join(classDir, `${C}.train`, id);
        assert.deepEqual(readdirSync(dir).sort(), ['depth', 'intrinsics.txt', 'pose', 'rgb', 'seg']);
        assert.deepEqual(readdirSync(join(dir, 'rgb')), ['000000.png', '000001.png', '000002.png']);
        assert.deepEqual(readdirSync(join(dir, 'seg')), ['000000.npy', '000001.npy', '000002.npy']);
        const k = parseIntrinsics(readFileSync(join(dir, 'intrinsics.txt'), 'utf8'));
        assert.equal(k.intrinsics.height, SIDE);
        assert.equal(k.intrinsics.cx, SIDE / 2);
      }
    }
  });

  it('class files list the official names', () => {
    assert.equal(
      readFileSync(join(rootA, 'Chair', 'Chair-level-1.txt'), 'utf8'),
      '1 chair_head\n2 chair_back\n3 chair_arm\n4 chair_base\n5 chair_seat\n',
    );
    const table = readFileSync(join(rootA, 'Table', 'Table-level-1.txt'), 'utf8').trim().split('\n');
    assert.equal(table.length, 10);
    assert.equal(table[0], '1 game_table/ping_pong_table/ping_pong_net');
    assert.equal(table[7], '8 picnic_table/bench');
    assert.equal(table[9], '10 regular_table/table_base');
  });

  it('is byte-identical for the same seed, whatever the worker count', () => {
    const a = hashTree(rootA);
    const b = hashTree(rootB);
    assert.ok(a.size > 2 * 2 * 4 * VIEWS);
    assert.deepEqual([...b.entries()].sort(), [...a.entries()].sort());
  });

  it('differs for another seed', async () => {
    const root = temp('c');
    await generateSmall(root, SEED + 1, 1);
    const a = new Set(hashTree(rootA).values());
    const images = [...hashTree(root).entries()].filter(([p]) => p.includes('/rgb/'));
    assert.ok(images.length > 0);
    for (const [, h] of images) assert.ok(!a.has(h), 'an image repeats across seeds');
  });

  it('every label pixel agrees with the primitive its ray hits, and the depth lifts onto its surface', () => {
    for (const cls of ['chair', 'table'] as const) {
      for (const index of [0, 1]) {
        const fg = checkInstanceAgainstPrimitives(rootA, cls, 'train', index, SEED);
        assert.ok(fg > VIEWS * SIDE * SIDE * 0.05, `${cls} ${index}: only ${fg} foreground pixels`);
      }
    }
  });

  it('train cameras lie on the whole sphere at the fixed radius (as the SRN renderer samples them), looking at the origin', () => {
    const poses = syntheticPoses('train', 400, new Rng(11));
    const below = poses.filter((m) => cameraCenter(m)[2] < 0).length;
    // Uniform on the sphere: half the views from below (binomial sd 10 at n = 400).
    assert.ok(below > 160 && below < 240, `${below} of 400 cameras below the equator`);
    const dir = instanceDir(rootA, { seed: SEED, className: 'chair', split: 'train', index: 0 });
    for (const name of readdirSync(join(dir, 'pose'))) {
      const m = parsePose(readFileSync(join(dir, 'pose', name), 'utf8'));
      const c = cameraCenter(m);
      assert.ok(Math.abs(Math.hypot(...c) - CAMERA_DISTANCE) < 1e-6);
      const fwd = [m[2], m[6], m[10]];
      const cos = -(fwd[0] * c[0] + fwd[1] * c[1] + fwd[2] * c[2]) / CAMERA_DISTANCE;
      assert.ok(cos > 1 - 1e-6, 'camera does not look at the origin');
    }
  });

  it('objects fit the common bounding sphere and use only valid labels', () => {
    for (const cls of ['chair', 'table'] as const) {
      for (let i = 0; i < 40; i++) {
        const { primitives } = buildObject(3, cls, 'train', i);
        let r = 0;
        for (const p of primitives) {
          assert.ok(p.label >= 1 && p.label < CLASS_NAMES[cls].length);
          const [lo, hi] = aabb(p);
          for (const x of [lo[0], hi[0]]) for (const y of [lo[1], hi[1]]) for (const z of [lo[2], hi[2]]) r = Math.max(r, Math.hypot(x, y, z));
        }
        // Corners of the primitives' bounding boxes lie in the object's box, centred with diagonal 1.
        assert.ok(r <= OBJECT_RADIUS + 1e-9, `${cls} ${i}: radius ${r}`);
      }
    }
  });

  it('the test split has 251 spiral views, and the labels still match the rays', async () => {
    const root = temp('test');
    const [r] = await ensureSyntheticDataset({ root, className: 'Chair', splits: { test: 1 }, resolution: 12, seed: SEED });
    assert.equal(r.views, 251);
    const dir = instanceDir(root, { seed: SEED, className: 'chair', split: 'test', index: 0 });
    for (const sub of ['rgb', 'pose', 'seg', 'depth']) assert.equal(readdirSync(join(dir, sub)).length, 251);
    const spiral = archimedeanSpiralPoses(251, CAMERA_DISTANCE);
    assert.equal(readFileSync(join(dir, 'pose', '000100.txt'), 'utf8'), formatPose(spiral[100]));
    assert.ok(checkInstanceAgainstPrimitives(root, 'chair', 'test', 0, SEED) > 0);
  });

  it('resumes: complete instances are skipped, missing files are rewritten identically', async () => {
    const root = temp('resume');
    await generateSplit({ root, className: 'chair', split: 'train', count: 2, views: VIEWS, resolution: SIDE, seed: SEED, workers: 1 });
    const before = hashTree(root);
    const victim = join(instanceDir(root, { seed: SEED, className: 'chair', split: 'train', index: 1 }), 'seg', '000002.npy');
    unlinkSync(victim);
    const r = await generateSplit({ root, className: 'chair', split: 'train', count: 3, views: VIEWS, resolution: SIDE, seed: SEED, workers: 1 });
    assert.equal(r.generated, 2); // instance 1 (incomplete) and the new instance 2
    assert.equal(r.skipped, 1);
    const after = hashTree(root);
    for (const [p, h] of before) if (!p.endsWith('generator.json')) assert.equal(after.get(p), h, p);
    const again = await generateSplit({ root, className: 'chair', split: 'train', count: 3, views: VIEWS, resolution: SIDE, seed: SEED, workers: 1 });
    assert.equal(again.generated, 0);
    const rec = JSON.parse(readFileSync(join(root, 'Chair', 'generator.json'), 'utf8'));
    assert.equal(rec.seed, SEED);
    assert.deepEqual(rec.splits, { train: { count: 3, views: VIEWS } });
  });

  it('refuses to mix seeds, resolutions or view counts in one folder', async () => {
    const root = temp('mix');
    await generateSplit({ root, className: 'table', split: 'train', count: 1, views: 2, resolution: 16, seed: 1, workers: 1 });
    await assert.rejects(generateSplit({ root, className: 'table', split: 'train', count: 1, views: 2, resolution: 16, seed: 2 }), /generator\.json.*seed 1 \(asked 2\)/);
    await assert.rejects(generateSplit({ root, className: 'table', split: 'train', count: 1, views: 2, resolution: 32, seed: 1 }), /resolution 16 \(asked 32\)/);
    await assert.rejects(generateSplit({ root, className: 'table', split: 'train', count: 1, views: 3, resolution: 16, seed: 1 }), /2 views per instance \(asked 3\)/);
    await assert.rejects(generateSplit({ root, className: 'sofa' as SyntheticClass, split: 'train', count: 1 }), /sofa/);
    await assert.rejects(ensureSyntheticDataset({ root, className: 'sofa', splits: { train: 1 } }), /unknown synthetic class 'sofa'/);
  });

  it('never mixes generator versions: generateSplit refuses, the managed cache replaces', async () => {
    const root = temp('version');
    await generateSplit({ root, className: 'chair', split: 'train', count: 1, views: 2, resolution: 16, seed: 1, workers: 1 });
    const recPath = join(root, 'Chair', 'generator.json');
    const rec = JSON.parse(readFileSync(recPath, 'utf8'));
    assert.equal(rec.version, GENERATOR_VERSION);
    assert.equal(generatedVersion(root, 'chair'), GENERATOR_VERSION);
    // Pretend an older generator made this folder (its instance ids differ: they include the version).
    writeFileSync(recPath, JSON.stringify({ ...rec, version: GENERATOR_VERSION - 1 }));
    mkdirSync(join(root, 'Chair', 'Chair.train', 'old-version-instance'));
    await assert.rejects(
      generateSplit({ root, className: 'chair', split: 'train', count: 1, views: 2, resolution: 16, seed: 1 }),
      new RegExp(`generator version ${GENERATOR_VERSION - 1}, this code makes version ${GENERATOR_VERSION}.*never mixed`),
    );
    const notices: string[] = [];
    await ensureSyntheticDataset({ root, className: 'chair', splits: { train: 1 }, views: { train: 2 }, resolution: 16, seed: 1, onNotice: (m) => notices.push(m) });
    assert.match(notices.join('\n'), new RegExp(`holds generator version ${GENERATOR_VERSION - 1}; replacing it`));
    assert.deepEqual(readdirSync(join(root, 'Chair', 'Chair.train')), [instanceId(1, 'chair', 'train', 0)]);
    assert.equal(generatedVersion(root, 'chair'), GENERATOR_VERSION);
  });

  it('materials: mostly one or two per object, one per part in a minority (MATERIAL_SCHEMES)', () => {
    const counts = { one: 0, two: 0, more: 0 };
    const n = 300;
    for (let i = 0; i < n; i++) {
      const { primitives } = buildObject(5, 'chair', 'train', i);
      const colours = new Set(primitives.map((p) => p.color.join(',')));
      if (colours.size === 1) counts.one++;
      else if (colours.size === 2) counts.two++;
      else counts.more++;
    }
    // Expected shares 0.45 / 0.40 / 0.15 (a per-part object with only two parts present counts as two).
    assert.ok(Math.abs(counts.one / n - MATERIAL_SCHEMES.single) < 0.09, JSON.stringify(counts));
    assert.ok(counts.more / n < MATERIAL_SCHEMES.perPart + 0.06 && counts.more > 0, JSON.stringify(counts));
  });

  it('reads back through the loader: white background, values in [-1, 1], labels in range', () => {
    const info = openSplit(rootA, 'Chair', 'train');
    assert.equal(info.numClasses, 6);
    assert.equal(info.instances.length, 2);
    const view = loadView(info, 0, 1, SIDE);
    assert.equal(view.rgba.length, SIDE * SIDE * 4);
    assert.ok(view.labels);
    let background = 0;
    for (let q = 0; q < SIDE * SIDE; q++) {
      for (let c = 0; c < 4; c++) assert.ok(view.rgba[4 * q + c] >= -1 && view.rgba[4 * q + c] <= 1);
      if (view.labels[q] === 0) {
        background++;
        for (let c = 0; c < 4; c++) assert.equal(view.rgba[4 * q + c], 1);
      }
    }
    assert.ok(background > 0 && background < SIDE * SIDE);
  });
});
