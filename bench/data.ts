/**
 * Dataset-generation benchmark: 100 chairs × 50 views at 64² (the target: < 60 s on 2 cores),
 * written into a temporary folder. Prints one JSON line.
 * Options: --count N --views V --resolution S --workers W --class chair|table --keep
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSplit, parseSyntheticClass } from '../lib/data/synthetic';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const count = Number(arg('count', '100'));
  const views = Number(arg('views', '50'));
  const resolution = Number(arg('resolution', '64'));
  const workers = Number(arg('workers', String(Math.min(2, availableParallelism()))));
  const className = parseSyntheticClass(arg('class', 'chair'));
  const root = mkdtempSync(join(tmpdir(), 'srn-bench-data-'));
  try {
    const r = await generateSplit({ root, className, split: 'train', count, views, resolution, seed: 0, workers });
    const images = count * views;
    console.log(
      JSON.stringify({
        bench: 'data',
        className,
        count,
        views,
        resolution,
        images,
        seconds: Number(r.seconds.toFixed(2)),
        imagesPerSecond: Number((images / r.seconds).toFixed(1)),
        workers: r.workers,
        cpus: availableParallelism(),
      }),
    );
  } finally {
    if (!process.argv.includes('--keep')) rmSync(root, { recursive: true, force: true });
    else console.error(`kept ${root}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
