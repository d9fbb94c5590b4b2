/**
 * Every finished checkpoint shipped in pretrained/ (not the `wip-*` resume points) still loads with this code: its
 * recorded model-code and data versions are today's, its schedule is done, its weights are the file PROVENANCE.md
 * names (sha256) and within the 30 MB limit. A code or generator change that would make the runs refuse a shipped
 * checkpoint fails here, not silently at a user's first run (pretrained/README.md says how to re-make one).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATOR_VERSION } from '../../lib/data/synthetic/object';
import { modelCodeCurrent, type CheckpointManifest } from '../../lib/training/checkpoint';

const DIR = join(__dirname, '..', '..', 'pretrained');
const shipped = readdirSync(DIR).filter((d) => !d.startsWith('wip-') && statSync(join(DIR, d)).isDirectory());

test('chairs at the cpu and cpu64 scales and tables at cpu64 are shipped', () => {
  for (const name of ['cpu-chair-seed0', 'cpu64-chair-seed0', 'cpu64-table-seed0']) assert.ok(shipped.includes(name), `pretrained/${name}`);
});

for (const name of shipped) {
  test(`pretrained/${name}: today's versions, schedule done, weights as PROVENANCE.md names them`, () => {
    const dir = join(DIR, name);
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as CheckpointManifest;
    assert.equal(m.stage, 'pretrain');
    assert.equal(m.weightsOnly, true);
    assert.equal(m.versions?.data, `synthetic-v${GENERATOR_VERSION}`);
    assert.ok(modelCodeCurrent(m.stage, m.versions!.modelCode), `model code v${m.versions?.modelCode} of a '${m.stage}' stage is not today's`);
    const total = m.config.training.pretrain.schedule.reduce((a, s) => a + s.steps, 0);
    assert.equal(m.step, total, 'a finished pre-training (unfinished ones are wip-*)');
    assert.match(name, new RegExp(`^${m.config.preset}-${m.config.data.className.toLowerCase()}-seed${m.config.seed}$`));
    const weights = readFileSync(join(dir, 'weights.bin'));
    assert.ok(weights.length <= 30 * 2 ** 20, `${weights.length} bytes`);
    const provenance = readFileSync(join(dir, 'PROVENANCE.md'), 'utf8');
    assert.ok(provenance.includes(`sha256 ${createHash('sha256').update(weights).digest('hex')}`), 'PROVENANCE.md names these weights');
    assert.ok(existsSync(join(dir, 'loss.png')));
    const losses = (m.extra as { pretrainLosses?: { steps: number[] } } | undefined)?.pretrainLosses;
    assert.ok(losses && losses.steps.length > 0 && losses.steps.at(-1)! <= m.step, 'its loss history travels with it');
  });
}
