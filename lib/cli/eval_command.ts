/**
 * `semantic-srn eval`: evaluates a checkpoint that holds a segmentation head (e.g. the quickstart's
 * checkpoints/probe) on a test split — single-view (view 65) or multi-view (every 5th view) protocol —
 * and writes results.json with the §6 metrics and the trivial predictors.
 */
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CliCommand } from './command';

const HELP = `usage: semantic-srn eval --checkpoint DIR [options]

  --checkpoint DIR      checkpoint with a trained head (e.g. runs/<name>/checkpoints/probe)
  --data DIR            dataset root (default .cache/data)
  --split NAME          test (default) or val
  --protocol P          single (view 65, default) or multi (every 5th view)
  --head KIND           linear (default), mlp or unet
  --test-instances N    evaluate the first N instances (default: the checkpoint config's data.maxTestInstances)
  --fit-steps N         latent-fit steps per object (default: the checkpoint config)
  --fit-side N          side the code is fitted at (default: the checkpoint config's training.latentFit.side)
  --side N              evaluation side (default: the checkpoint config's inference.side)
  --majority-class N    class for the majority-part baseline (default: from the checkpoint's few-shot labels)
  --out FILE            results file (default <checkpoint>/../../results-<protocol>.json)
  --backend NAME        auto|node-gpu|node|wasm|cpu`;

export const evalCommand: CliCommand = {
  summary: 'evaluate a checkpoint (SRN + head) on a test split: mIOU, shape-mIOU, per-class IoU, PSNR',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        checkpoint: { type: 'string' }, data: { type: 'string' }, split: { type: 'string' }, protocol: { type: 'string' },
        head: { type: 'string' }, 'test-instances': { type: 'string' }, 'fit-steps': { type: 'string' }, 'fit-side': { type: 'string' }, side: { type: 'string' },
        'majority-class': { type: 'string' }, out: { type: 'string' }, backend: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    if (!values.checkpoint) {
      console.error(`semantic-srn eval: --checkpoint is required\n\n${HELP}`);
      return 2;
    }
    const int = (v: string | undefined, name: string) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: expected a non-negative integer, got '${v}'`);
      return n;
    };
    const protocol = values.protocol ?? 'single';
    if (protocol !== 'single' && protocol !== 'multi') throw new Error(`--protocol: expected single or multi, got '${protocol}'`);
    const split = values.split ?? 'test';
    if (split !== 'test' && split !== 'val') throw new Error(`--split: expected test or val, got '${split}'`);
    const head = (values.head ?? 'linear') as 'linear' | 'mlp' | 'unet';
    if (!['linear', 'mlp', 'unet'].includes(head)) throw new Error(`--head: expected linear, mlp or unet, got '${head}'`);

    const { selectBackend, describeBackend, parseBackendChoice } = await import('../backend/select');
    const { loadCheckpoint, restoreModel } = await import('../training/checkpoint');
    const { resolveConfig } = await import('../config/resolve');
    const { openSplit } = await import('../data/split');
    const { loadView, ViewCache } = await import('../data/view_loader');
    const { evaluate, formatResults } = await import('./../eval/runner');
    const { evalJournalPaths, srnPredictor } = await import('../eval/srn_predictor');
    const { rmSync } = await import('node:fs');
    const { majorityForegroundClass } = await import('../eval/trivial');
    const { stderrProgress } = await import('../training/progress');

    const backend = await selectBackend({ backend: values.backend ? parseBackendChoice(values.backend, '--backend') : undefined });
    console.error(`[eval] ${describeBackend(backend)}`);
    const ckDir = resolve(values.checkpoint);
    const ck = loadCheckpoint(ckDir);
    const fitSteps = int(values['fit-steps'], '--fit-steps');
    const fitSide = int(values['fit-side'], '--fit-side');
    const latentFit = { ...(fitSteps !== undefined ? { steps: fitSteps } : {}), ...(fitSide !== undefined ? { side: fitSide } : {}) };
    const config = resolveConfig({ training: { latentFit } }, ck.manifest.config);
    const model = restoreModel(ck);
    if (!model.heads.has(head)) throw new Error(`${ckDir}: the checkpoint has no '${head}' head (it has: ${[...model.heads.keys()].join(', ') || 'none'})`);
    const dataRoot = resolve(values.data ?? '.cache/data');
    const n = int(values['test-instances'], '--test-instances') ?? config.data.maxTestInstances ?? undefined;
    const test = openSplit(dataRoot, config.data.className, split, n ? { maxInstances: n } : {});
    // A head of another class set would be scored against the wrong labels without a word.
    const headClasses = model.head(head).numClasses;
    if (headClasses !== test.numClasses) {
      model.dispose();
      throw new Error(`${ckDir}: the checkpoint's ${head} head predicts ${headClasses} classes; ${test.splitDir} has ${test.numClasses} (background + the parts of its ${config.data.className}-level-1.txt)`);
    }

    let majority = int(values['majority-class'], '--majority-class');
    const fewShotIds = (ck.manifest.extra as { fewShot?: string[] } | undefined)?.fewShot;
    if (majority === undefined && fewShotIds?.length) {
      const train = openSplit(dataRoot, config.data.className, 'train', { instanceIds: fewShotIds });
      const views = config.data.fewShot.views ?? [0, 1, 2];
      const maps = train.instances.flatMap((_, p) => views.map((v) => loadView(train, p, v, config.training.probe.side, { skipDepth: true }).labels!));
      majority = majorityForegroundClass(maps, train.numClasses);
    }
    const side = int(values.side, '--side') ?? config.inference.side;
    const out = resolve(values.out ?? join(dirname(dirname(ckDir)), `results-${protocol}.json`));
    // Journals beside the results: a stopped evaluation (Ctrl-C, a crash) resumes at the same command.
    const journals = evalJournalPaths(out);
    const predictor = srnPredictor(config, model, { head, codeJournal: journals.codes, onProgress: stderrProgress(5000), progressStage: `eval ${protocol}` });
    const results = await evaluate({
      split: test,
      side,
      protocol,
      // One progress line for the whole split (fit + render), in object-steps, with the evaluation's ETA.
      predictor,
      journal: { path: journals.scores, fingerprint: predictor.fingerprint() },
      onJournal: ({ resumed, path, setAside }) => console.error(setAside ? `[eval ${protocol}] a journal of another configuration set aside as ${setAside}` : `[eval ${protocol}] resuming with ${resumed} object(s) scored before (${path})`),
      method: `srn+${head}`,
      majorityClass: majority,
      cache: new ViewCache(512 * 2 ** 20),
      backend: { ...backend, description: describeBackend(backend) },
      config: { checkpoint: ckDir, preset: config.preset, latentFitSteps: config.training.latentFit.steps, latentFitSide: config.training.latentFit.side },
      outPath: out,
      onProgress: (e) => console.error(`[eval ${protocol}] ${e.instance}/${e.instances} objects scored, running mIOU ${(100 * e.mIOU).toFixed(1)}%`),
    });
    rmSync(journals.codes, { force: true });
    console.log(formatResults(results));
    console.log(`results: ${out}`);
    model.dispose();
    return 0;
  },
};
