/** bench/iou_vs_steps picks one checkpoint per step; the kept copy wins over the live folder at the same step. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keptCheckpoints } from '../../bench/iou_vs_steps';

function checkpoint(root: string, name: string, step: number | null): void {
  const dir = join(root, 'checkpoints', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'manifest.json'), step === null ? '{"step": ' : JSON.stringify({ step }));
}

test('one point per step, the kept pretrain.step-N before the live pretrain folder, torn ones skipped', () => {
  const run = mkdtempSync(join(tmpdir(), 'iou-steps-'));
  checkpoint(run, 'pretrain', 6000); // copied back to resume: same step as the kept copy
  checkpoint(run, 'pretrain.step-000006000', 6000);
  checkpoint(run, 'pretrain.step-000002000', 2000);
  checkpoint(run, 'pretrain.step-000004000', null); // torn manifest
  checkpoint(run, 'other', 9000); // not a pre-training folder
  const got = keptCheckpoints(run).map((c) => [c.step, c.dir.split('/').at(-1)]);
  assert.deepEqual(got, [
    [2000, 'pretrain.step-000002000'],
    [6000, 'pretrain.step-000006000'],
  ]);
});

test('the live folder is a point when it is ahead of every kept step', () => {
  const run = mkdtempSync(join(tmpdir(), 'iou-steps-'));
  checkpoint(run, 'pretrain.step-000002000', 2000);
  checkpoint(run, 'pretrain', 2500);
  assert.deepEqual(keptCheckpoints(run).map((c) => c.step), [2000, 2500]);
});

test('a run folder without checkpoints is an error naming the folder', () => {
  const run = mkdtempSync(join(tmpdir(), 'iou-steps-'));
  assert.throws(() => keptCheckpoints(run), /checkpoints: no checkpoints folder/);
});
