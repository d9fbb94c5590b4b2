/** The quickstart's time estimate: measured step costs per preset and backend, none (and no guess) elsewhere. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { presetConfig } from '../../lib/config/presets';
import { planLine } from '../../lib/pipeline/quickstart';
import { aboutDuration, estimateClause, estimateQuickstart, STEP_COSTS, stepCosts, type QuickstartWork } from '../../lib/pipeline/time_estimate';

/** The default quickstart (cpu chairs, shipped pre-training) on a backend. */
const quickstart = (backend: string | undefined, over: Partial<QuickstartWork> = {}): QuickstartWork => ({
  preset: 'cpu', backend, pretrainSteps: 0, probeSteps: 5000, fitSteps: 300, testObjects: 10, evalViews: 2510, ...over,
});

test('estimateQuickstart: stage seconds are steps × measured costs; the shipped pre-training costs nothing', () => {
  const c = STEP_COSTS.cpu.node!;
  const e = estimateQuickstart(quickstart('node'));
  assert.ok(!('unknown' in e));
  assert.equal(e.pretrain, 0);
  assert.equal(e.probe, c.probeSetup + 5000 * c.probeStep);
  assert.equal(e.fit, 300 * 10 * c.fitObjectStep);
  assert.equal(e.eval, 2510 * c.renderView);
  assert.equal(e.total, e.probe + e.fit + e.eval);
  // The measured default quickstart took 3 min 36 s wall on native (data 8 s included): the estimate is near it.
  assert.ok(e.total > 150 && e.total < 260, `${e.total} s`);
  const scratch = estimateQuickstart(quickstart('node', { pretrainSteps: 3000 }));
  assert.ok(!('unknown' in scratch));
  assert.equal(scratch.pretrain, 3000 * c.pretrainStep);
  assert.ok(Math.abs(scratch.total - (e.total + scratch.pretrain)) < 1e-9);
  // wasm is measured too, and slower than native at every stage.
  const w = estimateQuickstart(quickstart('wasm', { pretrainSteps: 3000 }));
  assert.ok(!('unknown' in w));
  for (const k of ['pretrain', 'probe', 'fit', 'eval'] as const) assert.ok(w[k] > scratch[k], k);
});

test('no measured costs, no estimate: unknown preset, backend or none, with the reason', () => {
  assert.deepEqual(estimateQuickstart(quickstart(undefined)), { unknown: 'backend not known' });
  assert.deepEqual(estimateQuickstart(quickstart('webgpu')), { unknown: "no step costs measured for preset 'cpu' on webgpu" });
  assert.deepEqual(estimateQuickstart(quickstart('node', { preset: 'paper' })), { unknown: "no step costs measured for preset 'paper' on node" });
  assert.deepEqual(stepCosts('tiny', 'node'), { unknown: "no step costs measured for preset 'tiny' on node" });
  assert.deepEqual(stepCosts('constructor', 'node'), { unknown: "no step costs measured for preset 'constructor' on node" }, 'no prototype keys');
  assert.equal(estimateClause(quickstart('node-gpu')), "time unknown (no step costs measured for preset 'cpu' on node-gpu)");
  for (const [preset, byBackend] of Object.entries(STEP_COSTS)) {
    for (const [backend, c] of Object.entries(byBackend)) {
      for (const k of ['pretrainStep', 'probeSetup', 'probeStep', 'fitObjectStep', 'renderView'] as const) {
        assert.ok(c && c[k] > 0 && Number.isFinite(c[k]), `${preset}/${backend} ${k}`);
      }
      assert.ok(c?.measured, `${preset}/${backend} says how it was measured`);
    }
  }
});

test('aboutDuration and estimateClause: minutes under 90, hours above, per-stage minutes for the stages that run', () => {
  assert.equal(aboutDuration(20), 'under a minute');
  assert.equal(aboutDuration(60), 'about 1 min');
  assert.equal(aboutDuration(215), 'about 4 min');
  assert.equal(aboutDuration(89 * 60), 'about 89 min');
  assert.equal(aboutDuration(3 * 3600 + 360), 'about 3.1 h');
  const clause = estimateClause(quickstart('node'));
  assert.match(clause, /^about \d+ min on node \(probe [\d.]+, fits [\d.]+, evaluation [\d.]+ min\)$/);
  assert.doesNotMatch(clause, /pre-training/, 'no pre-training to run, none listed');
  assert.match(estimateClause(quickstart('node', { pretrainSteps: 3000 })), /^about \d+ min on node \(pre-training \d+(\.\d)?, probe/);
  const long = estimateClause(quickstart('wasm', { preset: 'cpu64', pretrainSteps: 10000 }));
  assert.match(long, /^about \d+\.\d h on wasm \(pre-training \d+, probe (<0\.1|\d\.\d), fits \d+(\.\d)?, evaluation (<0\.1|\d+(\.\d)?) h\)$/, long);
});

test('planLine: the shipped pre-training counts as none to run; the estimate ends the line', () => {
  const cpu = presetConfig('cpu');
  const shipped = planLine(cpu, { resumeStep: 3000, shipped: true, testObjects: 10, testViews: 2510, backend: 'node' });
  assert.ok(shipped.endsWith(`; ${estimateClause(quickstart('node'))}`), shipped);
  const scratch = planLine(cpu, { resumeStep: 0, shipped: false, testObjects: 10, testViews: 2510, backend: 'node' });
  assert.ok(scratch.endsWith(`; ${estimateClause(quickstart('node', { pretrainSteps: 3000 }))}`), scratch);
  const resumed = planLine(cpu, { resumeStep: 2500, shipped: false, testObjects: 10, testViews: 2510, backend: 'wasm' });
  assert.ok(resumed.endsWith(`; ${estimateClause(quickstart('wasm', { pretrainSteps: 500 }))}`), resumed);
  assert.match(planLine(presetConfig('tiny'), { resumeStep: 0, shipped: false, testObjects: 1, testViews: 5, backend: 'node' }), /; time unknown \(no step costs measured for preset 'tiny' on node\)$/);
});
