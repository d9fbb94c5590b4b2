import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { heartbeat, readHeartbeats, startHeartbeat } from '../../lib/util/heartbeat';

const runs = mkdtempSync(join(tmpdir(), 'srn-heartbeat-'));
after(() => rmSync(runs, { recursive: true, force: true }));

test("a run's heartbeat: its newest message at once, progress throttled, gone processes' files cleared at start", () => {
  const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;
  mkdirSync(join(runs, '.progress'), { recursive: true });
  const stale = join(runs, '.progress', `${deadPid}.json`);
  writeFileSync(stale, JSON.stringify({ pid: deadPid, host: hostname(), command: 'old', startedAt: 'x' }));
  const elsewhere = join(runs, '.progress', '1.json');
  writeFileSync(elsewhere, JSON.stringify({ pid: 1, host: 'another-machine', command: 'old', startedAt: 'x' }));

  startHeartbeat(runs);
  assert.equal(existsSync(stale), false, "a gone process's heartbeat on this machine is cleared");
  assert.equal(existsSync(elsewhere), true, "another machine's is left alone");
  const mine = () => readHeartbeats(runs).find((h) => h.pid === process.pid)!;
  assert.equal(mine().host, hostname());
  assert.equal(mine().progress, undefined);

  heartbeat('message', 'sweep: unet 1×1 seed 0: mIOU 18.5%');
  assert.equal(mine().message?.line, 'sweep: unet 1×1 seed 0: mIOU 18.5%');
  heartbeat('progress', '[semantic] 10/100 steps');
  assert.equal(mine().progress, undefined, 'progress within 5 s of the last write waits for the next one');
  heartbeat('message', 'next record');
  assert.equal(mine().progress?.line, '[semantic] 10/100 steps', 'written with the next message');
  assert.equal(mine().message?.line, 'next record');
});
