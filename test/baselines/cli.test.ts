/** `semantic-srn baseline` argument parsing and the config overrides it produces. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baselineConfig } from '../../lib/baselines/config';
import { overridesFromArgs, parseBaselineArgs } from '../../lib/cli/baseline_command';

describe('baseline CLI', () => {
  it('parses kind, scale and steps; --steps N goes to the named baseline', () => {
    const a = parseBaselineArgs(['tco', '--scale', 'cpu', '--steps', '300', '--seed', '3', '--probe-input', 'same-view']);
    assert.ok(a !== 'help');
    assert.equal(a.kind, 'tco');
    const cfg = baselineConfig(a.scale, overridesFromArgs(a));
    assert.equal(cfg.tco.pretrain.steps, 300);
    assert.equal(cfg.tco.probe.input, 'same-view');
    assert.equal(cfg.unet.oracle.steps, baselineConfig('cpu').unet.oracle.steps);
    const u = parseBaselineArgs(['unet-fewshot', '--steps', 'train=50', '--side', '64']);
    assert.ok(u !== 'help');
    const ucfg = baselineConfig('cpu', overridesFromArgs(u));
    assert.equal(ucfg.unet.fewShot.steps, 50);
    assert.equal(ucfg.unet.side, 64);
    assert.equal(ucfg.data.evalSide, 64);
  });

  it('rejects bad input with messages naming the flag', () => {
    assert.throws(() => parseBaselineArgs(['nope']), /expected one of tco, unet-oracle, unet-fewshot, srn-unet, srn-render-unet, compare/);
    assert.throws(() => parseBaselineArgs([]), /name a baseline/);
    assert.throws(() => parseBaselineArgs(['tco', '--steps', 'bogus=1']), /--steps: expected N or/);
    assert.throws(() => parseBaselineArgs(['tco', '--dropout', '2']), /--dropout/);
    assert.throws(() => parseBaselineArgs(['tco', '--probe-input', 'x']), /--probe-input/);
    assert.equal(parseBaselineArgs(['--help']), 'help');
  });
});
