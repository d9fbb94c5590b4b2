/**
 * `semantic-srn data generate …` (the built-in procedural dataset) and
 * `semantic-srn data inspect <instance-dir>` (delegates to data_inspect.ts).
 */
import { parseArgs } from 'node:util';
import type { CliCommand } from './command';
import type { SplitName } from '../data/types';
import { runInspect } from './data_inspect';
import { formatProgress, progressInfo } from '../training/progress';
import { DEFAULT_RESOLUTION, DEFAULT_VIEWS, generateSplit, SPLITS } from '../data/synthetic/generate';
import { parseSyntheticClass, SYNTHETIC_CLASSES, type SyntheticClass } from '../data/synthetic/classes';

/** Default cache folder (git-ignored). */
export const DEFAULT_DATA_ROOT = '.cache/data';

/** Instances per split when --count is not given: small enough for a minute on 2 cores. */
export const DEFAULT_COUNTS: Record<SplitName, number> = { train: 50, val: 10, test: 10 };

/** The paper's split sizes (reference.md §5.4), rendered at 128². */
export const PAPER_PRESET: { resolution: number; counts: Record<SyntheticClass, Record<SplitName, number>> } = {
  resolution: 128,
  counts: {
    chair: { train: 4489, val: 617, test: 1214 },
    table: { train: 5660, val: 839, test: 1656 },
  },
};

const GENERATE_USAGE = [
  'usage: semantic-srn data generate [options]',
  '  --class chair|table|all   object class (default chair)',
  '  --split train|val|test|all  split (default train; all with --preset paper)',
  `  --count N                 instances per split (default ${DEFAULT_COUNTS.train} train, ${DEFAULT_COUNTS.val} val, ${DEFAULT_COUNTS.test} test)`,
  `  --views V                 views per instance (default ${DEFAULT_VIEWS.train} train/val, ${DEFAULT_VIEWS.test} test on the spiral)`,
  `  --resolution S            image side in pixels (default ${DEFAULT_RESOLUTION}; 128 with --preset paper)`,
  '  --seed S                  generator seed (default 0)',
  `  --out DIR                 dataset root (default ${DEFAULT_DATA_ROOT})`,
  "  --preset paper            the paper's counts: 4,489/617/1,214 chairs, 5,660/839/1,656 tables, 128²",
  '  --workers W               worker threads (default: up to 2)',
  'Instances already complete are skipped, so an interrupted run resumes where it stopped.',
].join('\n');

const USAGE = ['usage: semantic-srn data <generate|inspect> …', '', GENERATE_USAGE, '', 'usage: semantic-srn data inspect <instance-dir> [--side S] [--quick]'].join('\n');

function intOption(values: Record<string, unknown>, name: string, min: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer ≥ ${min}, got '${String(raw)}'`);
  return v;
}

async function runGenerate(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        class: { type: 'string' },
        split: { type: 'string' },
        count: { type: 'string' },
        views: { type: 'string' },
        resolution: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        preset: { type: 'string' },
        workers: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    console.error(`data generate: ${(e as Error).message}\n${GENERATE_USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(GENERATE_USAGE);
    return 0;
  }
  let classes: SyntheticClass[];
  let splits: SplitName[];
  let count: number | undefined;
  let views: number | undefined;
  let resolution: number | undefined;
  let seed: number;
  let workers: number | undefined;
  const paper = values.preset !== undefined;
  try {
    if (paper && values.preset !== 'paper') throw new Error(`--preset must be 'paper', got '${String(values.preset)}'`);
    const cls = String(values.class ?? 'chair');
    classes = cls === 'all' ? [...SYNTHETIC_CLASSES] : [parseSyntheticClass(cls)];
    const sp = String(values.split ?? (paper ? 'all' : 'train'));
    if (sp !== 'all' && !SPLITS.includes(sp as SplitName)) throw new Error(`--split must be train, val, test or all, got '${sp}'`);
    splits = sp === 'all' ? [...SPLITS] : [sp as SplitName];
    count = intOption(values, 'count', 0);
    views = intOption(values, 'views', 1);
    resolution = intOption(values, 'resolution', 8) ?? (paper ? PAPER_PRESET.resolution : DEFAULT_RESOLUTION);
    seed = intOption(values, 'seed', 0) ?? 0;
    workers = intOption(values, 'workers', 1);
  } catch (e) {
    console.error(`data generate: ${(e as Error).message}\n${GENERATE_USAGE}`);
    return 2;
  }
  const root = String(values.out ?? DEFAULT_DATA_ROOT);
  const tty = process.stderr.isTTY === true;
  for (const className of classes) {
    for (const split of splits) {
      const n = count ?? (paper ? PAPER_PRESET.counts[className][split] : DEFAULT_COUNTS[split]);
      const label = `${className} ${split}`;
      const t0 = performance.now();
      let lastPrint = 0;
      let first: number | undefined; // instances already there when the run started
      const progress = (done: number, total: number) => {
        const now = performance.now();
        first ??= done;
        // A live line on a terminal; about one line per 10 % (or 10 s) in logs.
        if (done < total && (tty ? now - lastPrint < 200 : done % Math.max(1, Math.ceil(total / 10)) !== 0 && now - lastPrint < 10_000)) return;
        lastPrint = now;
        // Rate and ETA over the instances made in this run (those already on disk excluded).
        const line = formatProgress(progressInfo(`data generate ${label}`, 'instances', done, total, done - first, Math.max(1e-3, (now - t0) / 1000)));
        if (tty) process.stderr.write(`\r${line}${done === total ? '\n' : ''}`);
        else console.error(line);
      };
      const r = await generateSplit({ root, className, split, count: n, views, resolution, seed, workers, onProgress: progress });
      console.log(
        `${label}: ${r.count} instances × ${r.views} views at ${r.resolution}² in ${r.dir} ` +
          `(${r.generated} generated, ${r.skipped} already there, ${r.seconds.toFixed(1)} s, ${r.workers} worker${r.workers === 1 ? '' : 's'})`,
      );
    }
  }
  return 0;
}

export const dataCommand: CliCommand = {
  summary: 'generate the built-in procedural dataset, or inspect an instance folder',
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'generate') {
      try {
        return await runGenerate(rest);
      } catch (e) {
        console.error(`data generate: ${(e as Error).message}`);
        return 1;
      }
    }
    if (sub === 'inspect') return runInspect(rest);
    if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
      console.log(USAGE);
      return sub === undefined ? 2 : 0;
    }
    console.error(`data: unknown subcommand '${sub}'\n\n${USAGE}`);
    return 2;
  },
};
