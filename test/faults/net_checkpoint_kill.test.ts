// kill -9 of a U-Net training at each instant of its save: the last complete state is read back, and the rerun ends
// as a training never stopped (docs/reliability.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const child = join(__dirname, 'child_unet.ts');

function runChild(dir: string, steps: number, killAt?: string) {
  const env = { ...process.env, SRN_FAULT_KILL_AT: killAt ?? '' };
  return spawnSync(process.execPath, ['--import', 'tsx', child, dir, String(steps)], { env, encoding: 'utf8', timeout: 60_000 });
}

// Each point at the save of step 3 (that of step 2 complete): the step state.json names at the kill.
const CASES: { point: string; saved: number }[] = [
  { point: 'atomic:before-rename@5', saved: 2 }, // the 5th atomic write (state-2.bin of step 3) not yet renamed
  { point: 'net-checkpoint:weights-written@3', saved: 2 }, // state-2.bin in place, state.json still names state-1.bin
  { point: 'atomic:before-rename@6', saved: 2 }, // state.json of step 3 written, not yet renamed
];

test('kill -9 inside a U-Net training save: the last complete state resumes and the training ends as one never stopped', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'srn-unet-kill-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const whole = runChild(join(root, 'whole'), 5);
  assert.equal(whole.status, 0, whole.stderr);
  assert.match(whole.stdout, /^done 5 /);
  for (const c of CASES) {
    const dir = join(root, c.point.replace(/[:@]/g, '-'));
    const r = runChild(dir, 5, c.point);
    assert.equal(r.signal, 'SIGKILL', `the child should die at ${c.point}: ${r.stdout}${r.stderr}`);
    const doc = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    assert.equal(doc.step, c.saved, c.point);
    assert.ok(existsSync(join(dir, doc.file)), `${c.point}: the weights state.json names are there`);
    const again = runChild(dir, 5);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stdout, whole.stdout, `${c.point}: the same validations and weights as the run never stopped`);
  }
});
