// kill -9 of a real writer at each instant of a checkpoint write: the newest complete checkpoint is always
// found, nothing complete is deleted, and the next write cleans up (docs/reliability.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBackend } from '../helpers/tf';
import { findCheckpoint, restoreModel, saveCheckpoint } from '../../lib/training';

const child = join(__dirname, 'child_pretrain.ts');

function runChild(dir: string, steps: number, killAt?: string) {
  const env = { ...process.env, SRN_FAULT_KILL_AT: killAt ?? '' };
  return spawnSync(process.execPath, ['--import', 'tsx', child, dir, String(steps), '2'], { env, encoding: 'utf8', timeout: 60_000 });
}

// Each point, at the write of step 4 (the one of step 2 being complete):
// the step a restart must resume from, and what lies on disk at the kill.
const CASES: { point: string; resumes: number; onDisk: RegExp[] }[] = [
  { point: 'atomic:before-rename@3', resumes: 2, onDisk: [/^ck$/, /^\.ck\.tmp-/] }, // weights.bin of step 4 not yet renamed
  { point: 'checkpoint:weights-written@2', resumes: 2, onDisk: [/^ck$/, /^\.ck\.tmp-/] }, // no manifest in the temporary
  { point: 'checkpoint:tmp-complete@2', resumes: 4, onDisk: [/^ck$/, /^\.ck\.tmp-/] }, // complete temporary, not yet in place
  { point: 'checkpoint:old-moved@1', resumes: 4, onDisk: [/^ck\.old$/, /^\.ck\.tmp-/] }, // finding 2: between the two renames
  { point: 'checkpoint:renamed@2', resumes: 4, onDisk: [/^ck$/, /^ck\.old$/] }, // in place, .old not yet removed
];

for (const c of CASES) {
  test(`kill -9 at ${c.point}: resumes from step ${c.resumes}, the next write cleans up`, async (t) => {
    await useBackend('cpu');
    const root = mkdtempSync(join(tmpdir(), 'srn-kill-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const dir = join(root, 'ck');
    const r = runChild(dir, 6, c.point);
    assert.equal(r.signal, 'SIGKILL', `the child should die at ${c.point}: ${r.stdout}${r.stderr}`);
    const names = readdirSync(root).sort();
    for (const re of c.onDisk) assert.ok(names.some((n) => re.test(n)), `${re} among ${names.join(', ')}`);

    const ck = findCheckpoint(dir);
    assert.ok(ck, 'a checkpoint is found');
    assert.equal(ck.manifest.step, c.resumes);
    // A restart resumes there (not from step 1), finishes, and leaves only the final checkpoint.
    const again = runChild(dir, 6);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /done 6/);
    assert.deepEqual(readdirSync(root), ['ck']);
    assert.equal(findCheckpoint(dir)!.manifest.step, 6);
  });
}

test('keep-last-N keeps N checkpoints; a damaged newest one falls back to the next verified one', async (t) => {
  await useBackend('cpu');
  const root = mkdtempSync(join(tmpdir(), 'srn-keep-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'ck');
  assert.equal(runChild(dir, 2).status, 0);
  const model = restoreModel(dir);
  const cfg = findCheckpoint(dir)!.manifest.config;
  for (const step of [3, 4, 5]) saveCheckpoint(dir, { config: cfg, model, stage: 'pretrain', step, keep: 3 });
  assert.deepEqual(readdirSync(root).sort(), ['ck', 'ck.step-000000003', 'ck.step-000000004']);
  assert.equal(findCheckpoint(dir)!.manifest.step, 5);
  // The newest is damaged: the next newest verified one is used, not a fresh start.
  rmSync(join(dir, 'weights.bin'));
  assert.equal(findCheckpoint(dir)!.manifest.step, 4);
  assert.throws(() => saveCheckpoint(dir, { config: cfg, model, stage: 'pretrain', step: 6, keep: 0 }), /keep must be an integer ≥ 1/);
  saveCheckpoint(dir, { config: cfg, model, stage: 'pretrain', step: 6, keep: 2 });
  assert.deepEqual(readdirSync(root).sort(), ['ck', 'ck.step-000000004'], 'the damaged one is replaced, the older kept ones pruned to keep − 1');
  assert.equal(findCheckpoint(dir)!.manifest.step, 6);
  saveCheckpoint(dir, { config: cfg, model, stage: 'pretrain', step: 7 });
  assert.deepEqual(readdirSync(root), ['ck'], 'keep 1 (the default) leaves only the newest');
  assert.ok(!existsSync(`${dir}.old`));
  model.dispose();
});
