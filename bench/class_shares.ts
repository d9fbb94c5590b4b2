/**
 * Per-class statistics of the generated data (rendered in memory, nothing written): the share of
 * foreground pixels per class and the share of objects showing each class in at least one view.
 * Defaults: 100 train objects × 50 views × 64² per class, seed 0. Prints JSON.
 * Options: --count N --views V --resolution S --seed S --class chair|table|all
 */
import { CLASS_NAMES, renderInstance, SYNTHETIC_CLASSES, parseSyntheticClass, type SyntheticClass } from '../lib/data/synthetic';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

function shares(className: SyntheticClass, count: number, views: number, resolution: number, seed: number) {
  const names = CLASS_NAMES[className];
  const pixels = new Array<number>(names.length).fill(0);
  const objects = new Array<number>(names.length).fill(0);
  for (let index = 0; index < count; index++) {
    const r = renderInstance({ seed, className, split: 'train', index, views, resolution });
    const seen = new Array<boolean>(names.length).fill(false);
    for (const v of r.views) {
      for (const l of v.labels) {
        pixels[l]++;
        seen[l] = true;
      }
    }
    seen.forEach((s, l) => (objects[l] += s ? 1 : 0));
  }
  const fg = pixels.slice(1).reduce((a, b) => a + b, 0);
  const total = fg + pixels[0];
  const round = (x: number) => Number(x.toFixed(4));
  return {
    className,
    objects: count,
    views,
    resolution,
    seed,
    foregroundFraction: round(fg / total),
    classes: names.slice(1).map((name, i) => ({
      id: i + 1,
      name,
      pixelShareOfForeground: round(pixels[i + 1] / fg),
      objectShare: round(objects[i + 1] / count),
    })),
  };
}

const count = Number(arg('count', '100'));
const views = Number(arg('views', '50'));
const resolution = Number(arg('resolution', '64'));
const seed = Number(arg('seed', '0'));
const cls = arg('class', 'all');
const classes = cls === 'all' ? SYNTHETIC_CLASSES : [parseSyntheticClass(cls)];
const t0 = performance.now();
const result = classes.map((c) => shares(c, count, views, resolution, seed));
console.log(JSON.stringify({ bench: 'class_shares', seconds: Number(((performance.now() - t0) / 1000).toFixed(1)), result }, null, 2));
