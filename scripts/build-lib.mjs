#!/usr/bin/env node
// `npm run build:lib`: compiles lib/ to CommonJS .js + .d.ts under .cache/lib-dist (tsconfig.lib.json), the
// prebuilt library the notebooks import through the `notebooks/lib` symlink (docs/notebooks.md). tslab
// type-checks every TypeScript file a notebook imports, which made the import cell take 10-30 s; the .d.ts
// files of the build are only read.
//
//   node scripts/build-lib.mjs            build when stale, else print nothing and exit 0
//   node scripts/build-lib.mjs --check    exit 1 (and say why) when stale or missing; builds nothing
//   node scripts/build-lib.mjs --force    rebuild from a clean folder
//
// Stale = the stamp (.cache/lib-dist/BUILD-STAMP) does not match a hash of every file under lib/, of
// tsconfig.json + tsconfig.lib.json and of the TypeScript version: an edit, a new or deleted file, a branch
// switch. Hashing the ~150 files takes milliseconds, so every notebook entry point (npm run lab, nb-test, the
// kernel itself at start) calls this first. A build that fails leaves no stamp, so the next call retries; a
// changed file list (a new, renamed or deleted source) rebuilds from an empty folder; .cache/lib-dist.lock makes
// concurrent calls (two kernels starting) take turns.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, '.cache', 'lib-dist');
const STAMP = join(OUT, 'BUILD-STAMP');
const BUILD_INFO = join(ROOT, '.cache', 'lib-dist.tsbuildinfo');
const LOCK = join(ROOT, '.cache', 'lib-dist.lock');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** Hash of what the build depends on: lib/ (paths and contents), the two tsconfigs, the compiler version. */
export function sourceHash(root = ROOT) {
  const h = createHash('sha256');
  const files = readdirSync(join(root, 'lib'), { recursive: true })
    .map(String)
    .filter((f) => !f.split(/[\\/]/).some((p) => p.startsWith('.')))
    .map((f) => join('lib', f))
    .filter((f) => !statIsDir(join(root, f)))
    .sort();
  for (const f of [...files, 'tsconfig.json', 'tsconfig.lib.json']) {
    h.update(`${f}\0`);
    h.update(readFileSync(join(root, f)));
    h.update('\0');
  }
  const ts = JSON.parse(readFileSync(join(root, 'node_modules', 'typescript', 'package.json'), 'utf8')).version;
  h.update(`typescript ${ts}`);
  const list = createHash('sha256').update(files.join('\n')).digest('hex').slice(0, 16);
  return { hash: h.digest('hex').slice(0, 16), files: files.length, list, typescript: ts };
}

function statIsDir(p) {
  return statSync(p).isDirectory();
}

function readStamp() {
  try {
    return JSON.parse(readFileSync(STAMP, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Why the build is stale ('' when fresh). */
export function staleReason(src = sourceHash()) {
  if (!existsSync(join(OUT, 'index.js')) || !existsSync(join(OUT, 'index.d.ts'))) return 'not built yet';
  const stamp = readStamp();
  if (!stamp) return 'no build stamp (an interrupted or failed build)';
  if (stamp.hash !== src.hash) return `lib/ changed since the build of ${stamp.builtAt}`;
  return '';
}

function main() {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => !['--check', '--force', '--quiet'].includes(a));
  if (unknown.length) {
    console.error(`build-lib: unknown option ${unknown.join(' ')} (expected --check, --force or --quiet)`);
    process.exit(2);
  }
  const quiet = args.includes('--quiet');
  const src = sourceHash();
  const why = args.includes('--force') ? 'forced' : staleReason(src);
  if (!why) {
    if (!quiet) console.error(`build-lib: .cache/lib-dist is up to date (${src.files} files, ${src.hash})`);
    return 0;
  }
  if (args.includes('--check')) {
    console.error(`build-lib: .cache/lib-dist is stale: ${why} (npm run build:lib)`);
    return 1;
  }
  return withLock(() => build(args.includes('--force') ? why : staleReason(src), src, args.includes('--force')));
}

/** Runs fn holding .cache/lib-dist.lock (two kernels starting at once must not both write the build). */
function withLock(fn) {
  mkdirSync(dirname(LOCK), { recursive: true });
  const deadline = Date.now() + 10 * 60_000;
  let waited = false;
  for (;;) {
    try {
      writeFileSync(LOCK, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(LOCK, 'utf8'));
      if (pid > 0 && !alive(pid)) {
        rmSync(LOCK, { force: true }); // left by a killed build
        continue;
      }
      if (Date.now() > deadline) throw new Error(`build-lib: ${LOCK} held by pid ${pid} for 10 min`);
      if (!waited) console.error(`build-lib: another build (pid ${pid}) is running; waiting for it`);
      waited = true;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(LOCK, { force: true });
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** Compiles (why: the stale reason, '' when another process built it meanwhile). */
function build(why, src, force) {
  if (!why) {
    console.error('build-lib: .cache/lib-dist was brought up to date by another build');
    return 0;
  }
  const t0 = performance.now();
  console.error(`build-lib: compiling lib/ → .cache/lib-dist (${why}; ~10-30 s)`);
  // A removed or renamed source would leave its old output behind: rebuild from an empty folder whenever the
  // stamp's file list differs (and when forced); otherwise tsc's incremental build reuses the last one.
  const stamp = readStamp();
  if (!stamp || stamp.list !== src.list || force) {
    rmSync(OUT, { recursive: true, force: true });
    rmSync(BUILD_INFO, { force: true });
  }
  rmSync(STAMP, { force: true });
  const r = spawnSync(process.execPath, [TSC, '-p', join(ROOT, 'tsconfig.lib.json')], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build-lib: tsc failed (exit ${r.status ?? r.signal}); the notebooks need this build`);
    return 1;
  }
  mkdirSync(OUT, { recursive: true });
  const tmp = `${STAMP}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...src, builtAt: new Date().toISOString(), seconds: +((performance.now() - t0) / 1000).toFixed(1) }, null, 1) + '\n');
  renameSync(tmp, STAMP);
  console.error(`build-lib: built in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${relative(process.cwd(), OUT) || OUT}`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) process.exit(main());
