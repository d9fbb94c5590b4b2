import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baselineRunConfig, finishedBaseline } from '../../lib/baselines/finished_baseline';

const tmp = mkdtempSync(join(tmpdir(), 'srn-finished-baseline-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A result file as runBaseline's evalOne writes it (only the fields finishedBaseline reads, plus a score). */
function writeResult(dir: string, file: string, o: { method: string; protocol: string; seed: number; semanticSeed?: number; preset?: string }) {
  mkdirSync(dir, { recursive: true });
  const { preset, cfg } = baselineRunConfig({ preset: o.preset ?? 'tiny', seed: o.seed, overrides: { data: { className: 'Chair' } } });
  const training = o.semanticSeed === undefined ? {} : { semanticSeed: o.semanticSeed };
  writeFileSync(join(dir, file), JSON.stringify({ method: o.method, protocol: { name: o.protocol }, mIOU: 0.5, config: { baselinePreset: preset, baseline: cfg }, training, codeVersions: { reflectPadGrad: 2 } }));
}

const id = (over: Record<string, unknown> = {}) => ({ kind: 'unet-oracle' as const, preset: 'tiny', seed: 1, overrides: { data: { className: 'Chair' as const } }, out: tmp, name: 'oracle', ...over });

test('finishedBaseline: a kind whose result file records this config is finished; another seed, preset or class is not', () => {
  assert.equal(finishedBaseline(id()), undefined, 'nothing there yet');
  writeResult(join(tmp, 'oracle'), 'results.json', { method: 'unet-oracle', protocol: 'single', seed: 1 });
  assert.deepEqual(finishedBaseline(id()), { runDir: join(tmp, 'oracle'), results: { 'unet-oracle': join(tmp, 'oracle', 'results.json') } });
  assert.equal(finishedBaseline(id({ seed: 2 })), undefined, 'another seed');
  assert.equal(finishedBaseline(id({ preset: 'cpu' })), undefined, 'another preset');
  assert.equal(finishedBaseline(id({ overrides: { data: { className: 'Table' } } })), undefined, 'another class');
  assert.equal(finishedBaseline(id({ kind: 'no-such-kind' as never })), undefined, 'not a kind');
});

test('finishedBaseline: srn-unet needs both protocols, the same semantic seed, and readable files', () => {
  const dir = join(tmp, 'srn');
  const srn = id({ kind: 'srn-unet', name: 'srn', semanticSeed: 0 });
  writeResult(dir, 'results-single.json', { method: 'srn+unet', protocol: 'single', seed: 1, semanticSeed: 0 });
  assert.equal(finishedBaseline(srn), undefined, 'the multi-view file is missing (an interrupted run)');
  writeResult(dir, 'results-multi.json', { method: 'srn+unet', protocol: 'multi', seed: 1, semanticSeed: 0 });
  assert.deepEqual(Object.keys(finishedBaseline(srn)!.results), ['srn+unet', 'srn+unet (multi)']);
  assert.equal(finishedBaseline({ ...srn, semanticSeed: 3 }), undefined, 'another semantic SRN');
  writeFileSync(join(dir, 'results-multi.json'), '{"method": "srn+unet", "proto');
  assert.equal(finishedBaseline(srn), undefined, 'a torn file is not a result');
});
