/**
 * Table 1 column 1 (TCO+linear) and columns 3/6 + Fig. 4's U-Net rows (2D U-Nets on ground-truth RGB,
 * SRN+U-Net) through lib/baselines' `runBaseline`, one call per baseline kind of the scale's config.
 * Their evaluation files (same schema as SRN+linear's) are summarised into this experiment's
 * results.json with a `table1` entry per Table 1 row, so Table 1 finds them at this scale.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeResultsJson } from '../eval/runner';
import { saveFigure } from '../plotting/save';
import { perClassIouSpec, type ClassIouRecord } from '../plotting/vegalite_specs';
import { resultsTable, type ColumnTable } from '../plotting/results_table';
import { backendSummary, experimentRunDir, projectRoot, replicateSeed, say, throwIfInterrupted, withExperimentRun, type ExperimentOptions, type ExperimentOutput } from './common';
import { loadBaselines } from './baselines_bridge';
import { finishedBaseline, type BaselineKind } from '../baselines/finished_baseline';
import { configFingerprint } from './finished_run';
import { PAPER_TABLE1, paperColumn, type Table1ColumnId, type Table1Entry } from '../eval/table1';
import type { CodeVersions } from '../eval/result_code';
import { scaleDefinition } from '../config/scales';
import type { ExperimentConfig } from './types';

export interface BaselineRow {
  kind: string;
  method: string;
  protocol: string;
  mIOU: number;
  shapeMIOU: number;
  psnr: number | null;
  perClassIoU: Record<string, number | null>;
  resultsPath: string;
  /** Table 1 column id (from the results file's own entry), or null for rows that are not in Table 1 (e.g. the U-Net on SRN renders). */
  column: Table1ColumnId | null;
  /** The code versions the row's numbers depend on (a trained U-Net's; lib/eval/result_code.ts). */
  codeVersions?: CodeVersions;
}

export interface BaselineExperimentResult extends ExperimentOutput {
  rows: BaselineRow[];
  table1: Table1Entry[];
}

const DEFAULT_KINDS: Record<string, string[]> = { 'tco-baseline': ['tco'], 'unet-baselines': ['unet-fewshot', 'unet-oracle'] };

export async function runBaselineExperiment(cfg: ExperimentConfig<'tco-baseline' | 'unet-baselines'>, opts: ExperimentOptions = {}): Promise<BaselineExperimentResult> {
  const t0 = performance.now();
  const b = await loadBaselines();
  const runBaseline = b.module?.runBaseline as undefined | ((o: Record<string, unknown>) => Promise<{ results: Record<string, string>; totalSeconds: number }>);
  if (!runBaseline) throw new Error(`${cfg.experiment}: ${b.reason ?? 'lib/baselines has no runBaseline'} (baselines not available)`);
  const runDir = experimentRunDir(cfg, opts);
  const bc = cfg.baseline as { preset?: string; kinds?: string[]; overrides?: Record<string, unknown> };
  const kinds = bc.kinds ?? DEFAULT_KINDS[cfg.experiment];
  const dataRoot = resolve(projectRoot(), opts.dataRoot ?? cfg.data.root);
  const rows: BaselineRow[] = [];
  // A baseline trains from scratch: the replicate seed drives all of it (init, few-shot draw, batches, dropout),
  // except SRN+U-Net's semantic SRN, which is the pre-training seed's (as SRN+linear's pre-training is).
  const seed = replicateSeed(cfg);
  const className = cfg.data.className === 'table' ? 'Table' : 'Chair';
  // The class is the experiment's (the baseline presets are chairs): set in each baseline's data overrides.
  const overrides = { ...(bc.overrides ?? {}), data: { ...((bc.overrides?.data as Record<string, unknown> | undefined) ?? {}), className } };
  // One parent run per experiment (the UI groups the baselines' own runs under it); its id is printed by the CLI.
  return withExperimentRun(cfg, opts, async (run, tracker) => {
    for (const kind of kinds) {
      throwIfInterrupted(opts, `baseline ${kind}`);
      const preset = bc.preset ?? scaleDefinition(cfg.scale).baselinePreset;
      // A kind already run here with this config (e.g. by a Table 1 run) is reused, not trained again.
      const stale = (why: string) => say(opts, `${cfg.experiment}: baseline ${kind} ran here with this config, but its results are stale and it runs again: ${why}`);
      const done = opts.rerun ? undefined : finishedBaseline({ kind: kind as BaselineKind, preset, overrides, seed, out: runDir, name: kind, semanticSeed: cfg.seed }, stale);
      if (done) say(opts, `${cfg.experiment}: baseline ${kind} already ran with this config in ${done.runDir}; its results are reused (--rerun runs it again)`);
      else say(opts, `${cfg.experiment}: baseline ${kind} (preset ${preset})`);
      const results = done?.results ?? (await runBaseline({
        kind,
        preset,
        overrides,
        seed,
        data: dataRoot,
        out: runDir,
        name: kind,
        resolution: cfg.data.resolution,
        tracker,
        parentRun: run,
        quiet: !opts.onProgress,
        // SRN+U-Net's semantic SRN: one resumable training of the pre-training seed under <runs>/semantic/,
        // shared by every replicate seed and by mask reconstruction (Fig. 6).
        stageRunsDir: resolve(opts.runsDir ?? 'runs'),
        semanticSeed: cfg.seed,
        signal: opts.signal,
      })).results;
      for (const path of Object.values(results)) {
        if (!existsSync(path)) continue;
        const r = JSON.parse(readFileSync(path, 'utf8')) as { method: string; protocol: { name: string }; mIOU: number; shapeMIOU: number; psnr: number | null; perClassIoU: Record<string, number | null>; table1?: Table1Entry; codeVersions?: CodeVersions };
        rows.push({ kind, method: r.method, protocol: r.protocol.name, mIOU: r.mIOU, shapeMIOU: r.shapeMIOU, psnr: r.psnr, perClassIoU: r.perClassIoU, resultsPath: path, column: r.table1?.id ?? null, ...(r.codeVersions ? { codeVersions: r.codeVersions } : {}) });
        say(opts, `${cfg.experiment}: ${r.method} (${r.protocol.name}) mIOU ${(100 * r.mIOU).toFixed(1)}%, shape-mIOU ${(100 * r.shapeMIOU).toFixed(1)}%`);
        const key = `${r.method}/${r.protocol.name}`.replace(/[^\w./-]/g, '_');
        run.logMetrics({ [`${key}/mIOU`]: r.mIOU, [`${key}/shape_mIOU`]: r.shapeMIOU });
      }
    }
    const table1: Table1Entry[] = rows.filter((r) => r.column !== null).map((r) => ({ id: r.column!, column: paperColumn(r.column!).column, method: r.method, protocol: r.protocol, className, mIOU: r.mIOU, shapeMIOU: r.shapeMIOU, seed, ...(r.codeVersions ? { codeVersions: r.codeVersions } : {}) }));
    const figures: Record<string, string> = {};
    const classRecords = baselineClassRecords(rows);
    if (classRecords.length) figures.perClassIou = (await saveFigure(perClassIouSpec(classRecords, { title: `Per-class IoU, ${cfg.experiment} (${cfg.scale})` }), join(runDir, 'per_class_iou'))).png;
    const resultsPath = join(runDir, 'results.json');
    const out: BaselineExperimentResult = {
      experiment: cfg.experiment,
      scale: cfg.scale,
      runDir,
      resultsPath,
      figures,
      tracking: { uri: tracker.uri, runId: run.runId, experimentId: run.experimentId },
      seconds: (performance.now() - t0) / 1000,
      rows,
      table1,
    };
    writeResultsJson(resultsPath, { schema: 'semantic-srn/baselines@1', experiment: cfg.experiment, scale: cfg.scale, seed, configSource: cfg.source, configFingerprint: configFingerprint(cfg, opts), rows, table1, backend: backendSummary(), figures, totalSeconds: out.seconds, tracking: out.tracking, createdAt: new Date().toISOString() });
    await run.logArtifact(resultsPath);
    for (const f of Object.values(figures)) await run.logArtifact(f, 'figures');
    return out;
  });
}

/** Per-class IoU records of baseline rows (multi-view rows labelled as such), for perClassIouSpec. */
export function baselineClassRecords(rows: readonly BaselineRow[]): ClassIouRecord[] {
  return rows.flatMap((r) => Object.entries(r.perClassIoU).map(([c, iou]) => ({ method: `${r.method}${r.protocol === 'multi' ? ' (multi)' : ''}`, className: c, iou: iou ?? 0 })));
}

/** Baseline rows beside the paper's Table 1 chair numbers (percent). */
export function baselineRowsTable(rows: readonly BaselineRow[]): ColumnTable {
  return resultsTable(
    rows.map((r) => {
      const paper = PAPER_TABLE1.find((p) => p.id === r.column)?.chair ?? null;
      return {
        method: r.method,
        protocol: r.protocol,
        'Table 1 col': r.column === null ? null : paperColumn(r.column).column,
        'mIOU %': 100 * r.mIOU,
        'shape-mIOU %': 100 * r.shapeMIOU,
        'paper mIOU % (chairs)': paper ? paper[0] : null,
        'paper shape-mIOU %': paper ? paper[1] : null,
      };
    }),
  );
}
