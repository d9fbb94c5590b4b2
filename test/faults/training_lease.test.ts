/** One trainer per checkpoint (lib/util/lease.ts): a second process is refused, naming the first; dead holders are taken over. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { presetConfig } from '../../lib/config/presets';
import type { SplitInfo } from '../../lib/data/types';
import { cachedStage, ensureSemantic, semanticKey, type StageData } from '../../lib/pipeline/stage_cache';
import { acquireLease, holderState } from '../../lib/util/lease';

const dir = mkdtempSync(join(tmpdir(), 'srn-lease-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a held lease refuses a second taker, naming the holder; released, it can be taken again', () => {
  const file = join(dir, 'a.lock');
  const lease = acquireLease(file, 'the pre-training in X');
  const holder = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; host: string };
  assert.deepEqual([holder.pid, holder.host], [process.pid, hostname()]);
  assert.throws(() => acquireLease(file, 'the pre-training in X'), new RegExp(`the pre-training in X is being trained by another process \\(pid ${process.pid} on `));
  lease.release();
  lease.release();
  assert.ok(!existsSync(file));
  acquireLease(file, 'again').release();
});

test('holderState: a pid is judged on the machine that wrote it; a lease without a host is taken to be this one', () => {
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  assert.equal(holderState({ pid: process.pid, host: hostname() }), 'running');
  assert.equal(holderState({ pid: dead, host: hostname() }), 'gone');
  assert.equal(holderState({ pid: process.pid, host: 'other-machine' }), 'elsewhere');
  assert.equal(holderState({ pid: dead, host: 'other-machine' }), 'elsewhere');
  assert.equal(holderState({ pid: dead }), 'gone');
  assert.equal(holderState({ pid: process.pid, host: null }), 'running');
});

test('a lease of a process that died on this machine is taken over; one from another machine is named, not taken', () => {
  const file = join(dir, 'b.lock');
  const dead = spawnSync(process.execPath, ['-e', '0']).pid;
  writeFileSync(file, JSON.stringify({ pid: dead, host: hostname(), startedAt: 'yesterday', command: 'x' }));
  const lease = acquireLease(file, 'stage');
  assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid, process.pid);
  lease.release();
  writeFileSync(file, JSON.stringify({ pid: dead, host: 'other-machine', startedAt: 'yesterday', command: 'x' }));
  assert.throws(() => acquireLease(file, 'stage'), /on other-machine.*another machine and cannot be checked from here: delete .*b\.lock if nothing trains it/s);
  // A torn lease (created, never written) is someone's for a minute, then stale.
  writeFileSync(file, '');
  assert.throws(() => acquireLease(file, 'stage'), /a process that has not written its name yet/);
  const old = new Date(Date.now() - 5 * 60_000);
  utimesSync(file, old, old);
  acquireLease(file, 'stage').release();
});

test('ensureSemantic refuses a semantic SRN another live process is training, without training or leaking tensors', async () => {
  const config = presetConfig('tiny', { seed: 0, model: { numClasses: 6 } });
  const data: StageData = { root: '/data', dataVersion: 'synthetic-v2', train: { className: 'Chair', instances: [{ id: 'a', index: 0 }, { id: 'b', index: 1 }] } as unknown as SplitInfo };
  const runs = join(dir, 'runs');
  const { dir: stageDir } = cachedStage('semantic', runs, config, data, semanticKey(config, data), 10);
  // The parent process (the test runner) is alive on this machine: its lease stands.
  writeFileSync(join(stageDir, 'training.lock'), JSON.stringify({ pid: process.ppid, host: hostname(), startedAt: '2026-12-06T00:00:00Z', command: 'semantic-srn experiment table-1' }));
  const before = tf.memory().numTensors;
  await assert.rejects(ensureSemantic(config, data, { runsDir: runs }), new RegExp(`the semantic SRN in .*${stageDir.split('/').pop()} is being trained by another process \\(pid ${process.ppid} .*semantic-srn experiment table-1\\)`));
  assert.equal(tf.memory().numTensors, before);
  assert.ok(existsSync(join(stageDir, 'training.lock')), "another process's lease is left alone");
});
