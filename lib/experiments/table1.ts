/**
 * The table-1 experiment (reference §6.1): collects the rows that exist under a runs folder (lib/eval/table1.ts),
 * runs the experiments of the missing rows at the chosen scale, and sets our numbers beside the paper's.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { writeResultsJson } from '../eval/runner';
import { writeFileAtomic } from '../util/atomic_write';
import { journalSize } from '../util/record_journal';
import { collectTable1Rows, paperColumn, pickTable1Rows, SMOKE_TEST_NOTE, TABLE1_COLUMN_IDS, table1ChartSpec, table1ClassRecords, table1DifferenceMarkdown, table1Differences, table1Markdown, table1Records, type Table1ColumnId, type Table1Difference, type Table1Record, type Table1Row } from '../eval/table1';
import { rowDetail } from '../eval/table1_detail';
import { median } from '../metrics/stats';
import { semanticTrainingsOnDisk, type SemanticOnDisk } from '../pipeline/stage_cache';
import { semanticTrainingTime } from '../pipeline/time_estimate';
import { peekGridCandidates } from '../baselines/unet_grid_journal';
import { peekNetTrainState, savedStepText } from '../baselines/net_train_checkpoint';
import { presetConfig, scheduleSteps } from '../config/presets';
import { perClassIouSpec } from '../plotting/vegalite_specs';
import { formatDuration } from '../training/progress';
import { saveFigure } from '../plotting/save';
import { resultsTable, saveTable } from '../plotting/results_table';
import { experimentOutput, experimentRunDir, experimentRunPath, say, throwIfInterrupted, withExperimentRun, type ExperimentOptions, type ExperimentOutput } from './common';
import { loadExperimentConfig } from './config_loader';
import type { ExperimentConfig, ExperimentName, Scale } from './types';

/** Which experiment makes which columns (for running missing rows). */
export const TABLE1_PRODUCERS: Partial<Record<ExperimentName, Table1ColumnId[]>> = {
  'semi-supervised-probe': ['srn-linear'],
  'tco-baseline': ['tco-linear'],
  'unet-baselines': ['unet-30shot', 'srn-unet-single', 'srn-unet-multi', 'unet-oracle'],
};

/** The baseline kind that makes each column (lib/baselines/run.ts): the baseline experiments run only the missing ones. */
const KIND_OF_COLUMN: Partial<Record<Table1ColumnId, string>> = {
  'tco-linear': 'tco',
  'unet-30shot': 'unet-fewshot',
  'unet-oracle': 'unet-oracle',
  'srn-unet-single': 'srn-unet',
  'srn-unet-multi': 'srn-unet',
};

/**
 * What a producer still has to run: its columns missing at each seed of `seeds`, seeds with the same missing columns
 * grouped (one call, replicates as usual). A seed that has some of the columns keeps them: an interrupted Table 1 that
 * finished the 30-shot U-Net of seed 0 but not its oracle reruns only the oracle there. A stale row (made before a fix
 * its numbers depend on, lib/eval/result_code.ts) is missing.
 */
export function missingGroups(
  cols: readonly Table1ColumnId[],
  rows: readonly Pick<Table1Row, 'id' | 'seed' | 'stale'>[],
  seeds: readonly number[],
): { seeds: number[]; columns: Table1ColumnId[] }[] {
  const groups = new Map<string, { seeds: number[]; columns: Table1ColumnId[] }>();
  for (const s of seeds) {
    const columns = cols.filter((c) => !rows.some((r) => r.id === c && r.seed === s && !r.stale));
    if (!columns.length) continue;
    const key = columns.join(',');
    if (!groups.has(key)) groups.set(key, { seeds: [], columns });
    groups.get(key)!.seeds.push(s);
  }
  return [...groups.values()];
}

/** The baseline kinds that make these columns, in column order. */
const kindsOf = (columns: readonly Table1ColumnId[]) => [...new Set(columns.map((c) => KIND_OF_COLUMN[c]).filter((k): k is string => k !== undefined))];

/** A baseline experiment's config narrowed to the kinds of the missing columns; undefined for other experiments. */
export function onlyMissing(cfg: ExperimentConfig, missing: readonly Table1ColumnId[]): ExperimentConfig | undefined {
  if (cfg.experiment !== 'tco-baseline' && cfg.experiment !== 'unet-baselines') return undefined;
  const b = cfg as ExperimentConfig<'tco-baseline' | 'unet-baselines'>;
  return { ...b, baseline: { ...b.baseline, kinds: kindsOf(missing) } };
}

/** One call `experiment table-1` makes: a producer, the seeds that lack the same columns, and the baseline kinds run. */
export interface Table1Step {
  experiment: ExperimentName;
  seeds: number[];
  columns: Table1ColumnId[];
  /** Baseline kinds (null for the probe, which makes its one column). */
  kinds: string[] | null;
  /** About how long it takes, from the finished rows of its columns in the same runs folder; null when none has a wall time. */
  estimate?: Table1StepEstimate | null;
  /**
   * SRN+U-Net columns only: the shared semantic SRN they train first unless finished (its hours are in no row's wall
   * time, so not in `estimate`): the trainings of this preset, class and pre-training seed on disk, and the steps
   * the preset schedules.
   */
  semantic?: { onDisk: SemanticOnDisk[]; total: number; preset: string };
  /**
   * SRN+U-Net columns only: evaluations a stopped run left journalled (lib/eval/runner.ts), which the step resumes
   * if its weights and settings are the same: test objects scored per seed and protocol.
   */
  journalled?: { seed: number; protocol: 'single' | 'multi'; scored: number }[];
  /**
   * The 30-shot U-Net column only: dropout searches a stopped run left journalled (lib/baselines/unet_grid_journal.ts),
   * which the step resumes at the next candidate if its settings are the same: candidates trained per seed.
   */
  dropoutSearch?: { seed: number; candidates: number; inProgress?: { dropout: number; step: number; total: number; stoppedEarly?: true } }[];
  /**
   * The oracle U-Net and TCO columns: trainings a stopped run left saved (lib/baselines/net_train_checkpoint.ts), which
   * the step goes on from if its settings are the same: the step reached per seed.
   */
  savedTrainings?: { seed: number; net: 'oracle U-Net' | 'TCO pre-training'; step: number; total: number; stoppedEarly?: true }[];
}

export interface Table1StepEstimate {
  /** Sum over the step's columns of the median own wall time of their finished rows. */
  secondsPerSeed: number;
  /** Finished rows it was taken from. */
  rows: number;
  /** Some column had no finished row of this class and used the other class's rows at the same scale. */
  otherClass: boolean;
}

/**
 * A step's time per seed from finished rows (their own wall time, lib/eval/table1_detail.ts): per column the median
 * over this class's rows, else over the other class's at the same scale; null when a column has neither. Machines
 * and loads differ, so it is an "about".
 */
export function estimateTable1Step(columns: readonly Table1ColumnId[], rowsOfClass: readonly Table1Row[], rowsOfScale: readonly Table1Row[]): Table1StepEstimate | null {
  let secondsPerSeed = 0;
  let rows = 0;
  let otherClass = false;
  const walls = (rs: readonly Table1Row[], id: Table1ColumnId) =>
    rs.filter((r) => r.id === id).flatMap((r) => {
      try {
        const w = rowDetail(r).wallSeconds;
        return w === null ? [] : [w];
      } catch {
        return []; // a results file that went away or does not parse gives no time
      }
    });
  for (const id of columns) {
    let w = walls(rowsOfClass, id);
    if (!w.length) {
      w = walls(rowsOfScale.filter((r) => !rowsOfClass.includes(r)), id);
      if (!w.length) return null;
      otherClass = true;
    }
    secondsPerSeed += median(w);
    rows += w.length;
  }
  return { secondsPerSeed, rows, otherClass };
}

/**
 * What table-1 runs now at its scale, class and seeds (`--plan` prints it): each producer of runMissing with its
 * missing (column, seed) cells grouped by seed, only `cfg.columns` when set. Producers make disjoint columns, so one
 * look at the runs folder plans them all.
 */
export function planTable1(cfg: ExperimentConfig<'table-1'>, runsDir: string): Table1Step[] {
  const ofScale = rowsAtScale(cfg, runsDir);
  const rows = rowsOfClass(cfg, ofScale);
  return cfg.runMissing.flatMap((experiment) => {
    const wanted = (TABLE1_PRODUCERS[experiment] ?? []).filter((c) => !cfg.columns || cfg.columns.includes(c));
    const baseline = experiment === 'tco-baseline' || experiment === 'unet-baselines';
    return missingGroups(wanted, rows, cfg.seeds).map((g) => ({
      experiment,
      ...g,
      kinds: baseline ? kindsOf(g.columns) : null,
      estimate: estimateTable1Step(g.columns, rows, ofScale),
      ...(g.columns.some((c) => c === 'srn-unet-single' || c === 'srn-unet-multi') ? { semantic: semanticNeed(cfg, runsDir), journalled: srnUnetJournals(cfg, runsDir, g.seeds) } : {}),
      ...(g.columns.includes('unet-30shot') ? { dropoutSearch: fewShotGridJournals(cfg, runsDir, g.seeds) } : {}),
      ...(g.columns.includes('unet-oracle') || g.columns.includes('tco-linear') ? { savedTrainings: savedTrainings(cfg, runsDir, g.columns, g.seeds) } : {}),
    }));
  });
}

/** The semantic SRN that SRN+U-Net trains or reuses (keyed on the pre-training seed, as in baseline_experiments.ts). */
function semanticNeed(cfg: ExperimentConfig<'table-1'>, runsDir: string): NonNullable<Table1Step['semantic']> {
  return {
    preset: cfg.preset,
    onDisk: semanticTrainingsOnDisk(resolve(runsDir), cfg.preset, table1Class(cfg), cfg.seed),
    total: scheduleSteps(presetConfig(cfg.preset, cfg.overrides).training.semantic.schedule),
  };
}

/** The folder where unet-baselines (or tco-baseline) runs Table 1's U-Net (TCO) columns of one seed. */
function baselineExperimentDir(cfg: ExperimentConfig<'table-1'>, runsDir: string, seed: number, experiment: 'unet-baselines' | 'tco-baseline' = 'unet-baselines'): string {
  const own = loadExperimentConfig(experiment, cfg.scale as Scale);
  return experimentRunPath({ ...own, seed: cfg.seed, seeds: [seed], data: { ...own.data, className: cfg.data.className } } as ExperimentConfig, { runsDir });
}

/**
 * Candidates trained in the 30-shot U-Net's dropout-search journals of these seeds (an unreadable one counts none), and
 * the candidate whose training was saved part-way (`<journal>/unet-train/p<dropout>/`).
 */
function fewShotGridJournals(cfg: ExperimentConfig<'table-1'>, runsDir: string, seeds: readonly number[]): NonNullable<Table1Step['dropoutSearch']> {
  return seeds.flatMap((seed) => {
    const dir = join(baselineExperimentDir(cfg, runsDir, seed), 'unet-fewshot', 'unet-grid', 'fewshot');
    const candidates = peekGridCandidates(join(dir, 'grid.json'))?.length ?? 0;
    const saved = existsSync(join(dir, 'unet-train')) ? readdirSync(join(dir, 'unet-train')).filter((d) => /^p[\d.]+$/.test(d)) : [];
    const inProgress = saved.flatMap((d) => {
      const s = peekNetTrainState(join(dir, 'unet-train', d, 'state.json'));
      return s ? [{ dropout: Number(d.slice(1)), step: s.step, total: s.total, ...(s.stoppedEarly ? { stoppedEarly: true as const } : {}) }] : [];
    })[0];
    return candidates || inProgress ? [{ seed, candidates, ...(inProgress ? { inProgress } : {}) }] : [];
  });
}

/** Steps the saved trainings (oracle U-Net, TCO pre-training) of these columns and seeds reached (an unreadable one counts none). */
function savedTrainings(cfg: ExperimentConfig<'table-1'>, runsDir: string, columns: readonly Table1ColumnId[], seeds: readonly number[]): NonNullable<Table1Step['savedTrainings']> {
  const where = [
    ...(columns.includes('tco-linear') ? [{ net: 'TCO pre-training' as const, file: (seed: number) => join(baselineExperimentDir(cfg, runsDir, seed, 'tco-baseline'), 'tco', 'tco-train', 'pretrain', 'state.json') }] : []),
    ...(columns.includes('unet-oracle') ? [{ net: 'oracle U-Net' as const, file: (seed: number) => join(baselineExperimentDir(cfg, runsDir, seed), 'unet-oracle', 'unet-train', 'oracle', 'state.json') }] : []),
  ];
  return where.flatMap(({ net, file }) =>
    seeds.flatMap((seed) => {
      const s = peekNetTrainState(file(seed));
      return s ? [{ seed, net, step: s.step, total: s.total, ...(s.stoppedEarly ? { stoppedEarly: true as const } : {}) }] : [];
    }),
  );
}

/** Objects scored in the SRN+U-Net evaluations' journals of these seeds (where unet-baselines runs them for Table 1). */
function srnUnetJournals(cfg: ExperimentConfig<'table-1'>, runsDir: string, seeds: readonly number[]): { seed: number; protocol: 'single' | 'multi'; scored: number }[] {
  return seeds.flatMap((seed) =>
    (['single', 'multi'] as const).flatMap((protocol) => {
      const scored = journalSize(join(baselineExperimentDir(cfg, runsDir, seed), 'srn-unet', `results-${protocol}.partial.json`));
      return scored ? [{ seed, protocol, scored }] : [];
    }),
  );
}

/** What a step's semantic SRN needs first, for --plan: reused, resumed at a step, or trained from scratch. */
function describeSemanticNeed(need: NonNullable<Table1Step['semantic']>): string {
  const n = (x: number) => x.toLocaleString('en-US');
  // Its time from the measured step cost where there is one (time_estimate.ts); the estimate above leaves it out.
  const notIn = (steps: number) => {
    const time = semanticTrainingTime(need.preset, steps);
    return time ? `${time} at the measured step cost, not in the estimate` : 'its time is not in the estimate';
  };
  const current = need.onDisk.filter((t) => !t.stale);
  const stale = need.onDisk.filter((t) => t.stale).map((t) => `${t.key} (${t.stale}) is set aside; `).join('');
  const done = current.filter((t) => t.step !== null && t.total !== null && t.step >= t.total);
  if (done.length) return `semantic SRN ${done.map((t) => t.key).join(' / ')}: finished (${n(done[0].step!)} steps), reused`;
  const started = current.filter((t) => t.step !== null);
  if (stale && !started.length) return `first the semantic SRN trains anew: ${stale}${n(need.total)} steps (${notIn(need.total)})`;
  if (started.length) {
    const left = Math.min(...started.map((t) => (t.total ?? need.total) - t.step!));
    return `first the semantic SRN resumes: ${started.map((t) => `${t.key} at step ${n(t.step!)} of ${n(t.total ?? need.total)}`).join(' / ')} (${notIn(left)})`;
  }
  return `first the semantic SRN trains: ${n(need.total)} steps, none on disk (${notIn(need.total)})`;
}

/** The rows under `runsDir` at Table 1's scale (any class and seed), one per (column, class, seed): a baseline summary and its kind's own file hold the same row. */
function rowsAtScale(cfg: ExperimentConfig<'table-1'>, runsDir: string): Table1Row[] {
  return pickTable1Rows(collectTable1Rows(resolve(runsDir)), cfg.scale).filter((r) => r.scale === cfg.scale);
}

/** The rows under `runsDir` at Table 1's scale and class (any seed), one per (column, seed). */
function rowsOfTable(cfg: ExperimentConfig<'table-1'>, runsDir: string): Table1Row[] {
  return rowsOfClass(cfg, rowsAtScale(cfg, runsDir));
}

/** Table 1's class in lower case, as row class names and stage keys spell it. */
const table1Class = (cfg: ExperimentConfig<'table-1'>) => (cfg.data.className === 'table' ? 'table' : 'chair');

const rowsOfClass = (cfg: ExperimentConfig<'table-1'>, rows: readonly Table1Row[]) => rows.filter((r) => r.className.toLowerCase() === table1Class(cfg));

/** `step` as one line: "unet-baselines, seeds 1,2: columns 3 (unet-30shot), 6 (unet-oracle) [kinds unet-fewshot, unet-oracle]". */
export function describeTable1Step(step: Table1Step): string {
  const cols = step.columns.map((c) => `${paperColumn(c).column} (${c})`).join(', ');
  const e = step.estimate;
  const time =
    e === undefined
      ? ''
      : e === null
        ? ' — time unknown (no finished row of these columns here)'
        : ` — about ${formatDuration(e.secondsPerSeed)} a seed${step.seeds.length > 1 ? `, ${formatDuration(e.secondsPerSeed * step.seeds.length)} in all` : ''} (median own wall of ${e.rows} finished row${e.rows > 1 ? 's' : ''}${e.otherClass ? ', partly of the other class' : ''} here)`;
  const semantic = step.semantic ? `; ${describeSemanticNeed(step.semantic)}` : '';
  const journals = step.journalled?.length ? `; resumes the journalled evaluations of a stopped run (if its weights and settings match): ${step.journalled.map((j) => `seed ${j.seed} ${j.protocol}-view ${j.scored} object(s) scored`).join(', ')}` : '';
  const grids = step.dropoutSearch?.length ? `; resumes the 30-shot U-Net's dropout search of a stopped run (if its settings match): ${step.dropoutSearch.map((g) => `seed ${g.seed} ${g.candidates} candidate(s) trained${g.inProgress ? ` and p=${g.inProgress.dropout} at ${savedStepText(g.inProgress)}` : ''}`).join(', ')}` : '';
  const saved = step.savedTrainings?.length ? `; goes on from the saved trainings of a stopped run (if their settings match): ${step.savedTrainings.map((o) => `${o.net} seed ${o.seed} at ${savedStepText(o)}`).join(', ')}` : '';
  return `${step.experiment}, seed${step.seeds.length > 1 ? 's' : ''} ${step.seeds.join(',')}: column${step.columns.length > 1 ? 's' : ''} ${cols}${step.kinds ? ` [kinds ${step.kinds.join(', ')}]` : ''}${time}${semantic}${journals}${grids}${saved}`;
}

export interface Table1Result extends ExperimentOutput {
  rows: Table1Row[];
  records: Table1Record[];
  /** SRN+linear minus each other column at this scale, paired by seed (table1Differences). */
  differences: Table1Difference[];
  /** Experiments run now because their rows were missing. */
  ran: ExperimentName[];
  skipped: { experiment: ExperimentName; reason: string }[];
  table: { csv: string; json: string; markdown: string };
}

/** Runs one experiment by name (the registry's `runExperiment`; passed in because the registry imports this file). */
export type ExperimentRunner = (name: ExperimentName, cfg: ExperimentConfig, opts: ExperimentOptions) => Promise<ExperimentOutput>;

/** Table 1 at one scale: runs the missing rows' experiments with `runExperiment`, then assembles (use `runTable1`). */
export async function assembleTable1(cfg: ExperimentConfig<'table-1'>, opts: ExperimentOptions, runExperiment: ExperimentRunner): Promise<Table1Result> {
  const t0 = performance.now();
  const runsDir = resolve(opts.runsDir ?? 'runs');
  const runDir = experimentRunDir(cfg, opts);
  const className = cfg.data.className === 'table' ? 'Table' : 'Chair';
  return withExperimentRun(cfg, opts, async (run, tracker) => {
    const ran: ExperimentName[] = [];
    const skipped: { experiment: ExperimentName; reason: string }[] = [];
    // A column is missing at a seed of cfg.seeds that has no current row for it (at this scale and class).
    const missing = (cols: readonly Table1ColumnId[], rows = rowsOfTable(cfg, runsDir)) => cols.filter((c) => cfg.seeds.some((s) => !rows.some((r) => r.id === c && r.seed === s && !r.stale)));
    const named = (cols: readonly Table1ColumnId[]) => cols.map((c) => `${paperColumn(c).column} (${c})`).join(', ');
    const dropped = new Set<ExperimentName>();
    for (const step of planTable1(cfg, runsDir)) {
      const name = step.experiment;
      if (dropped.has(name)) continue;
      const own = loadExperimentConfig(name, cfg.scale as Scale);
      // The producer runs at Table 1's class and pre-training seed, for these seeds and only their missing columns.
      const base = { ...own, seed: cfg.seed, seeds: step.seeds, data: { ...own.data, className: cfg.data.className } } as ExperimentConfig;
      const runCfg = onlyMissing(base, step.columns) ?? base;
      throwIfInterrupted(opts, `${name} (seeds ${step.seeds.join(',')})`);
      const stale = rowsOfTable(cfg, runsDir).filter((r) => r.stale && step.columns.includes(r.id) && step.seeds.includes(r.seed));
      if (stale.length) say(opts, `table-1: stale row(s), run again: ${stale.map((r) => `column ${r.column} seed ${r.seed} (${r.stale})`).join('; ')}`);
      say(opts, `table-1: no current row for column(s) ${named(step.columns)} at scale ${cfg.scale}, seed(s) ${step.seeds.join(',')}: running ${name}${runCfg === base ? '' : ` (${step.columns.length} of its columns)`}`);
      try {
        await runExperiment(name, runCfg, { ...opts, parentRun: run });
        if (!ran.includes(name)) ran.push(name);
      } catch (e) {
        const msg = (e as Error).message;
        if (!/not available|baselines/i.test(msg)) throw e;
        skipped.push({ experiment: name, reason: msg });
        say(opts, `table-1: skipped ${name}: ${msg}`);
        dropped.add(name);
      }
    }
    const rows = pickTable1Rows(collectTable1Rows(runsDir), cfg.scale).filter((r) => r.scale !== cfg.scale || cfg.seeds.includes(r.seed));
    const empty = missing(cfg.columns ?? TABLE1_COLUMN_IDS);
    if (empty.length) say(opts, `table-1: still no current row for column(s) ${named(empty)} at scale ${cfg.scale} for every seed of ${cfg.seeds.join(',')} (no experiment in runMissing made one)`);
    const records = table1Records(rows, [className]);
    const table = saveTable(resultsTable(records.map((r) => ({ ...r, source: r.source ? r.source.split(';').map((f) => relative(runsDir, f)).join(';') : null }))), join(runDir, 'table1'));
    const smoke = cfg.scale === 'small' ? ` — ${SMOKE_TEST_NOTE}` : '';
    const fig = await saveFigure(table1ChartSpec(records, `Table 1: ours (${cfg.scale}, ${className.toLowerCase()}s, seeds ${cfg.seeds.join(',')}) vs paper${smoke}`), join(runDir, 'table1_chart'));
    const figures: Record<string, string> = { chart: fig.png };
    const differences = table1Differences(rows.filter((r) => r.scale === cfg.scale), [className]);
    const markdown = join(runDir, 'table1.md');
    const paired = table1DifferenceMarkdown(differences);
    writeFileAtomic(markdown, [table1Markdown(records), ...(paired.length ? ['SRN+linear minus each column, paired by seed (mean ± 95% CI of the per-seed differences, in points):', '', ...paired] : [])].join('\n'));
    // One per-class chart across every method with a row (SRN+linear, TCO+linear, the U-Nets).
    const classRecords = table1ClassRecords(rows);
    const classFig = classRecords.length
      ? await saveFigure(perClassIouSpec(classRecords, { title: `Per-class IoU by method (${cfg.scale}${smoke})` }), join(runDir, 'per_class_iou'))
      : undefined;
    if (classFig) figures.perClassIou = classFig.png;
    const out: Table1Result = {
      ...experimentOutput(cfg, runDir, figures, tracker, run, t0),
      rows,
      records,
      differences,
      ran,
      skipped,
      table: { ...table, markdown },
    };
    const resultsPath = out.resultsPath;
    // No `table1` field here: this file must not be collected as a row itself.
    writeResultsJson(resultsPath, { schema: 'semantic-srn/table-1@1', experiment: cfg.experiment, scale: cfg.scale, className, pretrainSeed: cfg.seed, seeds: cfg.seeds, records, differences, rows, ran, skipped, emptyColumns: empty, totalSeconds: out.seconds, createdAt: new Date().toISOString() });
    for (const r of records) if (r['ours mIOU %'] !== null) run.logMetrics({ [`col${r.column}/mIOU`]: r['ours mIOU %']!, [`col${r.column}/shapeMIOU`]: r['ours shape-mIOU %'] ?? NaN });
    for (const d of differences) if (d.mIOU) run.logMetrics({ [`col2_minus_col${d.column}/mIOU`]: d.mIOU.mean, ...(d.mIOU.ci95 === null ? {} : { [`col2_minus_col${d.column}/mIOU_ci95`]: d.mIOU.ci95 }) });
    await run.logArtifact(resultsPath);
    await run.logArtifact(table.csv);
    await run.logArtifact(markdown);
    for (const f of [...Object.values(fig), ...Object.values(classFig ?? {})]) await run.logArtifact(f, 'figures');
    return out;
  });
}
