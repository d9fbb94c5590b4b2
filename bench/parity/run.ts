/**
 * `npm run bench:parity -- --out DIR [options]`: our implementation beside the authors' PyTorch code
 * (apsk14/semantic_scene_representations at 3ff49be + vsitzmann/pytorch_prototyping at 10f49b1), trained on the
 * same generated data with the same config, seed policy and step count; loss/PSNR curves and step times side by
 * side as JSON + PNG. docs/parity.md has the commands, the flag mapping and the numbers measured so far.
 *
 * Their code is read from a local copy (--repo / SRN_PARITY_REPO, --prototyping / SRN_PARITY_PROTOTYPING) and
 * run with a local Python (--python / SRN_PARITY_PYTHON); nothing is downloaded. It runs from a scratch copy in
 * a temporary folder with three run-time patches (patch.ts): `.cuda()` removed (CPU), the preset's widths written
 * into models.py (identity for `paper`), and one matplotlib-compatibility fix. Their checkout is never modified.
 *
 * Options: --data ROOT (generated data: <ROOT>/<Class>/<Class>.train), --class chair|table, --preset cpu|paper|…,
 * --stage pretrain|semantic, --side 64, --batch 4, --steps N, --instances 50, --views 50, --seed 0,
 * --threads N (both sides, default 1: see docs/parity.md on spinning OpenMP threads under load),
 * --fit-steps M (default 0 = no fit), --fit-objects K (default 4), --test-data ROOT (default --data: its
 * <Class>.test split with ≥ 66 views per object): the single-view fit (view 65) from each side's trained model,
 * --probe-steps P (default 0 = no probe): the linear probe on views 0, 1, 2 of the first 10 training objects, --warmup 2 (steps left out of the timing), --only both|ours|theirs, --keep-scratch.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeBackend, selectBackend } from '../../lib/backend/select';
import { SINGLE_VIEW_INDEX } from '../../lib/config/defaults';
import { presetConfig } from '../../lib/config/presets';
import { openSplit } from '../../lib/data/split';
import type { SplitInfo } from '../../lib/data/types';
import { multiViewIndices } from '../../lib/eval/protocols';
import { lossCurvesSpec } from '../../lib/plotting/vegalite_specs';
import { saveFigure } from '../../lib/plotting/save';
import { configMapping, type FitRun, mappingMarkdown, type ParityRun, type ProbeRun, theirConstants, theirFitArgs, theirProbeArgs, theirTrainArgs } from './config_map';
import { rollingMean, type StepMetrics, summarise, theirProbeSteps, theirSteps } from './metrics';
import { fitOurs, oursConfig, probeOurs, trainOurs } from './ours';
import { checkPython, prepareTheirCode, runTheirs, stderrTail, THEIR_COMMIT, PROTOTYPING_COMMIT, theirDataView } from './theirs';

const load = () => loadavg().map((x) => Number(x.toFixed(2)));
const log = (m: string) => console.error(`[parity] ${m} (load ${loadavg()[0].toFixed(2)})`);

function intOpt(v: string | undefined, def: number, flag: string): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag}: expected a non-negative integer, got '${v}'`);
  return n;
}

function ourCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function openData(root: string, className: string, instances: number, views: number): SplitInfo {
  if (!existsSync(root)) {
    throw new Error(`--data: ${root} does not exist; generate it with\n  npm run srn -- data generate --class ${className} --split train --count ${instances} --views ${views} --resolution 64 --seed 0 --out ${root}`);
  }
  const all = openSplit(root, className, 'train', { maxInstances: instances });
  if (all.instances.length < instances) {
    throw new Error(`--data: ${all.splitDir} has ${all.instances.length} instances, --instances asks for ${instances} (generate more with --count ${instances})`);
  }
  const nViews = Math.min(...all.instances.map((i) => i.views.length));
  if (nViews < views) throw new Error(`--data: an instance of ${all.splitDir} has ${nViews} views, --views asks for ${views}`);
  // Their max_num_observations_train keeps int(linspace(0, n, views, endpoint=False)) of each instance.
  return views === nViews ? all : openSplit(root, className, 'train', { maxInstances: instances, viewIndices: multiViewIndices(nViews, views) });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' }, repo: { type: 'string' }, prototyping: { type: 'string' }, python: { type: 'string' },
      data: { type: 'string' }, class: { type: 'string' }, preset: { type: 'string' }, stage: { type: 'string' },
      side: { type: 'string' }, batch: { type: 'string' }, steps: { type: 'string' }, instances: { type: 'string' },
      views: { type: 'string' }, seed: { type: 'string' }, threads: { type: 'string' }, warmup: { type: 'string' },
      only: { type: 'string' }, 'keep-scratch': { type: 'boolean' },
      'fit-steps': { type: 'string' }, 'probe-steps': { type: 'string' }, 'fit-objects': { type: 'string' }, 'test-data': { type: 'string' },
    },
  });
  const startLoad = load();
  log(`start: load average ${startLoad.join(' ')}`);
  if (!values.out) throw new Error('--out DIR is required (where parity.json, parity-psnr.png and the logs go)');
  const out = resolve(values.out);
  const only = values.only ?? 'both';
  if (!['both', 'ours', 'theirs'].includes(only)) throw new Error(`--only: expected both, ours or theirs, got '${only}'`);
  const stage = values.stage ?? 'pretrain';
  if (stage !== 'pretrain' && stage !== 'semantic') throw new Error(`--stage: expected pretrain or semantic, got '${stage}'`);
  const className = values.class ?? 'chair';
  const seed = intOpt(values.seed, 0, '--seed');
  const threads = intOpt(values.threads, 1, '--threads');
  if (threads < 1) throw new Error('--threads: must be at least 1');
  const warmup = intOpt(values.warmup, 2, '--warmup');
  const instances = intOpt(values.instances, 50, '--instances');
  const views = intOpt(values.views, 50, '--views');
  const dataRoot = resolve(values.data ?? '.cache/parity-data');
  const info = openData(dataRoot, className, instances, views);
  const run: ParityRun = {
    stage,
    side: intOpt(values.side, 64, '--side'),
    batchSize: intOpt(values.batch, 4, '--batch'),
    steps: intOpt(values.steps, 2000, '--steps'),
    instances,
    views,
    objName: info.className,
  };
  const preset = values.preset ?? 'cpu';
  const config = oursConfig(presetConfig(preset, { seed }), run, info.numClasses);
  const mapping = configMapping(config, run); // validates before anything runs
  const fitSteps = intOpt(values['fit-steps'], 0, '--fit-steps');
  const fit: FitRun | undefined = fitSteps > 0 ? { steps: fitSteps, objects: intOpt(values['fit-objects'], 4, '--fit-objects'), view: SINGLE_VIEW_INDEX } : undefined;
  const probeSteps = intOpt(values['probe-steps'], 0, '--probe-steps');
  const probe: ProbeRun | undefined = probeSteps > 0 ? { steps: probeSteps, instances: Math.min(10, instances), views: [0, 1, 2] } : undefined;
  // The probe's views are positions in the full sorted lists, as their specific_observation_idcs.
  const probeInfo = probe ? openSplit(dataRoot, className, 'train', { maxInstances: probe.instances }) : undefined;
  if (probe) theirProbeArgs(config, run, probe, { dataRoot: '', loggingRoot: '', checkpoint: '' });
  let testInfo: SplitInfo | undefined;
  if (fit) {
    const testRoot = resolve(values['test-data'] ?? dataRoot);
    const hint = `npm run srn -- data generate --class ${className} --split test --count ${fit.objects} --views 251 --resolution 64 --seed 0 --out ${testRoot}`;
    try {
      testInfo = openSplit(testRoot, className, 'test', { maxInstances: fit.objects });
    } catch (e) {
      throw new Error(`--fit-steps needs a test split: ${e instanceof Error ? e.message : e}\ngenerate it with\n  ${hint}`);
    }
    if (testInfo.instances.length < fit.objects) throw new Error(`--test-data: ${testInfo.splitDir} has ${testInfo.instances.length} objects, --fit-objects asks for ${fit.objects}; generate with\n  ${hint}`);
    // Validated now rather than after training.
    theirFitArgs(config, run, fit, { dataRoot: '', loggingRoot: '', checkpoint: '' });
  }
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'mapping.md'), mappingMarkdown(mapping) + '\n');

  const repoPath = values.repo ?? process.env.SRN_PARITY_REPO;
  const pythonPath = values.python ?? process.env.SRN_PARITY_PYTHON;
  let theirsReady: { python: string; versions: string } | undefined;
  if (only !== 'ours') {
    theirsReady = checkPython(pythonPath);
    if (!repoPath) throw new Error(`no authors' repository given (--repo or SRN_PARITY_REPO)\n${(await import('./theirs')).HOW_TO_GET_CODE}`);
  }

  const report: Record<string, unknown> = {
    schema: 'semantic-srn/parity@1',
    date: new Date().toISOString(),
    ourCommit: ourCommit(),
    preset,
    run,
    seed,
    threads,
    data: { root: dataRoot, className: info.className, instances: info.instances.length, views },
    mapping,
    seedPolicy: 'ours: config.seed drives init (Rng.derive), the view sampler and nothing else at this stage; theirs: the launcher seeds torch, numpy and random with the same number before train.py runs (init, DataLoader shuffle). Same policy, different streams: curves agree in distribution, not step by step.',
    loadAverage: { start: startLoad } as Record<string, number[]>,
  };
  const series: { name: string; steps: StepMetrics[] }[] = [];
  const fitSeries: { name: string; steps: StepMetrics[] }[] = [];
  const probeSeries: { name: string; steps: StepMetrics[] }[] = [];

  if (only !== 'theirs') {
    const backend = await selectBackend({ nativeThreads: threads });
    log(`ours: ${describeBackend(backend)}; ${run.steps} ${stage} steps at ${run.side}², batch ${run.batchSize}`);
    (report.loadAverage as Record<string, number[]>).oursStart = load();
    const t0 = Date.now();
    const res = await trainOurs(config, run, info, (m) => {
      if (m.step === 1 || m.step % 10 === 0 || m.step === run.steps) log(`ours step ${m.step}/${run.steps} loss ${m.loss.toFixed(3)} psnr ${m.psnr.toFixed(2)} ${m.seconds.toFixed(2)} s`);
    }, fit !== undefined || probe !== undefined);
    (report.loadAverage as Record<string, number[]>).oursEnd = load();
    report.ours = { backend: describeBackend(backend), parameters: res.parameters, wallSeconds: (Date.now() - t0) / 1000, summary: summarise(res.steps, warmup), steps: res.steps };
    series.push({ name: 'ours (TF.js)', steps: res.steps });
    if (probe && probeInfo && res.model) {
      const t1 = Date.now();
      const p = await probeOurs(config, res.model, run, probe, probeInfo, (m) => {
        if (m.step === 1 || m.step % 10 === 0 || m.step === probe.steps) log(`ours probe step ${m.step}/${probe.steps} loss ${m.loss.toFixed(4)}`);
      }, join(out, 'ours', 'checkpoints', 'probe'));
      (report.loadAverage as Record<string, number[]>).oursProbeEnd = load();
      (report.ours as Record<string, unknown>).probe = { wallSeconds: (Date.now() - t1) / 1000, featureSeconds: p.featureSeconds, summary: summarise(p.steps, warmup), steps: p.steps };
      probeSeries.push({ name: 'ours (TF.js)', steps: p.steps });
    }
    if (res.model && !fit) res.model.dispose();
    if (fit && testInfo && res.model) {
      const t1 = Date.now();
      try {
        const steps = await fitOurs(config, res.model, run, fit, testInfo, (m) => {
          if (m.step === 1 || m.step % 10 === 0 || m.step === fit.steps) log(`ours fit step ${m.step}/${fit.steps} loss ${m.loss.toFixed(3)} psnr ${m.psnr.toFixed(2)}`);
        });
        (report.loadAverage as Record<string, number[]>).oursFitEnd = load();
        (report.ours as Record<string, unknown>).fit = { wallSeconds: (Date.now() - t1) / 1000, summary: summarise(steps, warmup), steps };
        fitSeries.push({ name: 'ours (TF.js)', steps });
      } finally {
        res.model.dispose();
      }
    }
  }

  if (only !== 'ours' && theirsReady && repoPath) {
    const scratch = mkdtempSync(join(tmpdir(), 'srn-parity-'));
    try {
      const code = prepareTheirCode(resolve(repoPath), values.prototyping ?? process.env.SRN_PARITY_PROTOTYPING, join(scratch, 'code'), theirConstants(config));
      log(`theirs: scratch copy ${code.dir} (${code.patches.length} patch rules applied); ${theirsReady.versions}`);
      const theirRoot = theirDataView(info, join(scratch, 'data'));
      const args = theirTrainArgs(config, run, { dataRoot: theirRoot, loggingRoot: join(out, 'theirs') });
      writeFileSync(join(out, 'theirs-command.txt'), `${theirsReady.python} -u launch_theirs.py train.py ${args.join(' ')}\n`);
      (report.loadAverage as Record<string, number[]>).theirsStart = load();
      let seen = 0;
      const res = await runTheirs({
        python: theirsReady.python, codeDir: code.dir, script: 'train.py', args, seed, threads, logDir: join(out, 'theirs'),
        onStep: (line) => {
          if (!line.startsWith('Iter ')) return;
          seen++;
          if (seen === 1 || seen % 10 === 0 || seen === run.steps) log(`theirs step ${seen}/${run.steps}: ${line.replace(/\s+/g, ' ')}`);
        },
      });
      (report.loadAverage as Record<string, number[]>).theirsEnd = load();
      if (res.exitCode !== 0) throw new Error(`their train.py exited with ${res.exitCode}; last lines of ${join(out, 'theirs', 'stderr.log')}:\n${stderrTail(join(out, 'theirs'))}`);
      const steps = theirSteps(res.lines, config.training[stage].weights.img, res.startMs);
      if (steps.length !== run.steps) throw new Error(`their train.py printed ${steps.length} step lines, expected ${run.steps} (see ${join(out, 'theirs')})`);
      // Their loop also saves at iter 0 (~0.6 GB at the paper widths, with both optimisers' moments); only the final one is used.
      const ckDir = join(out, 'theirs', 'train', 'checkpoints');
      for (const f of readdirSync(ckDir).filter((n) => /_iter_0+\.pth$/.test(n))) rmSync(join(ckDir, f));
      // update.py wants the file (torch.load), train.py takes either; their names sort by epoch then iter.
      const finalCk = readdirSync(ckDir).filter((n) => n.endsWith('.pth')).sort().pop();
      if (!finalCk) throw new Error(`their train.py wrote no checkpoint in ${ckDir}`);
      const ckFile = join(ckDir, finalCk);
      const versions = res.lines.find((l) => l.line.startsWith('PARITY '))?.line;
      report.theirs = {
        repo: code.repo, expectedCommit: THEIR_COMMIT, prototyping: code.prototyping, prototypingCommit: PROTOTYPING_COMMIT,
        python: theirsReady.versions, launcher: versions, patches: code.patches, args,
        wallSeconds: (res.endMs - res.startMs) / 1000, summary: summarise(steps, warmup), steps,
      };
      series.push({ name: 'theirs (PyTorch)', steps });
      if (probe) {
        const probeArgs = theirProbeArgs(config, run, probe, { dataRoot: theirRoot, loggingRoot: join(out, 'theirs'), checkpoint: ckFile });
        writeFileSync(join(out, 'theirs-probe-command.txt'), `${theirsReady.python} -u launch_theirs.py update.py ${probeArgs.join(' ')}\n`);
        (report.loadAverage as Record<string, number[]>).theirsProbeStart = load();
        let n = 0;
        const pr = await runTheirs({
          python: theirsReady.python, codeDir: code.dir, script: 'update.py', args: probeArgs, seed, threads, logDir: join(out, 'theirs', 'probe-log'),
          onStep: (line) => {
            if (!line.startsWith('Iter ')) return;
            n++;
            if (n === 1 || n % 10 === 0 || n === probe.steps) log(`theirs probe step ${n}/${probe.steps}: ${line.replace(/\s+/g, ' ')}`);
          },
        });
        (report.loadAverage as Record<string, number[]>).theirsProbeEnd = load();
        if (pr.exitCode !== 0) throw new Error(`their probe (update.py) exited with ${pr.exitCode}; last lines of ${join(out, 'theirs', 'probe-log', 'stderr.log')}:\n${stderrTail(join(out, 'theirs', 'probe-log'))}`);
        const probeSteps = theirProbeSteps(pr.lines, pr.startMs);
        if (probeSteps.length !== probe.steps) throw new Error(`their probe printed ${probeSteps.length} step lines, expected ${probe.steps}`);
        (report.theirs as Record<string, unknown>).probe = { args: probeArgs, wallSeconds: (pr.endMs - pr.startMs) / 1000, summary: summarise(probeSteps, warmup), steps: probeSteps };
        probeSeries.push({ name: 'theirs (PyTorch)', steps: probeSteps });
      }
      if (fit && testInfo) {
        const testRoot = theirDataView(testInfo, join(scratch, 'test-data'));
        const fitArgs = theirFitArgs(config, run, fit, { dataRoot: testRoot, loggingRoot: join(out, 'theirs'), checkpoint: ckFile });
        writeFileSync(join(out, 'theirs-fit-command.txt'), `${theirsReady.python} -u launch_theirs.py train.py ${fitArgs.join(' ')}\n`);
        (report.loadAverage as Record<string, number[]>).theirsFitStart = load();
        let n = 0;
        const fr = await runTheirs({
          python: theirsReady.python, codeDir: code.dir, script: 'train.py', args: fitArgs, seed, threads, logDir: join(out, 'theirs', 'fit-log'),
          onStep: (line) => {
            if (!line.startsWith('Iter ')) return;
            n++;
            if (n === 1 || n % 10 === 0 || n === fit.steps) log(`theirs fit step ${n}/${fit.steps}: ${line.replace(/\s+/g, ' ')}`);
          },
        });
        (report.loadAverage as Record<string, number[]>).theirsFitEnd = load();
        if (fr.exitCode !== 0) throw new Error(`their fit (train.py --overwrite_embeddings) exited with ${fr.exitCode}; last lines of ${join(out, 'theirs', 'fit-log', 'stderr.log')}:\n${stderrTail(join(out, 'theirs', 'fit-log'))}`);
        const fitSteps = theirSteps(fr.lines, config.training.latentFit.weights.img, fr.startMs);
        if (fitSteps.length !== fit.steps) throw new Error(`their fit printed ${fitSteps.length} step lines, expected ${fit.steps}`);
        (report.theirs as Record<string, unknown>).fit = { args: fitArgs, wallSeconds: (fr.endMs - fr.startMs) / 1000, summary: summarise(fitSteps, warmup), steps: fitSteps };
        fitSeries.push({ name: 'theirs (PyTorch)', steps: fitSteps });
      }
    } finally {
      if (values['keep-scratch']) log(`scratch copy kept: ${scratch}`);
      else rmSync(scratch, { recursive: true, force: true });
    }
  }

  const endLoad = load();
  (report.loadAverage as Record<string, number[]>).end = endLoad;
  writeFileSync(join(out, 'parity.json'), JSON.stringify(report, null, 2) + '\n');
  const title = `${preset} preset, ${stage}, ${run.side}², batch ${run.batchSize}, ${run.instances} objects, seed ${seed}`;
  const win = Math.max(1, Math.floor(run.steps / 50));
  const psnr = await saveFigure(lossCurvesSpec(series.map((s) => ({ name: s.name, steps: s.steps.map((m) => m.step), values: rollingMean(s.steps.map((m) => m.psnr), win) })), { title: `training PSNR (batch${win > 1 ? `, mean of ${win} steps` : ''}): ${title}`, yTitle: 'PSNR (dB)' }), join(out, 'parity-psnr'));
  const time = await saveFigure(lossCurvesSpec(series.map((s) => ({ name: s.name, steps: s.steps.slice(warmup).map((m) => m.step), values: s.steps.slice(warmup).map((m) => m.seconds) })), { title: `step time (s), load ${startLoad[0]}→${endLoad[0]}`, yTitle: 'seconds per step' }), join(out, 'parity-step-time'));
  if (probe) {
    report.probe = probe;
    const f = await saveFigure(lossCurvesSpec(probeSeries.map((s) => ({ name: s.name, steps: s.steps.map((m) => m.step), values: s.steps.map((m) => m.loss) })), { title: `linear probe: ${probe.instances} objects × views ${probe.views.join(', ')}, weighted CE`, yTitle: 'loss (8·CE)' }), join(out, 'parity-probe-loss'));
    log(`wrote ${f.png}`);
  }
  if (fit) {
    report.fit = fit;
    const f = await saveFigure(lossCurvesSpec(fitSeries.map((s) => ({ name: s.name, steps: s.steps.map((m) => m.step), values: s.steps.map((m) => m.psnr) })), { title: `single-view fit (view ${fit.view}), ${fit.objects} test objects: PSNR on the observed view`, yTitle: 'PSNR (dB)' }), join(out, 'parity-fit-psnr'));
    log(`wrote ${f.png}`);
  }
  const rows = [...series.map((s) => ({ side: s.name, ...summarise(s.steps, warmup) })), ...probeSeries.map((s) => ({ side: `${s.name} probe`, ...summarise(s.steps, warmup) })), ...fitSeries.map((s) => ({ side: `${s.name} fit`, ...summarise(s.steps, warmup) }))];
  console.table(rows);
  log(`wrote ${join(out, 'parity.json')}, ${psnr.png}, ${time.png}`);
  log(`end: load average ${endLoad.join(' ')}`);
}

main().catch((e) => {
  console.error(`[parity] ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
