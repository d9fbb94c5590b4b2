/**
 * bench/gpu-check.sh size / slim / unslim in a scratch repository: slim untracks and ignores the folders the GPU check
 * never reads so the tree travels under the device tool's 64 MiB, refuses to run twice or over local edits, refuses
 * commits while slimmed, and unslim restores the index, the exclude file and any own pre-commit hook exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const script = join(__dirname, '..', '..', 'bench', 'gpu-check.sh');

function sh(cwd: string, cmd: string, args: string[]) {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
}

test('gpu-check.sh slim brings a 70 MiB tree under 64 MiB and unslim puts everything back', (t) => {
  const repo = mkdtempSync(join(tmpdir(), 'gpu-slim-'));
  t.after(() => rmSync(repo, { recursive: true, force: true }));
  const git = (...a: string[]) => {
    const r = sh(repo, 'git', a);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  const check = (...a: string[]) => sh(repo, 'bash', ['bench/gpu-check.sh', ...a]);
  git('init', '-q');
  mkdirSync(join(repo, 'bench'));
  copyFileSync(script, join(repo, 'bench', 'gpu-check.sh'));
  mkdirSync(join(repo, 'pretrained', 'a'), { recursive: true });
  mkdirSync(join(repo, 'docs', 'results'), { recursive: true });
  writeFileSync(join(repo, 'pretrained', 'a', 'weights.bin'), Buffer.alloc(70 * 2 ** 20, 1));
  writeFileSync(join(repo, 'docs', 'results', 'table.md'), '| x |\n');
  writeFileSync(join(repo, 'README.md'), 'hello\n');
  git('add', '-A');
  git('commit', '-qm', 'init');
  const exclude = join(repo, '.git', 'info', 'exclude');
  writeFileSync(exclude, '# mine\n/.gpu-pack/\n');
  const hook = join(repo, '.git', 'hooks', 'pre-commit');
  mkdirSync(join(repo, '.git', 'hooks'), { recursive: true });
  writeFileSync(hook, '#!/bin/sh\necho own-hook-ran\n', { mode: 0o755 });

  const before = check('size');
  assert.equal(before.status, 1);
  assert.match(before.stderr, /the tree sends 70\.0 MiB, \.gpu-pack 0\.0 MiB: 70\.0 MiB of 64 MiB \(too large: bash bench\/gpu-check\.sh slim\)/);

  writeFileSync(join(repo, 'docs', 'results', 'table.md'), '| edited |\n');
  const edited = check('slim');
  assert.equal(edited.status, 1);
  assert.match(edited.stderr, /pretrained docs\/results differ from HEAD/);
  git('checkout', '--', 'docs/results/table.md');

  const slim = check('slim');
  assert.equal(slim.status, 0, slim.stderr);
  assert.match(slim.stderr, /the tree sends 0\.0 MiB[^\n]*\(fits\)/);
  assert.deepEqual(git('ls-files').trim().split('\n').sort(), ['README.md', 'bench/gpu-check.sh']);
  assert.equal(git('status', '--porcelain', '--untracked-files=all', '--', 'pretrained', 'docs/results').split('\n').filter((l) => l.startsWith('??')).length, 0, 'ignored, so they do not travel as untracked files either');
  assert.equal(readFileSync(join(repo, 'pretrained', 'a', 'weights.bin')).length, 70 * 2 ** 20, 'the files stay on disk');
  assert.equal(check('slim').status, 1, 'not twice');
  const commit = sh(repo, 'git', ['commit', '-qm', 'while slimmed']);
  assert.equal(commit.status, 1, 'a commit while slimmed would delete the folders from the repository');
  assert.match(commit.stderr, /refused: bench\/gpu-check\.sh slim untracked pretrained docs\/results[^\n]*unslim first/);
  assert.equal(git('ls-files', 'pretrained').trim(), '', 'nothing was committed');
  assert.equal(git('rev-list', '--count', 'HEAD').trim(), '1');

  const unslim = check('unslim');
  assert.equal(unslim.status, 0, unslim.stderr);
  assert.equal(git('status', '--porcelain'), '');
  assert.equal(readFileSync(exclude, 'utf8'), '# mine\n/.gpu-pack/\n', 'the exclude file as it was');
  assert.equal(readFileSync(hook, 'utf8'), '#!/bin/sh\necho own-hook-ran\n', 'the own hook put back');
  writeFileSync(join(repo, 'README.md'), 'hello again\n');
  git('commit', '-qam', 'after unslim');
  assert.equal(check('unslim').status, 1, 'nothing to undo');
});
