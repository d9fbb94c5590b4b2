/**
 * What a Table 1 row carries besides its entry, read from its results files (and the evaluation a baseline summary
 * points at): per-part IoU, the present-classes shape-mIOU, its own wall time, the commit and the backend. Used by
 * scripts/publish-table1.ts and by `experiment table-1 --plan`'s time estimates.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Table1Row } from './table1';

type Json = Record<string, unknown>;

/** What a published row carries besides the Table 1 entry: read from its results file (and the evaluation it points at). */
export interface RowDetail {
  perClassIoU: Record<string, number | null>;
  /** shape-mIOU over the classes present in the split's ground truth (issue 16 item 7); null where not recorded. */
  shapeMIOUPresent: number | null;
  /**
   * The row's own wall time: a quickstart's SRN pre-training (shared by every method on that SRN) is left out, see
   * pretrainSeconds; a TCO row's own pre-training is counted; an SRN+U-Net row is its evaluation (fits and renders).
   */
  wallSeconds: number | null;
  /** SRN pre-training time inside the same run (the quickstart's SRN+linear row), else null. */
  pretrainSeconds: number | null;
  /** The commit the run ran at, from its MLflow file-store run's `mlflow.source.git.commit` tag; null when not found. */
  commit: string | null;
  /**
   * Every object's scores came from an earlier sitting's journal (SRN+U-Net's single-view pass, re-read when a run
   * stopped in its multi-view pass resumes): the file was rewritten at `commit`, but the fits and scores are older.
   */
  rescored: boolean;
  backend: string | null;
  /** The evaluation file the scores come from (a baseline summary's entry points at it; else the row's own file). */
  evaluation: string;
}

const readJson = (p: string): Json => JSON.parse(readFileSync(p, 'utf8')) as Json;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The MLflow run's git commit when the run logged to a file store that is still there. */
function trackedCommit(doc: Json): string | null {
  const t = doc.tracking as { uri?: string; runId?: string; experimentId?: string } | undefined;
  if (!t?.uri?.startsWith('file:') || !t.runId) return null;
  const store = fileURLToPath(t.uri);
  // A baseline's own results name the run but not its experiment: look for the run in every experiment folder.
  const experiments = t.experimentId ? [t.experimentId] : existsSync(store) ? readdirSync(store) : [];
  for (const e of experiments) {
    const tag = join(store, e, t.runId, 'tags', 'mlflow.source.git.commit');
    if (existsSync(tag)) return readFileSync(tag, 'utf8').trim();
  }
  return null;
}

/**
 * Where a summary's entry's evaluation is: its `resultsPath` names it where the run wrote it, but a summary restored,
 * merged or moved into another runs folder has that file beside it, in the kind's folder (`<seed>/<kind>/<file>`),
 * which wins when it exists. Undefined when neither exists.
 */
function besideSummary(summary: string, resultsPath: string): string | undefined {
  const beside = join(dirname(summary), basename(dirname(resultsPath)), basename(resultsPath));
  return existsSync(beside) ? beside : existsSync(resultsPath) ? resultsPath : undefined;
}

export function rowDetail(row: Pick<Table1Row, 'source' | 'id' | 'method' | 'protocol'>): RowDetail {
  const doc = readJson(row.source);
  // A baseline summary holds one entry per method and points at that method's evaluation.
  const entry = (Array.isArray(doc.rows) ? (doc.rows as Json[]) : []).find((e) => e.method === row.method && e.protocol === row.protocol);
  const evalPath = typeof entry?.resultsPath === 'string' ? besideSummary(row.source, entry.resultsPath) : undefined;
  const ev = evalPath ? readJson(evalPath) : entry ? {} : doc;
  const timings = (ev.timings ?? doc.timings) as Json | undefined;
  const backend = (ev.backend ?? doc.backend) as Json | string | undefined;
  const total = num(timings?.totalSeconds) ?? num(ev.totalSeconds) ?? num(doc.totalSeconds);
  // Only SRN+linear starts from a pre-training shared by other rows; TCO's own pre-training is part of its row's work.
  const pretrainSeconds = row.id === 'srn-linear' ? num(timings?.pretrainSeconds) : null;
  // SRN+U-Net's two rows come from one run on a semantic SRN shared by every seed (and Fig. 6), its total counting
  // from that run's start: a row's own work is its evaluation (the code fits and renders of its protocol).
  const srnUnet = row.id === 'srn-unet-single' || row.id === 'srn-unet-multi';
  return {
    perClassIoU: ((entry?.perClassIoU ?? ev.perClassIoU ?? {}) as Record<string, number | null>),
    shapeMIOUPresent: num(ev.shapeMIOUPresent),
    wallSeconds: srnUnet ? num(timings?.evalSeconds) : total === null ? null : total - (pretrainSeconds ?? 0),
    pretrainSeconds,
    // An entry's own evaluation names its run; the summary's run may be a later one that only reused it (a rerun of
    // unet-baselines keeps finished kinds), so its commit would be wrong for the entry.
    commit: evalPath ? trackedCommit(ev) : trackedCommit(doc),
    rescored: Array.isArray(ev.perInstance) && ev.perInstance.length > 0 && num(timings?.resumedInstances) === ev.perInstance.length,
    evaluation: evalPath ?? row.source,
    backend: typeof backend === 'string' ? backend : typeof backend?.chosen === 'string' ? String(backend.chosen) : backend?.tfBackend === 'tensorflow' ? 'node' : typeof backend?.tfBackend === 'string' ? String(backend.tfBackend) : null,
  };
}
