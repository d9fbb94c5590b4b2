import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXPERIMENT_NAMES, SCALES, experimentsDir, loadExperimentConfig, withClassAndSeeds } from '../../lib/experiments';
import { sweepUnetConfig } from '../../lib/baselines/sweep_unet';
import { experimentRunDir, variantSuffix } from '../../lib/experiments/common';

const dir = mkdtempSync(join(tmpdir(), 'srn-exp-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes experiments/<name>.json into the temp folder from the shipped file with `edit` applied. */
function variant(name: string, edit: (doc: any) => void, raw?: string): string {
  const doc = JSON.parse(readFileSync(join(experimentsDir(), `${name}.json`), 'utf8'));
  edit(doc);
  writeFileSync(join(dir, `${name}.json`), raw ?? JSON.stringify(doc));
  return join(dir, `${name}.json`);
}

test('every shipped experiment config loads at every scale', () => {
  for (const name of EXPERIMENT_NAMES) {
    for (const scale of SCALES) {
      const c = loadExperimentConfig(name, scale);
      assert.equal(c.experiment, name);
      assert.equal(c.scale, scale);
      assert.ok(c.source.endsWith(`${name}.json`));
      assert.ok(c.data.train >= 1 && c.data.test >= 1);
    }
  }
  const small = loadExperimentConfig('label-count-sweep', 'small');
  assert.ok(small.points.every((p) => p.instances <= small.data.train));
  assert.equal(loadExperimentConfig('semi-supervised-probe', 'small').preset, 'tiny');
});

test('a scale names preset, data and schedule; a file entry adds its own fields and may override them', () => {
  const c64 = loadExperimentConfig('semi-supervised-probe', 'cpu64');
  assert.equal(c64.preset, 'cpu64');
  assert.deepEqual(c64.data, { className: 'chair', root: '.cache/data-128', synthetic: true, resolution: 128, train: 50, test: 10 });
  assert.deepEqual([c64.seed, c64.seeds, c64.evalViewEvery], [0, [0], 1]);
  const small = loadExperimentConfig('semi-supervised-probe', 'small');
  assert.equal((small.overrides as any).training.probe.steps, 20, "the smoke scale's overrides come from the scale");
  // An entry's own values win: the mask experiment evaluates every 5th view at cpu, deep-merged overrides keep the scale's.
  assert.equal(loadExperimentConfig('mask-reconstruction', 'cpu').evalViewEvery, 5);
  const file = variant('semi-supervised-probe', (d) => (d.scales.small.overrides = { training: { probe: { steps: 7 } } }));
  const merged = loadExperimentConfig('semi-supervised-probe', 'small', { file });
  assert.deepEqual([(merged.overrides as any).training.probe.steps, (merged.overrides as any).training.probe.side], [7, 8]);
  const t = withClassAndSeeds(c64, { className: 'Table', seeds: '2, 0,5' });
  assert.deepEqual([t.data.className, t.seeds, t.seed, c64.data.className], ['table', [2, 0, 5], 0, 'chair']);
  assert.throws(() => withClassAndSeeds(c64, { className: 'sofa' }), /--class: expected chair or table, got 'sofa'/);
  assert.throws(() => withClassAndSeeds(c64, { seeds: '0,x' }), /--seeds: expected comma-separated integers ≥ 0, got '0,x'/);
  assert.throws(() => withClassAndSeeds(c64, { seeds: '1,1' }), /--seeds: expected distinct seeds/);
});

test('--protocol multi: the probe only, in its own folder beside the single-view run of the same seed (a Table 1 row)', () => {
  const c64 = loadExperimentConfig('semi-supervised-probe', 'cpu64');
  const runs = mkdtempSync(join(tmpdir(), 'srn-protocol-'));
  after(() => rmSync(runs, { recursive: true, force: true }));
  const multi = withClassAndSeeds(c64, { protocol: 'multi', seeds: '1' });
  assert.equal(multi.protocol, 'multi');
  assert.equal(experimentRunDir(multi, { runsDir: runs }), join(runs, 'semi-supervised-probe', 'cpu64', 'chair-multi-seed1'));
  assert.equal(experimentRunDir(withClassAndSeeds(c64, { seeds: '1' }), { runsDir: runs }), join(runs, 'semi-supervised-probe', 'cpu64', 'chair-seed1'));
  assert.equal(variantSuffix(loadExperimentConfig('tco-baseline', 'cpu64')), '');
  assert.throws(() => withClassAndSeeds(c64, { protocol: 'both' }), /--protocol: expected single or multi, got 'both'/);
  assert.throws(() => withClassAndSeeds(loadExperimentConfig('tco-baseline', 'cpu64'), { protocol: 'multi' }), /--protocol: only semi-supervised-probe .*tco-baseline/);
});

test('loader errors name the file and the field', () => {
  const cases: [string, (d: any) => void, RegExp][] = [
    ['interpolation', (d) => (d.scales.cpu.pair = [3, -1]), /interpolation\.json: scales\.cpu\.pair\[1\]: expected an integer ≥ 0, got -1/],
    ['interpolation', (d) => (d.scales.cpu.pair = [3, 99]), /scales\.cpu\.pair\[1\]: expected a test position < data\.test = 10, got 99/],
    ['semi-supervised-probe', (d) => (d.scales.cpu.protocol = 'triple'), /scales\.cpu\.protocol: expected one of 'single', 'multi', got 'triple'/],
    ['semi-supervised-probe', (d) => (d.scales.cpu.protcol = 'single'), /scales\.cpu\.protcol: unknown field/],
    ['semi-supervised-probe', (d) => (d.scales.cpu.data = { train: 0 }), /scales\.cpu\.data\.train: expected an integer ≥ 1, got 0/],
    ['semi-supervised-probe', (d) => (d.scales.cpu.data = { className: 'sofa' }), /scales\.cpu\.data\.className: expected one of 'chair', 'table', got 'sofa'/],
    ['semi-supervised-probe', (d) => (d.scales.cpu.seeds = [1, 1]), /scales\.cpu\.seeds: expected distinct seeds, got an array of length 2/],
    ['semi-supervised-probe', (d) => (d.scales.cpu.preset = 'huge'), /scales\.cpu\.preset: expected one of 'paper', 'paper-released', 'cpu', 'cpu64', 'tiny', got 'huge'/],
    ['semi-supervised-probe', (d) => (d.scales.cpu.overrides = { training: { probe: { stepz: 3 } } }), /scales\.cpu\.overrides: config\.training\.probe\.stepz: unknown field/],
    ['semi-supervised-probe', (d) => (d.scales.cpu.overrides = { training: { probe: { steps: -1 } } }), /scales\.cpu\.overrides: config\.training\.probe\.steps: expected an integer/],
    ['label-count-sweep', (d) => (d.scales.cpu.points = [{ instances: 500, views: 1 }]), /scales\.cpu\.points\[0\]\.instances: expected at most data\.train = 50, got 500/],
    ['label-count-sweep', (d) => (d.scales.cpu.methods = ['srn+linear', 'tco']), /scales\.cpu\.methods\[1\]: expected one of 'srn\+linear', 'unet', got 'tco'/],
    ['label-count-sweep', (d) => (d.scales.cpu.seeds = []), /scales\.cpu\.seeds: expected an array with at least 1 element/],
    ['mask-reconstruction', (d) => (d.experiment = 'interpolation'), /mask-reconstruction\.json: experiment: expected 'mask-reconstruction' \(the file name\), got 'interpolation'/],
    ['table-1', (d) => (d.scales.cpu.runMissing = ['everything']), /scales\.cpu\.runMissing\[0\]: expected one of/],
    ['table-1', (d) => (d.scales.huge = d.scales.cpu), /scales\.huge \(scale name\): expected one of 'small', 'cpu', 'cpu64', 'paper'/],
  ];
  for (const [name, edit, re] of cases) {
    const file = variant(name, edit);
    assert.throws(() => loadExperimentConfig(name as any, 'cpu', { dir }), (e: Error) => {
      assert.match(e.message, re);
      assert.ok(e.message.startsWith(file), e.message);
      return true;
    });
  }
});

test('loader: missing file, bad JSON, missing scale, unknown names', () => {
  assert.throws(() => loadExperimentConfig('interpolation', 'cpu', { dir: join(dir, 'nowhere') }), /nowhere\/interpolation\.json: cannot read the experiment config/);
  variant('interpolation', () => {}, '{ "experiment": ');
  assert.throws(() => loadExperimentConfig('interpolation', 'cpu', { dir }), /interpolation\.json: not valid JSON/);
  variant('interpolation', (d) => delete d.scales.paper);
  assert.throws(() => loadExperimentConfig('interpolation', 'paper', { dir }), /scales\.paper: no configuration for scale 'paper' \(has small, cpu, cpu64\)/);
  assert.throws(() => loadExperimentConfig('nope' as any, 'cpu'), /experiment: expected one of semi-supervised-probe/);
  assert.throws(() => loadExperimentConfig('interpolation', 'huge' as any), /scale: expected one of small, cpu, cpu64, paper, got 'huge'/);
});

test("label-count sweep: the U-Net options resolve to a baseline config; bad ones name the field", () => {
  for (const scale of SCALES) {
    const cfg = loadExperimentConfig('label-count-sweep', scale);
    const u = sweepUnetConfig(cfg.preset, cfg.unet);
    assert.equal(u.preset, scale === 'small' ? 'tiny' : scale);
  }
  const cpu = sweepUnetConfig('cpu', loadExperimentConfig('label-count-sweep', 'cpu').unet);
  assert.equal(cpu.unet.dropout, 0.2);
  assert.equal(cpu.unet.fewShot.steps, 200);
  assert.throws(() => sweepUnetConfig('cpu', { dropout: 0.2 }), /unet\.dropout: expected 'validation' or 'fixed', got 0\.2/);
  assert.throws(() => sweepUnetConfig('cpu', { dropuot: 'fixed' }), /unet\.dropuot: unknown option \(expected preset, overrides, dropout\)/);
  assert.throws(() => sweepUnetConfig('cpu', { overrides: { unet: { dropot: 0.2 } } }), /baseline\.unet\.dropot: unknown field/);
  assert.throws(() => sweepUnetConfig('cpu', { preset: 'huge' }), /baseline preset: expected one of paper, cpu, cpu64, tiny, got 'huge'/);
});
