/**
 * The prebuilt library the notebooks import (`npm run build:lib`, scripts/build-lib.mjs): built when lib/ changed
 * and only then, a renamed or deleted source leaves no output behind, concurrent builds take turns, and the real
 * build runs from .cache/lib-dist with the same exports and the same project paths as lib/ run from source.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'srn-build-lib-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function buildAsync(root: string): Promise<{ status: number | null; err: string }> {
  return new Promise((done) => {
    const c = spawn(process.execPath, [join(root, 'scripts', 'build-lib.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('close', (status) => done({ status, err }));
  });
}

function build(root: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-lib.mjs'), ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, err: r.stderr };
}

test('build-lib: builds a stale or missing library, skips a fresh one, rebuilds after an edit, cleans after a rename or deletion, one build at a time', async () => {
  // A miniature project: the real script, tsconfigs and project_root.ts, the real node_modules (tsc, @types/node).
  const p = join(tmp, 'proj');
  mkdirSync(join(p, 'scripts'), { recursive: true });
  mkdirSync(join(p, 'lib', 'util'), { recursive: true });
  writeFileSync(join(p, 'package.json'), JSON.stringify({ name: 'semantic-srn', private: true }));
  for (const f of ['tsconfig.json', 'tsconfig.lib.json', 'scripts/build-lib.mjs', 'lib/util/project_root.ts']) copyFileSync(join(ROOT, f), join(p, f));
  symlinkSync(join(ROOT, 'node_modules'), join(p, 'node_modules'));
  writeFileSync(join(p, 'lib', 'extra.ts'), 'export const extra = 1;\n');
  writeFileSync(join(p, 'lib', 'index.ts'), "export { projectRoot } from './util/project_root';\nexport const answer: number = 41;\n");
  const dist = join(p, '.cache', 'lib-dist');

  assert.equal(build(p, '--check').status, 1, 'not built yet');
  let r = build(p);
  assert.equal(r.status, 0, r.err);
  assert.match(r.err, /compiling lib\/ → \.cache\/lib-dist \(not built yet/);
  for (const f of ['index.js', 'index.d.ts', 'extra.js', 'util/project_root.js', 'BUILD-STAMP']) assert.ok(existsSync(join(dist, f)), f);
  assert.match(readFileSync(join(dist, 'index.d.ts'), 'utf8'), /export declare const answer: number;/);
  const stamp = JSON.parse(readFileSync(join(dist, 'BUILD-STAMP'), 'utf8'));
  assert.equal(stamp.files, 3);

  r = build(p);
  assert.equal(r.status, 0);
  assert.match(r.err, /up to date/, 'a fresh build is not redone');
  assert.equal(build(p, '--check').status, 0);
  // Rewriting a file with the same content (a checkout, a touch) is not a change: the stamp hashes contents.
  writeFileSync(join(p, 'lib', 'extra.ts'), 'export const extra = 1;\n');
  assert.equal(build(p, '--check').status, 0);

  writeFileSync(join(p, 'lib', 'index.ts'), "export { projectRoot } from './util/project_root';\nexport const answer: number = 42;\n");
  r = build(p, '--check');
  assert.equal(r.status, 1);
  assert.match(r.err, /stale: lib\/ changed since the build of/);
  r = build(p);
  assert.equal(r.status, 0, r.err);
  assert.match(readFileSync(join(dist, 'index.js'), 'utf8'), /answer = 42/);

  // A rename keeps the file count: the stamp's file list still tells, and the old output goes.
  renameSync(join(p, 'lib', 'extra.ts'), join(p, 'lib', 'other.ts'));
  r = build(p);
  assert.equal(r.status, 0, r.err);
  assert.ok(!existsSync(join(dist, 'extra.js')) && existsSync(join(dist, 'other.js')), 'the output of a renamed source is gone');
  rmSync(join(p, 'lib', 'other.ts'));
  writeFileSync(join(p, 'lib', 'index.ts'), "export { projectRoot } from './util/project_root';\nexport const answer: number = 43;\n");
  // Two kernels starting at once on a stale build: one compiles, the other waits for it and compiles nothing.
  const both = await Promise.all([0, 1].map(() => buildAsync(p)));
  assert.deepEqual(both.map((b) => b.status), [0, 0], both.map((b) => b.err).join('\n'));
  assert.equal(both.filter((b) => /compiling lib/.test(b.err)).length, 1, both.map((b) => b.err).join('\n'));
  assert.ok(!existsSync(join(dist, 'other.js')), 'the output of a deleted source is gone');
  assert.ok(!existsSync(join(p, '.cache', 'lib-dist.lock')), 'the lock is released');
  // The compiled project_root finds the project from .cache/lib-dist/util, not .cache/.
  const out = spawnSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(dist)}).projectRoot())`], { encoding: 'utf8' });
  assert.equal(out.stdout.trim(), p);

  writeFileSync(join(p, 'lib', 'index.ts'), 'export const answer: number = "no";\n');
  r = build(p);
  assert.equal(r.status, 1, 'a type error fails the build');
  assert.match(r.err, /tsc failed/);
  assert.ok(!existsSync(join(dist, 'BUILD-STAMP')), 'and leaves no stamp, so the next call retries');
});

test('notebooks/lib points at the prebuilt library; the build runs with the exports and project paths of lib/ from source', () => {
  assert.equal(readlinkSync(join(ROOT, 'notebooks', 'lib')), '../.cache/lib-dist');
  assert.equal(readlinkSync(join(ROOT, 'notebooks', 'src', 'lib')), '../../lib', 'the notebook sources are type-checked against lib/ itself');
  const r = build(ROOT);
  assert.equal(r.status, 0, r.err);
  const probe = (dir: string) => {
    const req = (m: string) => `require(${JSON.stringify(join(dir, m))})`;
    const code =
      `const l = ${req('index')}; const q = ${req('pipeline/quickstart')}; const c = ${req('experiments/config_loader')};` +
      `console.log(JSON.stringify({ keys: Object.keys(l).sort(), pretrained: q.SHIPPED_PRETRAINED_DIR, experiments: c.experimentsDir() }))`;
    const out = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, SRN_EXPERIMENTS_DIR: '' } });
    assert.equal(out.status, 0, out.stderr);
    return JSON.parse(out.stdout.trim().split('\n').at(-1)!) as { keys: string[]; pretrained: string; experiments: string };
  };
  const built = probe(join(ROOT, '.cache', 'lib-dist'));
  const source = probe(join(ROOT, 'lib'));
  assert.ok(built.keys.length > 100, `${built.keys.length} exports`);
  assert.deepEqual(built, source);
  assert.equal(built.pretrained, join(ROOT, 'pretrained'));
  assert.equal(built.experiments, join(ROOT, 'experiments'));
});
