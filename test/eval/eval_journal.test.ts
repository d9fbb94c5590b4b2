import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { presetConfig } from '../../lib/config/presets';
import { openSplit } from '../../lib/data/split';
import { evaluate, type EvalResults, type Predictor } from '../../lib/eval/runner';
import { evalJournalPaths, srnPredictor } from '../../lib/eval/srn_predictor';
import { SrnModel } from '../../lib/srn/model';
import { Rng } from '../../lib/util/random';
import { useBackend } from '../helpers/tf';
import { makeTestSplit } from './fixture';

const root = makeTestSplit(70, 3);
after(() => rmSync(root, { recursive: true, force: true }));
const split = () => openSplit(root, 'Chair', 'test');

/** Labels and RGBA drawn per (instance, view): every instance scores differently. */
const noisy = (calls: number[], failAt = -1): Predictor => (_inst, views, ctx) => {
  if (ctx.position === failAt) throw new Error('stopped');
  calls.push(ctx.position);
  const rng = new Rng(`${ctx.position}`);
  return {
    labels: views.map(() => Int32Array.from({ length: 16 }, () => rng.int(0, 6))),
    rgba: views.map(() => Float32Array.from({ length: 64 }, () => rng.uniform(-1, 1))),
  };
};
/** What must not depend on the sittings an evaluation took. */
const scores = (r: EvalResults) => ({ mIOU: r.mIOU, shape: r.shapeMIOU, present: r.shapeMIOUPresent, perClass: r.perClassIoU, psnr: r.psnr, trivial: r.trivial, pooled: r.pooled, perInstance: r.perInstance, counts: r.counts });

test('an evaluation stopped part-way resumes from its journal to the totals of one uninterrupted run', async () => {
  const opts = { side: 4, protocol: 'single' as const, majorityClass: 2, evalViews: [0, 10, 65] };
  const full = await evaluate({ split: split(), ...opts, predictor: noisy([]) });
  const path = join(root, 'scores.partial.json');
  const journal = { path, fingerprint: { weights: 'abc', seed: 0 } };
  await assert.rejects(evaluate({ split: split(), ...opts, predictor: noisy([], 2), journal }), /stopped/);
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { records: { position: number }[] };
  assert.deepEqual(doc.records.map((r) => r.position), [0, 1], 'the two objects scored before the stop');

  const calls: number[] = [];
  const told: { resumed: number; setAside: string | null }[] = [];
  const resumed = await evaluate({ split: split(), ...opts, predictor: noisy(calls), journal, onJournal: (j) => told.push({ resumed: j.resumed, setAside: j.setAside }) });
  assert.deepEqual(calls, [2], 'only the object not in the journal is predicted');
  assert.deepEqual(told, [{ resumed: 2, setAside: null }]);
  assert.deepEqual(scores(resumed), scores(full));
  assert.equal(resumed.timings.resumedInstances, 2);
  assert.ok(resumed.timings.resumedSeconds > 0 && resumed.timings.totalSeconds >= resumed.timings.resumedSeconds);
  assert.equal(full.timings.resumedInstances, 0);
  assert.ok(!existsSync(path), 'the journal is removed once the results exist');
});

test("a journal of another fingerprint (other weights) is set aside, not used; a corrupt record's error names the file", async () => {
  const opts = { side: 4, protocol: 'single' as const, majorityClass: 2, evalViews: [0, 65] };
  const path = join(root, 'other.partial.json');
  await assert.rejects(evaluate({ split: split(), ...opts, predictor: noisy([], 1), journal: { path, fingerprint: { weights: 'old' } } }), /stopped/);
  const calls: number[] = [];
  const told: (string | null)[] = [];
  await evaluate({ split: split(), ...opts, predictor: noisy(calls), journal: { path, fingerprint: { weights: 'new' } }, onJournal: (j) => told.push(j.setAside) });
  assert.deepEqual(calls, [0, 1, 2]);
  assert.match(told[0] ?? '', /other\.partial\.json\.other-config-/);
  assert.ok(readdirSync(root).some((f) => f.startsWith('other.partial.json.other-config-')), 'kept on disk');

  await assert.rejects(evaluate({ split: split(), ...opts, predictor: noisy([], 1), journal: { path, fingerprint: 1 } }), /stopped/);
  const doc = JSON.parse(readFileSync(path, 'utf8'));
  doc.records[0].scores.intersection = [1, 2];
  writeFileSync(path, JSON.stringify(doc));
  await assert.rejects(evaluate({ split: split(), ...opts, predictor: noisy([]), journal: { path, fingerprint: 1 } }), /other\.partial\.json \(instance 0, 0+\): 'intersection' must be 6 non-negative counts/);
});

test('SRN predictor journals: a stopped evaluation refits and re-renders only what it had not finished, to the same codes and scores', async () => {
  await useBackend();
  const config = presetConfig('tiny', { training: { latentFit: { steps: 3, side: 4, objectsPerStep: 2 } }, inference: { side: 4 } });
  const model = new SrnModel(config.model, { numInstances: 2, seed: 0, heads: ['linear'] });
  const opts = { side: 4, protocol: 'single' as const, majorityClass: 2, evalViews: [0, 65] };
  let progress: { step: number; doneHere: number }[] = [];
  const run = async (journals?: { scores: string; codes: string }, stopAtStep?: number) => {
    const codes: (number[] | undefined)[] = [];
    let steps = 0;
    const ac = new AbortController();
    progress = [];
    const predictor = srnPredictor(config, model, {
      ...(journals ? { codeJournal: journals.codes } : {}),
      // rate × elapsed gives back the units the rate was measured over.
      onProgress: (p) => progress.push({ step: p.step, doneHere: Math.round(p.stepsPerSecond * p.elapsedSeconds) }),
      fit: { signal: ac.signal, onMetrics: () => ++steps === stopAtStep && ac.abort() },
      onRendered: (r) => (codes[r.position] = Array.from(r.code)),
    });
    const journal = journals ? { path: journals.scores, fingerprint: predictor.fingerprint() } : undefined;
    const results = await evaluate({ split: split(), ...opts, predictor, ...(journal ? { journal } : {}) });
    return { codes, steps, results };
  };
  const before = tf.memory().numTensors;
  const full = await run();
  assert.equal(full.steps, 6, 'objects {0, 1} together (3 steps), then {2}');

  const journals = evalJournalPaths(join(root, 'results-single.json'));
  assert.deepEqual(journals, { scores: join(root, 'results-single.partial.json'), codes: join(root, 'results-single.codes.partial.json') });
  // Stopped during the second group's fit: objects 0 and 1 are fitted, rendered and scored; 2 is not.
  await assert.rejects(run(journals, 5), /interrupted while fitting test object 3 of 3/);
  const kept = JSON.parse(readFileSync(journals.codes, 'utf8')) as { records: { position: number }[] };
  assert.deepEqual(kept.records.map((r) => r.position), [0, 1]);

  // A journal from before per-object pixel counts: its records give them back from the scores they keep.
  const old = JSON.parse(readFileSync(journals.scores, 'utf8')) as { records: { perInstance: { pixels?: unknown } }[] };
  for (const r of old.records) delete r.perInstance.pixels;
  writeFileSync(journals.scores, JSON.stringify(old));
  const resumed = await run(journals);
  assert.equal(resumed.steps, 3, "only object 2's fit");
  assert.deepEqual(resumed.results.perInstance.map((p) => p.pixels), full.results.perInstance.map((p) => p.pixels));
  assert.ok(full.results.perInstance.every((p) => p.pixels!.groundTruth.length === 6));
  // Its progress goes on at object-step 6 of 9, and its rate (hence ETA) counts only the steps fitted here.
  assert.deepEqual(progress, [1, 2, 3].map((k) => ({ step: 6 + k, doneHere: k })));
  assert.deepEqual([0, 1, 2].map((i) => resumed.codes[i]), [undefined, undefined, full.codes[2]], 'object 2 fitted to the same code, 0 and 1 not rendered again');
  assert.deepEqual(scores(resumed.results), scores(full.results));
  assert.ok(!existsSync(journals.scores));
  assert.ok(existsSync(journals.codes), "the codes' journal is the caller's to remove with its results");

  // Another head (other scores) keeps the codes, fitted from RGB alone; other SRN weights set them aside.
  model.addHead('linear', config.model.numClasses, 'other');
  const otherHead = await run(journals);
  assert.equal(otherHead.steps, 0, 'every code from the journal');
  assert.deepEqual(otherHead.codes, full.codes);
  const w = model.params.get('renderer.out.b')!.variable;
  const shifted = w.add(0.5);
  w.assign(shifted);
  shifted.dispose();
  const otherSrn = await run(journals);
  assert.equal(otherSrn.steps, 6, 'all fitted again');
  assert.ok(readdirSync(root).some((f) => f.startsWith('results-single.codes.partial.json.other-config-')));
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});
