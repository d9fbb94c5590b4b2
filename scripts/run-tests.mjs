#!/usr/bin/env node
// Collects test/**/*.test.ts (Node 20's test runner takes no globs) and runs them with a reporter that
// prints a running count and ends with "N passed, N failed[, N skipped]" (scripts/test-reporter.mjs).
//
// Usage: node scripts/run-tests.mjs [--slow | --all] [--times FILE] [substring filters…]
//   (default)   the fast suites: `npm test`
//   --slow      only the suites listed in SLOW below: `npm run test:slow`
//   --all       both (what CI runs, as two steps)
//   filters     run every file (fast or slow) whose path contains one of the substrings
//   --times F   write each file's wall time (s) to F as JSON, to re-derive SLOW
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Every file measured at 25 s or more (`--times`, whole suite on 2 cores at load ~10: these 7 took 668 s of
// 823). Kept out of the default run so `npm test` stays under 5 minutes; CI runs them with `npm run test:slow`.
const SLOW = new Set([
  'test/experiments/run_small.test.ts', // 344 s: every experiment at the small scale
  'test/baselines/smoke_paper.test.ts', // 112 s
  'test/training/stages.test.ts', // 67 s: the training stages end to end
  'test/baselines/smoke_srn_unet.test.ts', // 50 s
  'test/baselines/overfit.test.ts', // 38 s
  'test/training/paper_preset.test.ts', // 31 s
  'test/baselines/smoke_cpu.test.ts', // 27 s
]);

const args = process.argv.slice(2);
let mode = 'fast';
let timesFile;
const filters = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--slow') mode = 'slow';
  else if (a === '--all') mode = 'all';
  else if (a === '--times') timesFile = args[++i];
  else if (a.startsWith('--')) {
    console.error(`run-tests: unknown option '${a}' (expected --slow, --all, --times FILE or path substrings)`);
    process.exit(2);
  } else filters.push(a);
}
if (args.includes('--times') && !timesFile) {
  console.error('run-tests: --times needs a file name');
  process.exit(2);
}

const unknownSlow = [...SLOW].filter((f) => !f.endsWith('.test.ts'));
if (unknownSlow.length) throw new Error(`run-tests: SLOW lists non-test paths: ${unknownSlow.join(', ')}`);

const all = readdirSync('test', { recursive: true })
  .map((f) => join('test', String(f)))
  .filter((f) => f.endsWith('.test.ts'))
  .sort();
const missing = [...SLOW].filter((f) => !all.includes(f));
if (missing.length) {
  console.error(`run-tests: SLOW names files that do not exist: ${missing.join(', ')}`);
  process.exit(2);
}
const files = all.filter((f) =>
  filters.length > 0 ? filters.some((s) => f.includes(s)) : mode === 'all' || (mode === 'slow') === SLOW.has(f),
);
if (files.length === 0) {
  console.error(`run-tests: no test files match ${JSON.stringify(filters)} (mode ${mode})`);
  process.exit(1);
}
const what = filters.length ? `matching ${JSON.stringify(filters)}` : `${mode} suites`;
console.log(`run-tests: ${files.length} file(s), ${what}`);
const reporter = fileURLToPath(new URL('./test-reporter.mjs', import.meta.url));
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-reporter=${reporter}`, '--test-reporter-destination=stdout', ...files],
  {
    stdio: 'inherit',
    env: { ...process.env, SRN_TEST_FILE_COUNT: String(files.length), ...(timesFile ? { SRN_TEST_TIMES: timesFile } : {}) },
  },
);
process.exit(r.status ?? 1);
