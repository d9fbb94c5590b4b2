// Gating and helpers for tests against a real MLflow (server from scripts/mlflow-server.sh, Python from its venv).
// Under CI=true these tests must run: a missing server/venv fails them instead of skipping.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const SERVER_SCRIPT = join(REPO_ROOT, 'scripts', 'mlflow-server.sh');
const uri = process.env.MLFLOW_TEST_TRACKING_URI;
const venv = process.env.MLFLOW_TEST_VENV || join(REPO_ROOT, '.venv');
export const PYTHON = join(venv, 'bin', 'python');
const inCI = /^(true|1)$/i.test(process.env.CI ?? '');

const HOW = 'run them with: bash scripts/mlflow-server.sh run -- node scripts/run-tests.mjs tracking';

/** `skip` option for node:test: a reason locally, false in CI (where `serverUri()` then fails the test). */
export const skipWithoutServer: string | false = uri || inCI ? false : `MLFLOW_TEST_TRACKING_URI is not set, MLflow server tests skipped; ${HOW}`;
export const skipWithoutPython: string | false =
  existsSync(PYTHON) || inCI ? false : `no MLflow venv at ${venv}, Python read-back skipped; ${HOW}`;

export function serverUri(): string {
  if (!uri) throw new Error(`CI=true but MLFLOW_TEST_TRACKING_URI is not set: the MLflow integration tests must not skip in CI; ${HOW}`);
  return uri;
}

export function python(): string {
  if (!existsSync(PYTHON)) throw new Error(`no Python venv with mlflow at ${PYTHON} (MLFLOW_TEST_VENV): ${HOW}`);
  return PYTHON;
}

const exec = promisify(execFile);

/** State folder of the server started by `mlflow-server.sh run` (db + artifacts), when the tests run under it. */
export const MAIN_SERVER_DIR = process.env.MLFLOW_TEST_SERVER_DIR || undefined;

/**
 * A second server (for kill/restart tests) with its pid/log in `dir`; its db and artifacts live in `storeDir`
 * (default `dir`) — pass the main server's folder to have both servers share one store.
 */
export async function startServer(dir: string, storeDir?: string): Promise<string> {
  const env = { ...process.env, MLFLOW_VENV: venv, ...(storeDir ? { MLFLOW_SERVER_STORE_DIR: storeDir } : {}) };
  const { stdout } = await exec('bash', [SERVER_SCRIPT, 'start', dir], { env, timeout: 200_000 });
  return stdout.trim().split('\n').pop()!;
}

export async function stopServer(dir: string): Promise<void> {
  await exec('bash', [SERVER_SCRIPT, 'stop', dir], { timeout: 30_000 });
}

/** SIGKILL the server's whole process group: the harshest way for a server to vanish mid-run. */
export async function killServer(dir: string): Promise<void> {
  const pid = Number(readFileSync(join(dir, 'server.pid'), 'utf8'));
  process.kill(-pid, 'SIGKILL');
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server ${pid} still alive after SIGKILL`);
}

export async function runPython(code: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await exec(python(), ['-W', 'ignore', '-c', code, ...args], { env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 64 << 20 });
  return stdout;
}
