/**
 * Procedural tables (floor at z = 0, rough metres; `buildObject` normalises them). The kind of
 * table decides the label of its top and base (PartNet's merged level 1): regular tables (most),
 * and a minority of picnic tables (with benches), pool tables and ping-pong tables (with a net).
 */
import type { Rng } from '../../util/random';
import type { Vec3 } from '../../geometry/cameras';
import { TABLE } from './classes';
import { beam, box, cylinder, cylinderBetween, type Primitive, type Rgb } from './primitives';
import { choose, partColors } from './sampling';

export const TABLE_PROBABILITIES = {
  kind: { regular: 0.76, picnic: 0.08, pool: 0.08, pingPong: 0.08 },
} as const;

export type TableKind = keyof typeof TABLE_PROBABILITIES.kind;

/** Four legs under the corners of a w×d top whose underside is at `z`. */
function fourLegs(rng: Rng, w: number, d: number, z: number, label: number, color: Rgb, minT = 0.015, maxT = 0.045): Primitive[] {
  const out: Primitive[] = [];
  const t = rng.uniform(minT, maxT);
  const square = rng.bool(0.6);
  const inset = t + rng.uniform(0.01, 0.08);
  const splay = rng.bool(0.2) ? rng.uniform(0.02, 0.1) : 0;
  for (const sx of [-1, 1]) {
    for (const sy of [-1, 1]) {
      const top: Vec3 = [sx * (w / 2 - inset), sy * (d / 2 - inset), z + 0.005];
      const foot: Vec3 = [top[0] + sx * splay * z, top[1] + sy * splay * z, 0];
      out.push(square ? beam(foot, top, t, t, label, color) : cylinderBetween(foot, top, t, label, color));
    }
  }
  return out;
}

function regularTable(rng: Rng): Primitive[] {
  const col = partColors(rng, [[TABLE.regularTop], [TABLE.regularBase]]);
  const top = col[TABLE.regularTop];
  const base = col[TABLE.regularBase];
  const L = TABLE.regularBase;
  const out: Primitive[] = [];
  const h = rng.uniform(0.4, 0.8);
  const t = rng.uniform(0.025, 0.06);
  const under = h - t;
  const round = rng.bool(0.22);
  const w = round ? rng.uniform(0.6, 1.2) : rng.uniform(0.6, 1.7);
  const d = round ? w : w * rng.uniform(0.45, 1.0);
  if (round) out.push(cylinder([0, 0, h - t / 2], w / 2, t / 2, TABLE.regularTop, top));
  else out.push(box([0, 0, h - t / 2], [w / 2, d / 2, t / 2], TABLE.regularTop, top));

  const kind = round ? choose(rng, { legs: 0.45, pedestal: 0.55 }) : choose(rng, { legs: 0.6, pedestal: 0.1, trestle: 0.15, panels: 0.15 });
  if (kind === 'legs') {
    const fw = round ? w / Math.SQRT2 : w;
    const fd = round ? d / Math.SQRT2 : d;
    out.push(...fourLegs(rng, fw, fd, under, L, base));
    if (rng.bool(0.5)) {
      // Apron: a frame just under the top.
      const ah = rng.uniform(0.04, 0.1);
      const at = 0.012;
      const iw = fw / 2 - 0.05;
      const id = fd / 2 - 0.05;
      out.push(box([0, -id, under - ah / 2], [iw, at, ah / 2 + 0.002], L, base), box([0, id, under - ah / 2], [iw, at, ah / 2 + 0.002], L, base));
      out.push(box([-iw, 0, under - ah / 2], [at, id, ah / 2 + 0.002], L, base), box([iw, 0, under - ah / 2], [at, id, ah / 2 + 0.002], L, base));
    }
    if (rng.bool(0.25)) {
      // Lower shelf (part of the base in PartNet).
      const sz = rng.uniform(0.08, 0.25);
      out.push(box([0, 0, sz], [fw / 2 - 0.04, fd / 2 - 0.04, 0.012], L, base));
    }
  } else if (kind === 'pedestal') {
    const r = rng.uniform(0.03, 0.08);
    out.push(cylinder([0, 0, under / 2 + 0.01], r, under / 2, L, base));
    if (rng.bool(0.5)) {
      out.push(cylinder([0, 0, 0.015], Math.min(w, d) * rng.uniform(0.25, 0.4), 0.015, L, base));
    } else {
      const reach = Math.min(w, d) * rng.uniform(0.3, 0.45);
      const a0 = rng.uniform(0, Math.PI / 2);
      for (let i = 0; i < 4; i++) {
        const a = a0 + (i * Math.PI) / 2;
        out.push(beam([0, 0, 0.04], [reach * Math.cos(a), reach * Math.sin(a), 0.015], 0.02, 0.015, L, base, [0, 0, 1]));
      }
    }
  } else if (kind === 'trestle') {
    // Two end frames (upright + foot) joined by a stretcher.
    const x = w / 2 - rng.uniform(0.08, 0.2);
    const pt = rng.uniform(0.025, 0.05);
    for (const sx of [-1, 1]) {
      out.push(box([sx * x, 0, under / 2], [pt, d * 0.12, under / 2 + 0.003], L, base));
      out.push(box([sx * x, 0, 0.025], [pt * 1.3, d * 0.42, 0.025], L, base));
      out.push(box([sx * x, 0, under - 0.02], [pt * 1.3, d * 0.4, 0.02], L, base));
    }
    out.push(box([0, 0, under * rng.uniform(0.3, 0.6)], [x, 0.02, 0.03], L, base));
  } else {
    // Desk-like: two side panels and a modesty panel.
    const pt = rng.uniform(0.015, 0.03);
    for (const sx of [-1, 1]) out.push(box([sx * (w / 2 - pt - 0.01), 0, under / 2], [pt, d / 2 - 0.02, under / 2 + 0.003], L, base));
    if (rng.bool(0.7)) out.push(box([0, d / 2 - 0.06, under * 0.65], [w / 2 - 2 * pt - 0.01, 0.01, under * 0.33], L, base));
  }
  return out;
}

function pingPongTable(rng: Rng): Primitive[] {
  const col = partColors(rng, [[TABLE.pingPongTop], [TABLE.pingPongBase, TABLE.pingPongNet]]);
  const out: Primitive[] = [];
  const w = rng.uniform(1.6, 2.4);
  const d = w * rng.uniform(0.5, 0.6);
  const h = rng.uniform(0.68, 0.8);
  const t = rng.uniform(0.02, 0.04);
  out.push(box([0, 0, h - t / 2], [w / 2, d / 2, t / 2], TABLE.pingPongTop, col[TABLE.pingPongTop]));
  // The net across the middle, slightly wider than the table, on two posts.
  const nh = rng.uniform(0.1, 0.16);
  const over = rng.uniform(0.03, 0.1);
  out.push(box([0, 0, h + nh / 2], [0.006, d / 2 + over, nh / 2], TABLE.pingPongNet, col[TABLE.pingPongNet]));
  for (const sy of [-1, 1]) out.push(cylinder([0, sy * (d / 2 + over), h + nh / 2 - 0.01], 0.012, nh / 2 + 0.01, TABLE.pingPongNet, col[TABLE.pingPongNet]));
  const L = TABLE.pingPongBase;
  const bc = col[L];
  if (rng.bool(0.5)) {
    out.push(...fourLegs(rng, w * 0.9, d, h - t, L, bc, 0.02, 0.04));
  } else {
    // Two folding frames under each half, each an A of two legs with a cross bar.
    for (const sx of [-1, 1]) {
      const x = sx * w * 0.3;
      for (const sy of [-1, 1]) {
        out.push(beam([x + sx * 0.1, sy * d * 0.38, 0], [x, sy * d * 0.3, h - t + 0.005], 0.018, 0.018, L, bc));
      }
      out.push(beam([x + sx * 0.05, -d * 0.36, 0.18], [x + sx * 0.05, d * 0.36, 0.18], 0.015, 0.015, L, bc));
    }
    out.push(beam([-w * 0.3, 0, h - t - 0.02], [w * 0.3, 0, h - t - 0.02], 0.02, 0.02, L, bc));
  }
  return out;
}

function poolTable(rng: Rng): Primitive[] {
  const col = partColors(rng, [[TABLE.poolTop], [TABLE.poolBase]]);
  const felt: Rgb = rng.pick<Rgb>([
    [40, 110, 60],
    [34, 80, 140],
    [150, 40, 40],
  ]);
  const out: Primitive[] = [];
  const T = TABLE.poolTop;
  const w = rng.uniform(1.6, 2.5);
  const d = w * rng.uniform(0.48, 0.56);
  const h = rng.uniform(0.75, 0.85);
  const railW = rng.uniform(0.06, 0.12);
  const railH = rng.uniform(0.04, 0.07);
  const bodyH = rng.uniform(0.12, 0.22);
  // Playing surface (felt) on a thick body, with raised rails all round (all tabletop).
  out.push(box([0, 0, h - bodyH / 2], [w / 2, d / 2, bodyH / 2], T, col[T]));
  out.push(box([0, 0, h + 0.004], [w / 2 - railW + 0.001, d / 2 - railW + 0.001, 0.004], T, felt));
  for (const sy of [-1, 1]) out.push(box([0, sy * (d / 2 - railW / 2), h + railH / 2], [w / 2, railW / 2, railH / 2], T, col[T]));
  for (const sx of [-1, 1]) out.push(box([sx * (w / 2 - railW / 2), 0, h + railH / 2], [railW / 2, d / 2 - railW, railH / 2], T, col[T]));
  const L = TABLE.poolBase;
  const under = h - bodyH;
  if (rng.bool(0.6)) {
    const n = rng.bool(0.5) ? 2 : 3; // legs per long side
    const lt = rng.uniform(0.05, 0.1);
    for (const sy of [-1, 1]) {
      for (let i = 0; i < n; i++) {
        const x = -w / 2 + lt + 0.05 + (i * (w - 2 * lt - 0.1)) / (n - 1);
        out.push(box([x, sy * (d / 2 - lt - 0.05), under / 2], [lt, lt, under / 2 + 0.003], L, col[L]));
      }
    }
  } else {
    // A solid plinth with a wider foot.
    out.push(box([0, 0, under / 2 + 0.05], [w * 0.32, d * 0.3, under / 2 - 0.045], L, col[L]));
    out.push(box([0, 0, 0.03], [w * 0.38, d * 0.36, 0.03], L, col[L]));
  }
  return out;
}

function picnicTable(rng: Rng): Primitive[] {
  const col = partColors(rng, [[TABLE.picnicTop, TABLE.picnicBench], [TABLE.picnicBase]]);
  const out: Primitive[] = [];
  const w = rng.uniform(1.2, 2.0);
  const d = rng.uniform(0.6, 0.85);
  const h = rng.uniform(0.7, 0.8);
  const t = rng.uniform(0.03, 0.05);
  // Top planks along x with small gaps.
  const n = rng.int(3, 6);
  const gap = rng.uniform(0.005, 0.015);
  const pw = (d - (n - 1) * gap) / n;
  for (let i = 0; i < n; i++) {
    const y = -d / 2 + pw / 2 + i * (pw + gap);
    out.push(box([0, y, h - t / 2], [w / 2, pw / 2, t / 2], TABLE.picnicTop, col[TABLE.picnicTop]));
  }
  // Benches on both sides.
  const bw = rng.uniform(0.2, 0.32);
  const bz = rng.uniform(0.4, 0.47);
  const by = d / 2 + rng.uniform(0.1, 0.25) + bw / 2;
  const bl = w * rng.uniform(0.85, 1.0);
  const bt = rng.uniform(0.03, 0.05);
  for (const sy of [-1, 1]) out.push(box([0, sy * by, bz - bt / 2], [bl / 2, bw / 2, bt / 2], TABLE.picnicBench, col[TABLE.picnicBench]));
  // A-frames at both ends: two slanted legs and a cross beam that carries the benches.
  const L = TABLE.picnicBase;
  const x = w / 2 - rng.uniform(0.12, 0.25);
  const lt = rng.uniform(0.02, 0.035);
  for (const sx of [-1, 1]) {
    for (const sy of [-1, 1]) out.push(beam([sx * x, sy * (by + bw * 0.1), 0], [sx * x, sy * d * 0.25, h - t + 0.003], lt, lt * 1.5, L, col[L], [0, 1, 0]));
    out.push(box([sx * x, 0, bz - bt - 0.03], [lt * 1.4, by + bw / 2 - 0.02, 0.03], L, col[L]));
    out.push(box([sx * x, 0, h - t - 0.025], [lt * 1.4, d / 2 - 0.03, 0.025], L, col[L]));
  }
  return out;
}

export function buildTable(rng: Rng): Primitive[] {
  const kind = choose(rng, TABLE_PROBABILITIES.kind);
  if (kind === 'regular') return regularTable(rng);
  if (kind === 'picnic') return picnicTable(rng);
  if (kind === 'pool') return poolTable(rng);
  return pingPongTable(rng);
}
