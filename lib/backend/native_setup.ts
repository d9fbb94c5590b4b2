/**
 * First-run build of the native backend for the CLI: where the machine allows (Linux x86_64, python3 with
 * pip, g++, make), a computing command builds tfjs-node against PyPI's TensorFlow C library with
 * scripts/setup-native.sh (~1 min, once) before it selects a backend, so a fresh clone's
 * `npm ci && npm run quickstart` runs native; where it cannot, the command runs on wasm and says why.
 * Only the CLI entry calls this: library imports, notebooks and tests never build anything.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { processAlive } from '../util/process';
import { projectRoot } from '../util/project_root';

export interface NativeSetupOptions {
  /** Project root: holds scripts/setup-native.sh and receives .cache/native (default: this checkout). */
  root?: string;
  env?: NodeJS.ProcessEnv;
  /** The backend the command was asked for (--backend); only 'auto' and 'node' can use the build. */
  backend?: string;
  /** Where the one-line notices go (default stderr). */
  log?: (line: string) => void;
  /** For tests: whether a tool is on PATH / pip works, and the platform. */
  has?: (tool: 'python3-pip' | 'g++' | 'make' | 'bash') => boolean;
  platform?: string;
}

export type NativeSetupOutcome =
  | { action: 'skipped'; reason: string }
  | { action: 'built'; seconds: number }
  | { action: 'failed'; reason: string; log: string };

/** Env switch: SRN_AUTO_NATIVE=0 turns the first-run build off (the CLI's --no-native-setup sets it). */
export const AUTO_NATIVE_ENV = 'SRN_AUTO_NATIVE';

const SETUP_SCRIPT = join('scripts', 'setup-native.sh');
const FAILED_MARKER = join('.cache', 'native-setup.failed.json');
const LOG_FILE = join('.cache', 'native-setup.log');
const LOCK_FILE = join('.cache', 'native-setup.lock');
/** A lock older than this is left over from a killed build (the script takes 1-2 min). */
const STALE_LOCK_MS = 30 * 60_000;

function defaultRoot(): string {
  return projectRoot();
}

function toolCheck(env: NodeJS.ProcessEnv): NonNullable<NativeSetupOptions['has']> {
  const ok = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore', env, timeout: 20_000 }).status === 0;
  return (tool) => (tool === 'python3-pip' ? ok(env.PYTHON || 'python3', ['-m', 'pip', '--version']) : ok(tool, ['--version']));
}

/** True when tfjs-node is an installed package or setup-native.sh's build is in place. */
function nativeAvailable(root: string): boolean {
  try {
    createRequire(join(root, 'package.json')).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return existsSync(join(root, '.cache', 'native', 'BUILD-STAMP')) && existsSync(join(root, '.cache', 'native', 'tfjs-node', 'package.json'));
  }
}

function scriptHash(root: string): string {
  return createHash('sha1').update(readFileSync(join(root, SETUP_SCRIPT))).digest('hex').slice(0, 12);
}

/** Why not to build, or undefined to build (no side effects). A plain string: tslab's non-strict TS 5.0 cannot narrow a boolean-tagged union. */
export function nativeSetupPlan(opts: NativeSetupOptions = {}): string | undefined {
  const root = opts.root ?? defaultRoot();
  const env = opts.env ?? process.env;
  const off = (reason: string) => reason;
  if (env[AUTO_NATIVE_ENV] === '0') return off(`${AUTO_NATIVE_ENV}=0`);
  if (env.NODE_TEST_CONTEXT) return off('inside a test run');
  const choice = opts.backend ?? env.SRN_BACKEND ?? 'auto';
  if (choice !== 'auto' && choice !== 'node') return off(`backend '${choice}' was asked for`);
  if (nativeAvailable(root)) return off('the native backend is already installed');
  if (!existsSync(join(root, SETUP_SCRIPT))) return off(`${SETUP_SCRIPT} is missing`);
  const marker = join(root, FAILED_MARKER);
  if (existsSync(marker)) {
    try {
      const m = JSON.parse(readFileSync(marker, 'utf8')) as { reason?: string; script?: string };
      // A changed script gets a new try; the same one does not fail again on every run.
      if (m.script === scriptHash(root)) return off(`an earlier build failed (${m.reason ?? 'see the log'}); retry with npm run setup:native, or delete ${FAILED_MARKER}`);
    } catch {
      // unreadable marker: try again
    }
  }
  const platform = opts.platform ?? `${process.platform}/${process.arch}`;
  if (platform !== 'linux/x64') return off(`the build needs Linux x86_64 (TensorFlow's manylinux wheel), this is ${platform}`);
  const has = opts.has ?? toolCheck(env);
  const missing = (['bash', 'python3-pip', 'g++', 'make'] as const).filter((t) => !has(t));
  if (missing.length) return off(`missing ${missing.map((t) => (t === 'python3-pip' ? 'python3 with pip' : t)).join(', ')}`);
  return undefined;
}

/**
 * Builds the native backend once if the plan says so: one notice line before (it takes about a minute),
 * one after; the script's output goes to .cache/native-setup.log. A failure is remembered (per script
 * version) so later runs go straight to wasm with the reason.
 */
export function ensureNativeBackend(opts: NativeSetupOptions = {}): NativeSetupOutcome {
  const root = opts.root ?? defaultRoot();
  const env = opts.env ?? process.env;
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const skip = nativeSetupPlan({ ...opts, root, env });
  if (skip !== undefined) {
    // Say why only where it changes what runs (not when native is there or the user chose otherwise).
    if (!/already installed|was asked for|SRN_AUTO_NATIVE|test run/.test(skip)) log(`semantic-srn: native backend not built (${skip}); running on wasm`);
    return { action: 'skipped', reason: skip };
  }
  const logPath = join(root, LOG_FILE);
  mkdirSync(dirname(logPath), { recursive: true });
  // Two commands started together on a fresh clone must not build into the same folder at once.
  const lock = join(root, LOCK_FILE);
  try {
    if (existsSync(lock) && lockIsStale(lock)) rmSync(lock, { force: true });
    const fd = openSync(lock, 'wx');
    writeFileSync(fd, String(process.pid));
    closeSync(fd);
  } catch {
    const reason = `another command is building it now (${LOCK_FILE})`;
    log(`semantic-srn: native backend not built (${reason}); running on wasm`);
    return { action: 'skipped', reason };
  }
  try {
    return build(root, env, log, logPath);
  } finally {
    rmSync(lock, { force: true });
  }
}

/** The holder died (Ctrl-C during a build) or the lock is older than any build. */
function lockIsStale(lock: string): boolean {
  if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) return true;
  return !processAlive(Number(readFileSync(lock, 'utf8')));
}

function build(root: string, env: NodeJS.ProcessEnv, log: (line: string) => void, logPath: string): NativeSetupOutcome {
  log(
    `semantic-srn: first run: building the native TensorFlow backend from npm/PyPI packages (about 1 min, ~260 MB, once; ` +
      `log ${relative(process.cwd(), logPath) || logPath}; ${AUTO_NATIVE_ENV}=0 or --no-native-setup skips it)`,
  );
  const t0 = performance.now();
  const r = spawnSync('bash', [join(root, SETUP_SCRIPT)], { cwd: root, env, encoding: 'utf8', timeout: 20 * 60_000, maxBuffer: 64 * 2 ** 20 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  writeFileSync(logPath, output);
  const seconds = (performance.now() - t0) / 1000;
  if (r.status === 0) {
    log(`semantic-srn: native backend built in ${seconds.toFixed(0)} s`);
    return { action: 'built', seconds };
  }
  const last = output.trim().split('\n').filter(Boolean).at(-1) ?? '';
  const reason = r.error ? r.error.message : `setup-native.sh exited ${r.status ?? r.signal}: ${last.replace(/^setup-native: /, '')}`;
  writeFileSync(join(root, FAILED_MARKER), `${JSON.stringify({ reason, script: scriptHash(root), at: new Date().toISOString() }, null, 2)}\n`);
  log(`semantic-srn: native backend build failed (${reason}); running on wasm (full log: ${logPath})`);
  return { action: 'failed', reason, log: logPath };
}
