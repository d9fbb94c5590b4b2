/**
 * Procedural chairs (floor at z = 0, front towards −y, rough metres; `buildObject` normalises them).
 * Parts: seat (box or round), back (solid / vertical slats / horizontal rails, tilted), arms in a
 * minority, a headrest in a small minority, base = 4 legs / pedestal with star feet / sled.
 */
import type { Rng } from '../../util/random';
import type { Vec3 } from '../../geometry/cameras';
import { CHAIR } from './classes';
import { add, beam, box, capsule, cylinder, cylinderBetween, rotationAxes, scale, type Primitive } from './primitives';
import { choose, partColors } from './sampling';

/** Probabilities of the rarer choices (kept here so the class-share report can be read against them). */
export const CHAIR_PROBABILITIES = {
  arms: 0.22,
  head: 0.08,
  base: { legs: 0.55, pedestal: 0.27, sled: 0.18 },
  back: { solid: 0.5, verticalSlats: 0.28, horizontalRails: 0.22 },
} as const;

export function buildChair(rng: Rng): Primitive[] {
  const col = partColors(rng, [[CHAIR.seat, CHAIR.back, CHAIR.head], [CHAIR.base, CHAIR.arm]]);
  const P = CHAIR_PROBABILITIES;
  const out: Primitive[] = [];

  const baseKind = choose(rng, P.base);
  const roundSeat = baseKind === 'pedestal' && rng.bool(0.3);
  const seatW = rng.uniform(0.4, 0.62);
  const seatD = roundSeat ? seatW : seatW * rng.uniform(0.8, 1.15);
  const seatT = rng.uniform(0.03, 0.1);
  const seatTop = rng.uniform(0.36, 0.52);
  const seatBottom = seatTop - seatT;
  const seatC: Vec3 = [0, 0, seatTop - seatT / 2];
  if (roundSeat) out.push(cylinder(seatC, seatW / 2, seatT / 2, CHAIR.seat, col[CHAIR.seat]));
  else out.push(box(seatC, [seatW / 2, seatD / 2, seatT / 2], CHAIR.seat, col[CHAIR.seat]));

  // Back: a tilted frame rising from the seat's rear edge.
  const backKind = choose(rng, P.back);
  const backH = rng.uniform(0.28, 0.62);
  const tilt = rng.uniform(0, 0.35);
  const backT = rng.uniform(0.025, 0.06);
  const backW = seatW * (roundSeat ? rng.uniform(0.6, 0.85) : rng.uniform(0.82, 1.0));
  const axes = rotationAxes(-tilt); // local z = (0, sin tilt, cos tilt): leaning back (+y)
  const up = axes[2];
  const rearY = (roundSeat ? seatW / 2 : seatD / 2) - backT / 2;
  const pivot: Vec3 = [0, rearY, seatBottom + 0.01];
  const along = (s: number, x = 0): Vec3 => add(add(pivot, scale(up, s)), [x, 0, 0]);
  const backPart = (s0: number, s1: number, x: number, halfW: number, halfT = backT / 2): Primitive =>
    box(along((s0 + s1) / 2, x), [halfW, halfT, (s1 - s0) / 2], CHAIR.back, col[CHAIR.back], axes);
  if (backKind === 'solid') {
    out.push(backPart(0, backH, 0, backW / 2));
  } else {
    const postW = rng.uniform(0.018, 0.035);
    const x = backW / 2 - postW;
    out.push(backPart(0, backH, -x, postW, backT / 2), backPart(0, backH, x, postW, backT / 2));
    const railH = rng.uniform(0.03, 0.08);
    out.push(backPart(backH - railH, backH - 0.002, 0, x, backT * 0.4));
    if (backKind === 'verticalSlats') {
      const n = rng.int(2, 6);
      const lo = seatT + 0.02;
      const slatW = Math.min(rng.uniform(0.01, 0.04), (2 * x) / (2 * n + 1));
      for (let i = 0; i < n; i++) {
        const sx = -x + ((i + 1) * 2 * x) / (n + 1);
        out.push(backPart(lo, backH - railH + 0.005, sx, slatW, backT * 0.3));
      }
    } else {
      const n = rng.int(1, 4);
      const lo = seatT + rng.uniform(0.05, 0.15);
      const span = backH - railH - lo;
      const h = Math.min(rng.uniform(0.02, 0.05), span / (2 * n + 1));
      for (let i = 0; i < n; i++) {
        const s = lo + (i * span) / n;
        out.push(backPart(s, s + h, 0, x, backT * 0.35));
      }
    }
  }

  // Headrest: a cushion above the back, on two short posts.
  if (rng.bool(P.head)) {
    const gap = rng.uniform(0.02, 0.07);
    const hh = rng.uniform(0.07, 0.14);
    const hw = backW * rng.uniform(0.4, 0.75);
    const ht = backT + rng.uniform(0.02, 0.05);
    const s = backH + gap + hh / 2;
    if (rng.bool(0.5)) {
      out.push(box(along(s), [hw / 2, ht / 2, hh / 2], CHAIR.head, col[CHAIR.head], axes));
    } else {
      out.push(capsule(along(s, -hw / 2 + hh / 2), along(s, hw / 2 - hh / 2), hh / 2, CHAIR.head, col[CHAIR.head]));
    }
    const px = hw * 0.3;
    for (const x of [-px, px]) out.push(box(along(backH + (gap + 0.01) / 2 - 0.005, x), [0.008, 0.008, (gap + 0.01) / 2], CHAIR.head, col[CHAIR.head], axes));
  }

  // Arms: armrest bars on posts (or solid side panels) beside the seat.
  if (rng.bool(P.arms)) {
    const armH = rng.uniform(0.17, 0.28);
    const armW = rng.uniform(0.03, 0.08);
    const armT = rng.uniform(0.025, 0.05);
    const panel = rng.bool(0.3);
    const y0 = -seatD / 2 + rng.uniform(0, 0.08);
    const y1 = rearY + tilt * armH * 0.5;
    const z = seatTop + armH;
    for (const sgn of [-1, 1]) {
      const x = sgn * (seatW / 2 + armW / 2 - 0.01);
      out.push(box([x, (y0 + y1) / 2, z - armT / 2], [armW / 2, (y1 - y0) / 2, armT / 2], CHAIR.arm, col[CHAIR.arm]));
      if (panel) {
        out.push(box([x, (y0 + y1) / 2, (seatBottom + z - armT) / 2], [armW * 0.35, (y1 - y0) / 2 - 0.005, (z - armT - seatBottom) / 2 + 0.002], CHAIR.arm, col[CHAIR.arm]));
      } else {
        const py = y0 + rng.uniform(0.03, 0.06);
        const r = Math.min(armW * 0.35, 0.018);
        out.push(cylinderBetween([x, py, seatTop - 0.01], [x, py, z - armT + 0.003], r, CHAIR.arm, col[CHAIR.arm]));
      }
    }
  }

  // Base.
  const bc = col[CHAIR.base];
  if (baseKind === 'legs') {
    const square = rng.bool(0.5);
    const t = rng.uniform(0.014, 0.035);
    const inset = t + rng.uniform(0, 0.04);
    const splay = rng.uniform(0, 0.1);
    const legTop = seatBottom + 0.005;
    const feet: Vec3[] = [];
    for (const sx of [-1, 1]) {
      for (const sy of [-1, 1]) {
        const top: Vec3 = [sx * (seatW / 2 - inset), sy * (seatD / 2 - inset), legTop];
        const foot: Vec3 = [top[0] + sx * splay * legTop * 0.5, top[1] + sy * splay * legTop * 0.5, 0];
        feet.push(foot);
        out.push(square ? beam(foot, top, t, t, CHAIR.base, bc) : cylinderBetween(foot, top, t, CHAIR.base, bc));
      }
    }
    if (rng.bool(0.4)) {
      // Stretchers between the legs on the sides (and sometimes front/back).
      const h = rng.uniform(0.08, 0.2);
      const f = h / legTop;
      const at = (i: number): Vec3 => {
        const top: Vec3 = [feet[i][0] - Math.sign(feet[i][0]) * splay * legTop * 0.5, feet[i][1] - Math.sign(feet[i][1]) * splay * legTop * 0.5, legTop];
        return add(feet[i], scale([top[0] - feet[i][0], top[1] - feet[i][1], top[2]], f));
      };
      const pairs: [number, number][] = [
        [0, 1],
        [2, 3],
      ];
      if (rng.bool(0.5)) pairs.push([0, 2], [1, 3]);
      for (const [i, j] of pairs) out.push(beam(at(i), at(j), t * 0.5, t * 0.5, CHAIR.base, bc));
    }
  } else if (baseKind === 'pedestal') {
    const casters = rng.bool(0.6);
    const footZ = casters ? 0.07 : 0.025;
    const colR = rng.uniform(0.02, 0.045);
    out.push(cylinder([0, 0, (footZ + seatBottom) / 2], colR, (seatBottom - footZ) / 2 + 0.005, CHAIR.base, bc));
    if (rng.bool(0.5)) out.push(box([0, 0, seatBottom - 0.025], [0.08, 0.09, 0.025], CHAIR.base, bc));
    if (rng.bool(0.3)) {
      out.push(cylinder([0, 0, 0.012], rng.uniform(0.18, 0.26), 0.012, CHAIR.base, bc));
    } else {
      const n = rng.bool(0.8) ? 5 : 4;
      const reach = rng.uniform(0.24, 0.34);
      const phase = rng.uniform(0, (2 * Math.PI) / n);
      const ft = rng.uniform(0.015, 0.025);
      for (let i = 0; i < n; i++) {
        const a = phase + (2 * Math.PI * i) / n;
        const tip: Vec3 = [reach * Math.cos(a), reach * Math.sin(a), footZ - 0.015];
        out.push(beam([0, 0, footZ], tip, ft, ft * 0.8, CHAIR.base, bc, [0, 0, 1]));
        if (casters) {
          const cr = 0.027;
          out.push(capsule([tip[0] * 0.97, tip[1] * 0.97, cr], [tip[0] * 0.97, tip[1] * 0.97, cr + 0.012], cr, CHAIR.base, bc));
        }
      }
    }
  } else {
    // Sled: a tube runner on each side with two uprights to the seat.
    const r = rng.uniform(0.01, 0.02);
    const ext = rng.uniform(0.0, 0.08);
    const halfX = seatW / 2 - rng.uniform(0.0, 0.05);
    for (const sx of [-1, 1]) {
      const x = sx * halfX;
      const front: Vec3 = [x, -seatD / 2 - ext, r];
      const back: Vec3 = [x, seatD / 2 + ext * 0.5, r];
      out.push(capsule(front, back, r, CHAIR.base, bc));
      out.push(capsule(add(front, [0, ext + 0.03, 0]), [x, -seatD / 2 + 0.05, seatBottom + 0.005], r, CHAIR.base, bc));
      out.push(capsule(add(back, [0, -ext * 0.5 - 0.03, 0]), [x, seatD / 2 - 0.05, seatBottom + 0.005], r, CHAIR.base, bc));
    }
    if (rng.bool(0.5)) out.push(capsule([-halfX, seatD / 2 - 0.04, seatBottom - 0.01], [halfX, seatD / 2 - 0.04, seatBottom - 0.01], r * 0.8, CHAIR.base, bc));
  }
  return out;
}
