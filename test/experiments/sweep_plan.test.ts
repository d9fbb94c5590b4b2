/** `experiment label-count-sweep --plan` (lib/experiments/sweep_state.ts): what is done, what is left, how long. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SweepRecord } from '../../lib/experiments/label_count_sweep';
import { planSweep } from '../../lib/experiments/sweep_state';
import { main } from '../../lib/cli/main';

const points = [{ instances: 1, views: 1 }, { instances: 2, views: 2 }];
const seeds = [0, 1, 2];
const methods = ['srn+linear', 'unet'];
const fingerprint = { points, seeds };
const rec = (method: string, p: { instances: number; views: number }, seed: number, probeSeconds: number): SweepRecord => ({
  method, numLabels: p.instances * p.views, seed, miou: 0.5, shapeMIOU: 0.4, instances: p.instances, views: p.views, probeSeconds, dropout: method === 'unet' ? 0.2 : null,
  ...(method === 'unet' ? { codeVersions: { reflectPadGrad: 2 } } : {}),
});

function folder(files: Record<string, unknown> = {}): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'sweep-plan-')), 'label-count-sweep', 'small', 'chair');
  mkdirSync(dir, { recursive: true });
  for (const [f, doc] of Object.entries(files)) writeFileSync(join(dir, f), typeof doc === 'string' ? doc : JSON.stringify(doc));
  return dir;
}

test('nothing run yet: every record left, no time to go by', () => {
  assert.deepEqual(planSweep(folder(), methods, points, seeds), [
    'nothing done yet: 12 records',
    '  srn+linear: 6 record(s) left (time unknown: none finished here)',
    '  unet: 6 record(s) left (time unknown: none finished here)',
    '  first the test codes are fitted (single view) and their features rendered, while SRN+linear records are left (not in the estimate)',
  ]);
});

test('test codes fitted before (their journal) are named in the plan', () => {
  const dir = folder({ 'test-codes.partial.json': { fingerprint: {}, records: [{ position: 0 }, { position: 1 }] } });
  assert.equal(planSweep(dir, methods, points, seeds).at(-1), '  first the test codes are fitted (single view) and their features rendered, while SRN+linear records are left (not in the estimate); 2 test code(s) fitted before are in its journal (used if the pre-training and fit are the same)');
});

test("a journal: the records left per method and point, timed by that point's finished records, else a smaller point's (a lower bound)", () => {
  const journal = { fingerprint, records: [rec('srn+linear', points[0], 0, 10), rec('srn+linear', points[0], 1, 30), rec('srn+linear', points[0], 2, 20), rec('srn+linear', points[1], 0, 20), rec('srn+linear', points[1], 1, 20), rec('srn+linear', points[1], 2, 20), rec('unet', points[0], 0, 600)] };
  const dir = folder({ 'records.partial.json': journal });
  assert.deepEqual(planSweep(dir, methods, points, seeds), [
    `7 of 12 records done (${join(dir, 'records.partial.json')}); the rest resume where the journal stopped, if its pre-training is the same`,
    '  unet: 5 record(s) left, at least 50m00s in all',
    '    1 image(s): 2 left, about 10m00s each (median of 1 there)',
    '    4 image(s): 3 left, at least 10m00s each (none there yet: timed as 1 image(s), a lower bound)',
  ]);
  // Once the larger point has a record of its own, it is timed by it.
  journal.records.push(rec('unet', points[1], 0, 1800), rec('unet', points[0], 1, 600), rec('unet', points[0], 2, 600));
  writeFileSync(join(dir, 'records.partial.json'), JSON.stringify(journal));
  assert.deepEqual(planSweep(dir, methods, points, seeds).slice(1), ['  unet: 2 record(s) left, about 1h00m in all', '    4 image(s): 2 left, about 30m00s each (median of 1 there)']);
});

test('a finished sweep of this configuration is reused; one of other seeds, or a damaged journal, is not', () => {
  const all = methods.flatMap((m) => points.flatMap((p) => seeds.map((s) => rec(m, p, s, 5))));
  assert.match(planSweep(folder({ 'results.json': { recordsFingerprint: fingerprint, records: all } }), methods, points, seeds)[0], /^finished \(.*results\.json\): all 12 records; the same command reuses them/);
  assert.match(planSweep(folder({ 'records.partial.json': { fingerprint: { points, seeds: [0] }, records: [] } }), methods, points, seeds)[0], /holds a sweep of other points or seeds: this one starts afresh \(12 records\); that journal is set aside, not deleted/);
  assert.match(planSweep(folder({ 'records.partial.json': '{oops' }), methods, points, seeds)[0], /records\.partial\.json: not JSON .*: the sweep will start afresh/);
});

test('the CLI prints the plan and runs nothing', async () => {
  const runs = mkdtempSync(join(tmpdir(), 'sweep-plan-cli-'));
  const out: string[] = [];
  const log = console.log;
  console.log = (m: string) => out.push(m);
  try {
    assert.equal(await main(['experiment', 'label-count-sweep', '--scale', 'small', '--out', runs, '--plan']), 0);
  } finally {
    console.log = log;
  }
  assert.match(out.join('\n'), /^label-count-sweep \(scale small, chairs, seeds 0,1, methods srn\+linear, unet, runs folder .*\):\n {2}nothing done yet: 8 records\n/);
  assert.ok(!existsSync(join(runs, 'label-count-sweep')) || readdirSync(join(runs, 'label-count-sweep')).length === 0, '--plan writes nothing');
});
