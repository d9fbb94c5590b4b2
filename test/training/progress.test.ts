import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressMeter, formatDuration, formatProgress, progressInfo, stderrProgress, type ProgressInfo } from '../../lib/training/progress';

test('progressInfo: rate over the units done in this run, ETA for the rest', () => {
  // Resumed at 100 of 400: 50 units in 10 s → 5/s, 250 left → 50 s.
  const p = progressInfo('pretrain', 'steps', 150, 400, 50, 10);
  assert.equal(p.stepsPerSecond, 5);
  assert.equal(p.etaSeconds, 50);
  assert.equal(p.elapsedSeconds, 10);
  assert.equal(progressInfo('x', 'steps', 0, 10, 0, 3).etaSeconds, Infinity);
  assert.equal(progressInfo('x', 'steps', 10, 10, 10, 3).etaSeconds, 0);
});

test('ProgressMeter: the position passed to tick, not the number of ticks, drives the rate', async () => {
  const seen: ProgressInfo[] = [];
  const m = new ProgressMeter('latent-fit', 3000, 0, (p) => seen.push(p), 'object-steps');
  await new Promise((r) => setTimeout(r, 50));
  m.tick(10, 0.5); // one step of 10 objects
  const p = seen[0];
  assert.equal(p.unit, 'object-steps');
  assert.equal(p.loss, 0.5);
  assert.ok(Math.abs(p.stepsPerSecond - 10 / p.elapsedSeconds) < 1e-9, `rate ${p.stepsPerSecond} for 10 units in ${p.elapsedSeconds} s`);
  assert.ok(Math.abs(p.etaSeconds - (2990 / 10) * p.elapsedSeconds) < 1e-6);

  const resumed: ProgressInfo[] = [];
  const r = new ProgressMeter('pretrain', 1000, 900, (q) => resumed.push(q));
  await new Promise((res) => setTimeout(res, 20));
  r.tick(901);
  // One step done in this run, so 99 more take 99× as long as it did (the 900 resumed steps took no time here).
  assert.ok(Math.abs(resumed[0].etaSeconds - 99 * resumed[0].elapsedSeconds) < 1e-6);
});

test('formatProgress and formatDuration: units, percent, elapsed and ETA on one line', () => {
  assert.equal(formatDuration(59.6), '60s');
  assert.equal(formatDuration(125), '2m05s');
  assert.equal(formatDuration(3 * 3600 + 7 * 60 + 59), '3h07m');
  assert.equal(formatDuration(Infinity), '?');
  const line = formatProgress({ stage: 'latent-fit', step: 760, total: 3000, unit: 'object-steps', stepsPerSecond: 3.1, etaSeconds: 722.6, elapsedSeconds: 245, loss: 0.012345 });
  assert.equal(line, '[latent-fit] 760/3000 object-steps (25%) 3.10 object-steps/s, 4m05s elapsed, ETA 12m02s, loss 0.01235');
  assert.match(formatProgress({ stage: 's', step: 5, total: 5, unit: 'steps', stepsPerSecond: 40, etaSeconds: 0, elapsedSeconds: 1 }), /5\/5 steps \(100%\) 40 steps\/s, 1s elapsed, done$/);
});

test('stderrProgress: the first report of a stage at once, then throttled, and always the last', () => {
  const lines: string[] = [];
  const orig = process.stderr.write;
  process.stderr.write = ((s: string) => (lines.push(s), true)) as typeof process.stderr.write;
  try {
    const report = stderrProgress(60_000);
    const at = (stage: string, step: number, total = 10) => report(progressInfo(stage, 'steps', step, total, step, 1));
    at('a', 1);
    at('a', 2); // throttled
    at('a', 10); // last
    at('b', 1); // a new stage prints at once
  } finally {
    process.stderr.write = orig;
  }
  assert.deepEqual(lines.map((l) => l.split(' ').slice(0, 2).join(' ')), ['[a] 1/10', '[a] 10/10', '[b] 1/10']);
});
