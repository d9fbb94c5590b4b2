/**
 * `npx tsx bench/parity/authors_weights.ts --fixture DIR [--backend node|wasm|cpu]`: imports the authors' weights of
 * a fixture folder (bench/parity/authors_fixture.py; `--paper` there gives their constructor's full-size model with an
 * Adam state, as their checkpoints hold one) and prints, as JSON, the import's wall time and memory and our forward
 * pass, training step and test-time fit against theirs (max |ours − theirs| beside max |theirs| for each output and
 * gradient; the fit's losses step by step and its codes).
 */
import { readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeBackend, parseBackendChoice, selectBackend } from '../../lib/backend/select';
import { authorsModel } from '../../lib/training/authors_weights';
import { compareForward, compareSemantic, compareStep, fixtureNpy, fixtureSource, maxAbsDiff, ourFit } from './authors_compare';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { fixture: { type: 'string' }, backend: { type: 'string' } } });
  if (!values.fixture) throw new Error('usage: bench/parity/authors_weights.ts --fixture DIR [--backend node|wasm|cpu]');
  const dir = resolve(values.fixture);
  const backend = await selectBackend({ backend: values.backend ? parseBackendChoice(values.backend, '--backend') : undefined });
  const load = [loadavg()[0]];
  const t0 = performance.now();
  const source = fixtureSource(dir);
  const tRead = performance.now();
  const { model, config, unused } = authorsModel(source);
  const tImport = performance.now();
  const m = config.model;
  try {
    const t1 = performance.now();
    const forward = compareForward(model, dir);
    const t2 = performance.now();
    const step = compareStep(model, dir);
    // Before the fit, on the imported weights: its train-mode pass moves the U-Net head's statistics.
    const semantic = compareSemantic(model, dir);
    const t3 = performance.now();
    // Last: the fit moves the model's codes.
    const wantLosses = fixtureNpy(dir, 'fit_losses').data;
    const fitted = ourFit(model, dir, wantLosses.length);
    const theirCodes = fixtureNpy(dir, 'fit_codes').data;
    const t4 = performance.now();
    const fit = {
      steps: wantLosses.length,
      maxRelativeLossDiff: Math.max(...fitted.losses.map((l, k) => Math.abs(l - wantLosses[k]) / Math.abs(wantLosses[k]))),
      lossFirstLast: { ours: [fitted.losses[0], fitted.losses.at(-1)], theirs: [wantLosses[0], wantLosses.at(-1)] },
      codesMaxAbsDiff: maxAbsDiff(fitted.codes, theirCodes),
      codesMaxAbs: Math.max(...Array.from(theirCodes, Math.abs)),
    };
    load.push(loadavg()[0]);
    console.log(
      JSON.stringify(
        {
          schema: 'semantic-srn/authors-weights@1',
          date: new Date().toISOString(),
          fixture: dir,
          madeWith: JSON.parse(readFileSync(join(dir, 'made-with.json'), 'utf8')),
          srnFileBytes: statSync(join(dir, 'srn.pth')).size,
          backend: describeBackend(backend),
          model: { latentDim: m.latentDim, phiWidth: m.phiWidth, hyperHidden: m.hyperHidden, rendererHiddenLayers: m.rendererHiddenLayers, unet: m.unet, numClasses: m.numClasses, parameters: model.parameterCounts().total },
          unused: unused.length,
          seconds: { readIndex: (tRead - t0) / 1000, buildModel: (tImport - tRead) / 1000, forward: (t2 - t1) / 1000, step: (t3 - t2) / 1000, fit: (t4 - t3) / 1000 },
          rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
          loadAverage: load,
          forward,
          ...step,
          semantic,
          fit,
        },
        null,
        1,
      ),
    );
  } finally {
    model.dispose();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
