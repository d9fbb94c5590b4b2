/**
 * The authors' side: find their code and a Python with torch, make a patched scratch copy, lay out a view of
 * our generated data their loader accepts, and run their train.py with timestamps on every stdout line.
 * Nothing is downloaded: the repository, the submodule and the Python are the caller's (see docs/parity.md).
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SplitInfo } from '../../lib/data/types';
import type { TheirConstants } from './config_map';
import { formatTimedLines, type TimedLine } from './metrics';
import { compatPatch, cpuPatch, widthPatch } from './patch';

export const THEIR_COMMIT = '3ff49be';
export const PROTOTYPING_COMMIT = '10f49b1';

export const HOW_TO_GET_CODE = [
  "The authors' code is not part of this project; give the bench a local copy:",
  '  --repo PATH or SRN_PARITY_REPO: a checkout of github.com/apsk14/semantic_scene_representations at 3ff49be',
  '    (git clone --recurse-submodules, then git checkout 3ff49be && git submodule update), or its bare git directory;',
  '  --prototyping PATH or SRN_PARITY_PROTOTYPING: only when the checkout\'s pytorch_prototyping/ is empty — a checkout',
  '    or git directory of github.com/vsitzmann/pytorch_prototyping at 10f49b1.',
].join('\n');

export const THEIR_PYTHON_MODULES = ['torch', 'torchvision', 'numpy', 'configargparse', 'cv2', 'imageio', 'skimage', 'matplotlib', 'pandas', 'torch.utils.tensorboard'];

export const HOW_TO_GET_PYTHON = [
  'A Python with torch and the modules their code imports (PyPI, CPU is enough):',
  '  python3 -m venv .cache/parity-venv',
  '  .cache/parity-venv/bin/pip install torch torchvision numpy configargparse opencv-python-headless imageio scikit-image matplotlib pandas tensorboard',
  'then --python .cache/parity-venv/bin/python or SRN_PARITY_PYTHON=.cache/parity-venv/bin/python.',
  '(PyPI\'s Linux torch wheel pulls its CUDA libraries, ~4 GB; it runs on the CPU without a GPU.)',
].join('\n');

function git(gitDir: string, args: string[]): { ok: boolean; out: Buffer; err: string } {
  const r = spawnSync('git', ['--git-dir', gitDir, ...args], { maxBuffer: 512 * 2 ** 20 });
  return { ok: r.status === 0, out: r.stdout ?? Buffer.alloc(0), err: String(r.stderr ?? '') };
}

/** The git directory of `path` if it is one (bare, or a checkout's .git), else null. */
function gitDirOf(path: string): string | null {
  for (const cand of [join(path, '.git'), path]) {
    if (existsSync(cand) && git(cand, ['rev-parse', '--git-dir']).ok) return cand;
  }
  return null;
}

export interface SourceInfo {
  path: string;
  kind: 'checkout' | 'git-dir';
  /** The commit the files came from (full hash), when known. */
  commit: string | null;
}

/**
 * Copies the code at `path` into `dest`: a checkout as it is on disk (without .git), a git directory at
 * `commit` via git archive. `marker` is a file that must be there (to catch a wrong path early).
 */
export function exportSource(path: string, commit: string, dest: string, marker: string, what: string): SourceInfo {
  if (!existsSync(path)) throw new Error(`${what}: ${path} does not exist\n${HOW_TO_GET_CODE}`);
  mkdirSync(dest, { recursive: true });
  const gd = gitDirOf(path);
  if (existsSync(join(path, marker))) {
    cpSync(path, dest, { recursive: true, filter: (src) => !src.split(/[\\/]/).includes('.git') });
    const head = gd ? git(gd, ['rev-parse', 'HEAD']) : null;
    return { path, kind: 'checkout', commit: head?.ok ? head.out.toString().trim() : null };
  }
  if (!gd) throw new Error(`${what}: ${path} has no ${marker} and is not a git directory\n${HOW_TO_GET_CODE}`);
  const full = git(gd, ['rev-parse', '--verify', `${commit}^{commit}`]);
  if (!full.ok) throw new Error(`${what}: commit ${commit} not found in ${gd}\n${HOW_TO_GET_CODE}`);
  const tar = git(gd, ['archive', '--format=tar', commit]);
  if (!tar.ok) throw new Error(`${what}: git archive ${commit} failed: ${tar.err.trim()}`);
  const x = spawnSync('tar', ['-x', '-C', dest], { input: tar.out });
  if (x.status !== 0) throw new Error(`${what}: unpacking ${commit} into ${dest} failed: ${String(x.stderr)}`);
  if (!existsSync(join(dest, marker))) throw new Error(`${what}: ${commit} of ${gd} has no ${marker}\n${HOW_TO_GET_CODE}`);
  return { path, kind: 'git-dir', commit: full.out.toString().trim() };
}

export interface PreparedCode {
  dir: string;
  repo: SourceInfo;
  prototyping: SourceInfo | 'submodule in the checkout';
  patches: { file: string; rule: string; count: number }[];
}

/** Scratch copy of their code (+ submodule), CPU-patched, widths set; returns what was changed where. */
export function prepareTheirCode(repoPath: string, prototypingPath: string | undefined, dest: string, k: TheirConstants): PreparedCode {
  const repo = exportSource(repoPath, THEIR_COMMIT, dest, 'train.py', "authors' repository (--repo / SRN_PARITY_REPO)");
  const subDir = join(dest, 'pytorch_prototyping');
  let prototyping: PreparedCode['prototyping'] = 'submodule in the checkout';
  if (!existsSync(join(subDir, 'pytorch_prototyping.py'))) {
    if (!prototypingPath) {
      throw new Error(`authors' repository: ${repoPath} has no pytorch_prototyping/pytorch_prototyping.py (submodule not checked out)\n${HOW_TO_GET_CODE}`);
    }
    prototyping = exportSource(prototypingPath, PROTOTYPING_COMMIT, subDir, 'pytorch_prototyping.py', 'pytorch_prototyping (--prototyping / SRN_PARITY_PROTOTYPING)');
  }
  const patches: PreparedCode['patches'] = [];
  for (const dir of [dest, subDir]) {
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.py'))) {
      const file = join(dir, f);
      const rel = file.slice(dest.length + 1);
      let text = readFileSync(file, 'utf8');
      const cpu = cpuPatch(text);
      text = cpu.text;
      for (const c of cpu.changes) patches.push({ file: rel, ...c });
      if (rel === 'models.py') {
        const w = widthPatch(text, k, rel);
        text = w.text;
        for (const c of w.changes) patches.push({ file: rel, ...c });
      }
      if (rel === 'util.py') {
        const c = compatPatch(text, rel);
        text = c.text;
        for (const ch of c.changes) patches.push({ file: rel, ...ch });
      }
      writeFileSync(file, text);
    }
  }
  if (!patches.some((p) => p.file === 'models.py' && p.rule.startsWith('.cuda()'))) {
    throw new Error(`authors' repository: models.py had no .cuda() calls to patch; is ${repoPath} at ${THEIR_COMMIT}?`);
  }
  return { dir: dest, repo, prototyping, patches };
}

/** Checks that `python` imports everything their training imports; the error says how to make one. */
export function checkPython(python: string | undefined): { python: string; versions: string } {
  if (!python) throw new Error(`no Python given (--python or SRN_PARITY_PYTHON)\n${HOW_TO_GET_PYTHON}`);
  const code = `import importlib\nfor m in ${JSON.stringify(THEIR_PYTHON_MODULES)}: importlib.import_module(m)\nimport torch, numpy, sys\nprint(f"python {sys.version.split()[0]} torch {torch.__version__} numpy {numpy.__version__}")`;
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8' });
  if (r.error) throw new Error(`--python / SRN_PARITY_PYTHON: cannot run '${python}': ${r.error.message}\n${HOW_TO_GET_PYTHON}`);
  if (r.status !== 0) {
    const last = r.stderr.trim().split('\n').slice(-1)[0];
    throw new Error(`--python / SRN_PARITY_PYTHON: '${python}' cannot import what their code needs (${last})\n${HOW_TO_GET_PYTHON}`);
  }
  return { python, versions: r.stdout.trim() };
}

/**
 * A folder their SceneClassDataset reads, made of links into our split: <Class>-level-1.txt and, per
 * instance, rgb/ pose/ seg/ intrinsics.txt. Their loader also opens point_cloud/sample-points-*.txt for every
 * instance (only test.py --point_cloud uses them); our generator writes no point clouds, so those two files
 * are left empty, which their loader reads as zero points. Returns their --data_root.
 */
export function theirDataView(info: SplitInfo, dest: string): string {
  const cls = info.className;
  const classDir = join(dest, cls);
  const splitDir = join(classDir, `${cls}.${info.split}`);
  if (!info.splitDir) throw new Error(`theirDataView: the split of ${info.root} has no folder on disk`);
  mkdirSync(splitDir, { recursive: true });
  symlinkSync(resolve(info.splitDir, '..', `${cls}-level-1.txt`), join(classDir, `${cls}-level-1.txt`));
  for (const inst of info.instances) {
    const src = resolve(inst.dir);
    const dst = join(splitDir, inst.id);
    mkdirSync(join(dst, 'point_cloud'), { recursive: true });
    for (const entry of ['rgb', 'pose', 'seg', 'intrinsics.txt']) {
      if (!existsSync(join(src, entry))) throw new Error(`${src}: no ${entry} (their loader needs rgb/, pose/, seg/ and intrinsics.txt)`);
      symlinkSync(join(src, entry), join(dst, entry));
    }
    writeFileSync(join(dst, 'point_cloud', 'sample-points-all-pts-nor-rgba-10000.txt'), '');
    writeFileSync(join(dst, 'point_cloud', 'sample-points-label-10000.txt'), '');
  }
  return splitDir;
}

export interface TheirRunResult {
  lines: TimedLine[];
  startMs: number;
  endMs: number;
  exitCode: number;
}

export const LAUNCHER = join(__dirname, 'launch_theirs.py');

/**
 * Runs `python launch_theirs.py <script> args…` in the scratch copy; every stdout line is timestamped on
 * arrival (unbuffered Python), stderr goes to `<logDir>/stderr.log`, stdout to `<logDir>/stdout.tsv`.
 */
export function runTheirs(opts: {
  python: string; codeDir: string; script: string; args: string[]; seed: number; threads: number; logDir: string;
  onStep?: (line: string) => void;
}): Promise<TheirRunResult> {
  mkdirSync(opts.logDir, { recursive: true });
  const stderr = createWriteStream(join(opts.logDir, 'stderr.log'));
  const lines: TimedLine[] = [];
  const startMs = Date.now();
  const child = spawn(opts.python, ['-u', LAUNCHER, join(opts.codeDir, opts.script), ...opts.args], {
    cwd: opts.codeDir,
    env: { ...process.env, PYTHONUNBUFFERED: '1', MPLBACKEND: 'Agg', SRN_PARITY_SEED: String(opts.seed), SRN_PARITY_THREADS: String(opts.threads), OMP_NUM_THREADS: String(opts.threads),
      // Busy-waiting OpenMP workers on a shared machine made a 2-thread torch step ~20× slower (docs/parity.md).
      OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let buf = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const t = Date.now();
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push({ t, line });
      opts.onStep?.(line);
    }
  });
  child.stderr.pipe(stderr);
  return new Promise((resolvePromise, reject) => {
    child.on('error', (e) => reject(new Error(`running their ${opts.script} with ${opts.python}: ${e.message}`)));
    child.on('close', (code) => {
      if (buf) lines.push({ t: Date.now(), line: buf });
      writeFileSync(join(opts.logDir, 'stdout.tsv'), formatTimedLines(lines));
      stderr.end();
      resolvePromise({ lines, startMs, endMs: Date.now(), exitCode: code ?? 1 });
    });
  });
}

/** The last lines of their stderr, for an error message. */
export function stderrTail(logDir: string, n = 15): string {
  const p = join(logDir, 'stderr.log');
  if (!existsSync(p) || statSync(p).size === 0) return '(stderr empty)';
  return readFileSync(p, 'utf8').trim().split('\n').slice(-n).join('\n');
}
