/**
 * What a runs folder holds, read without running or changing anything: the processes working in it now, the
 * trainings (checkpoint step against the schedule), the journals of work that stopped part-way (the command that
 * wrote them resumes them) and the finished results. `semantic-srn status` prints it; a notebook can call it.
 *
 * Liveness comes from the lease files processes keep while they work — `training.lock` beside a checkpoint and
 * `tracking-run.json` in an experiment's folder — read by their own readers and judged by the rule their takers use
 * (`holderState`, lib/util/lease.ts: a pid is checked on the machine that wrote it); a lease left by a process that
 * is gone means that work stopped (killed, or the session ended) and resumes from its checkpoint or journal.
 */
import { existsSync, readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { scheduleSteps } from '../config/presets';
import { modelCodeStale } from '../training/checkpoint';
import { readLease } from '../tracking/lifecycle';
import { isCheckpointSibling } from '../training/checkpoint_names';
import { peekGridCandidates } from '../baselines/unet_grid_journal';
import { peekNetTrainState, savedStepText, trainingFinished } from '../baselines/net_train_checkpoint';
import { readHeartbeats, type Heartbeat } from '../util/heartbeat';
import { holderState, readHolder } from '../util/lease';
import { journalSize } from '../util/record_journal';
import { staleResultReasons } from '../eval/result_code';
import { planSweep, readSweep } from './sweep_state';

export interface TrainingStatus {
  /** The training's folder, relative to the runs folder (e.g. `semantic/cpu64-table-s0-d925…`). */
  path: string;
  stage: string;
  /** The step of its newest checkpoint; null when it holds none yet (or the manifest cannot be read). */
  step: number | null;
  /** The schedule's steps, for the stages that have one (pretrain, semantic). */
  total: number | null;
  savedAt: string | null;
  finished: boolean;
  /** Why it is stale (model code of another version): the next run sets it aside and trains anew. */
  stale?: string;
}

export interface LeaseStatus {
  /** The lease file, relative to the runs folder. */
  path: string;
  kind: 'training' | 'tracking';
  pid: number;
  /** The machine it names (training leases, and tracking leases since 2026-12-06; older ones are taken to be this one's). */
  host: string | null;
  startedAt: string | null;
  /** The command line and the folder it ran in, where the lease records them (leases written since 2026-12-06 do). */
  command: string | null;
  cwd: string | null;
  /** Its process runs on this machine now. */
  alive: boolean;
}

export interface JournalStatus {
  path: string;
  records: number;
  /** What `records` counts (default 'record'; a saved training counts its steps). */
  unit?: string;
  updatedAt: string;
  /** A label-count sweep's journal: what is left of it and about how long that takes (`planSweep`). */
  plan?: string[];
}

export interface ResultStatus {
  path: string;
  /** Top-level scores of an evaluation's results.json (null for experiments that aggregate, e.g. Table 1). */
  mIOU: number | null;
  shapeMIOU: number | null;
  createdAt: string | null;
  /** Why its numbers are stale (U-Net results made before a fix, lib/eval/result_code.ts): the experiments rerun them. */
  stale?: string;
}

export interface RunsStatus {
  runsDir: string;
  checkedAt: string;
  leases: LeaseStatus[];
  /** The newest progress line and message of each CLI run (`<runs>/.progress/<pid>.json`, lib/util/heartbeat). */
  heartbeats: Heartbeat[];
  trainings: TrainingStatus[];
  journals: JournalStatus[];
  results: ResultStatus[];
}

/** Folders never worth walking: the MLflow store, figures and the checkpoints' own siblings. */
const SKIP = new Set(['mlruns', 'renders', 'node_modules', '.git']);
const MAX_DEPTH = 6;

/** Reads `runsDir` (see the module comment); throws only when the folder itself is missing. */
export function runsStatus(runsDir: string, now = new Date()): RunsStatus {
  const root = resolve(runsDir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new Error(`${root}: no such runs folder (pass the folder the experiments wrote to, e.g. --runs runs)`);
  const out: RunsStatus = { runsDir: root, checkedAt: now.toISOString(), leases: [], heartbeats: readHeartbeats(root), trainings: [], journals: [], results: [] };
  const rel = (p: string) => relative(root, p);
  walkRuns(root, {
    enter: (p, name, dir) => {
      const t = existsSync(join(p, 'manifest.json')) ? trainingAt(p) : undefined;
      // A stage's checkpoint lives in `<stage dir>/checkpoint`: name the stage; others (checkpoints/probe) by their own.
      if (t) out.trainings.push({ ...t, path: rel(name === 'checkpoint' ? dir : p) });
      return !t;
    },
    file: (p, e, dir) => {
      if (e.name === 'training.lock' || e.name === 'tracking-run.json') {
        const l = leaseAt(p, e.name === 'training.lock' ? 'training' : 'tracking');
        if (l) out.leases.push({ ...l, command: l.command ?? (l.alive ? commandOf(l.pid) : null), path: rel(p) });
      } else if (e.name.endsWith('.partial.json')) {
        const plan = e.name === 'records.partial.json' ? sweepPlan(dir) : undefined;
        out.journals.push({ path: rel(p), records: journalSize(p), updatedAt: statSync(p).mtime.toISOString(), ...(plan ? { plan } : {}) });
      } else if (e.name === 'grid.json' && basename(dirname(dir)) === 'unet-grid') {
        const g = gridAt(p);
        if (g) out.journals.push({ path: rel(p), records: g.length, updatedAt: statSync(p).mtime.toISOString(), plan: [`  a U-Net's dropout search part-way: ${g.join(', ')} done; the rerun trains the rest of the grid`] });
      } else if (e.name === 'state.json' && /^(unet|tco)-train$/.test(basename(dirname(dir)))) {
        const u = peekNetTrainState(p);
        if (u) out.journals.push({ path: rel(p), records: u.step, unit: 'step', updatedAt: statSync(p).mtime.toISOString(), plan: [`  ${basename(dirname(dir)) === 'tco-train' ? "TCO's pre-training" : "a U-Net's training"} ${trainingFinished(u) ? 'saved' : 'part-way'}: ${savedStepText(u)}${u.best ? ` (best val ${(100 * u.best.miou).toFixed(1)}% at step ${u.best.step.toLocaleString('en')})` : ''}, ${u.seconds.toFixed(0)} s trained; the rerun ${trainingFinished(u) ? 'scores it without training' : 'goes on from it'}`] });
      } else if (/^results.*\.json$/.test(e.name)) {
        out.results.push({ path: rel(p), ...scoresAt(p) });
      }
    },
  });
  return out;
}

/**
 * Visits the files under `root` in name order, to MAX_DEPTH, past the folders never worth walking, hidden folders
 * (`.progress`) and a checkpoint's kept and temporary siblings (not trainings of their own); `enter` false keeps a
 * folder's contents out. An unreadable folder, or one removed while walking, has nothing to report.
 */
function walkRuns(root: string, visit: { enter?: (path: string, name: string, parent: string) => boolean; file: (path: string, entry: Dirent, dir: string) => void }): void {
  const walk = (dir: string, depth: number) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (SKIP.has(e.name) || e.name.startsWith('.') || isCheckpointSibling(e.name)) continue;
        if ((visit.enter?.(p, e.name, dir) ?? true) && depth < MAX_DEPTH) walk(p, depth + 1);
      } else if (e.isFile()) visit.file(p, e, dir);
    }
  };
  walk(root, 0);
}

/** The finished candidates of a 30-shot U-Net's or sweep record's dropout search (lib/baselines/unet_grid_journal.ts), as `p=0.1 (val 61.2%)`. */
function gridAt(file: string): string[] | undefined {
  return peekGridCandidates(file)?.map((c) => `p=${c.dropout}${c.bestValMIOU !== null ? ` (val ${(100 * c.bestValMIOU).toFixed(1)}%)` : ''}`);
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The checkpoint in `dir` from its manifest alone (the weights are verified when a run loads them). */
function trainingAt(dir: string): Omit<TrainingStatus, 'path'> | undefined {
  const m = readJson(join(dir, 'manifest.json'));
  if (!m || typeof m.format !== 'string' || !m.format.startsWith('semantic-srn-checkpoint')) return undefined;
  const stage = typeof m.stage === 'string' ? m.stage : 'unknown';
  const step = typeof m.step === 'number' ? m.step : null;
  const training = (m.config as { training?: Record<string, { schedule?: { steps: number }[] }> } | undefined)?.training;
  const schedule = (stage === 'pretrain' || stage === 'semantic') && Array.isArray(training?.[stage]?.schedule) ? training[stage].schedule : undefined;
  const total = schedule ? scheduleSteps(schedule) : null;
  const v = (m.versions as { modelCode?: unknown } | undefined)?.modelCode;
  const stale = typeof v === 'number' ? modelCodeStale(stage, v) : undefined;
  return { stage, step, total, savedAt: typeof m.savedAt === 'string' ? m.savedAt : null, finished: total !== null && step !== null && step >= total, ...(stale ? { stale } : {}) };
}

function leaseAt(file: string, kind: LeaseStatus['kind']): Omit<LeaseStatus, 'path'> | undefined {
  const l = kind === 'training' ? readHolder(file) : readLease(file);
  if (!l || !Number.isInteger(l.pid) || l.pid <= 0) return undefined;
  return {
    kind,
    pid: l.pid,
    host: l.host ?? null,
    startedAt: l.startedAt || null,
    command: l.command ?? null,
    cwd: l.cwd ?? null,
    alive: holderState(l) === 'running',
  };
}

/**
 * What is left of the sweep whose journal is in `dir`, over the methods its records name (the journal does not keep
 * the method list); undefined when it is not a readable sweep journal (status reads, never fails on a folder).
 */
function sweepPlan(dir: string): string[] | undefined {
  try {
    const src = readSweep(dir);
    if (src.state !== 'partial') return undefined;
    return planSweep(dir, [...new Set(src.records.map((r) => r.method))], src.points, src.seeds).map((l) => l.replace(/ \([^)]*records\.partial\.json\)/, ''));
  } catch {
    return undefined;
  }
}

/**
 * Another live process on this machine running `me` (`leaseCommand()`: the same command line in the same folder) with
 * a tracking lease under `dir`, or undefined. Two runs of one command would train the same records side by side (each
 * journal written by both), so the experiment command refuses the second. Where /proc can be read, the process must
 * still run that command (a pid reused since is not a twin).
 */
export function sameCommandRunning(dir: string, me: { command: string; cwd: string }, pid = process.pid): LeaseStatus | undefined {
  if (!existsSync(dir)) return undefined;
  const found: LeaseStatus[] = [];
  walkRuns(resolve(dir), {
    file: (p, e) => {
      if (e.name !== 'tracking-run.json') return;
      const l = leaseAt(p, 'tracking');
      if (l?.alive && l.pid !== pid && l.command === me.command && l.cwd === me.cwd) found.push({ ...l, path: p });
    },
  });
  return found.find((l) => {
    const now = commandOf(l.pid);
    return now === null || now.includes(l.command!);
  });
}

/** A live process's command line from /proc (Linux; null elsewhere or when it cannot be read). */
function commandOf(pid: number): string | null {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return argv.length ? argv.join(' ') : null;
  } catch {
    return null;
  }
}

function scoresAt(file: string): Omit<ResultStatus, 'path'> {
  const d = readJson(file);
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  // Stale: a U-Net Table 1 entry, a U-Net kind's own file, a mask's U-Net head or a sweep's U-Net records, made before a fix.
  const why = staleResultReasons(d, basename(dirname(file)));
  return { mIOU: num(d?.mIOU), shapeMIOU: num(d?.shapeMIOU), createdAt: typeof d?.createdAt === 'string' ? d.createdAt : null, ...(why.length ? { stale: why.join('; ') } : {}) };
}

/** Minutes or hours since `iso`, for the printout. */
function ago(iso: string | null, now: Date): string {
  if (!iso) return 'at an unknown time';
  const s = Math.max(0, (now.getTime() - Date.parse(iso)) / 1000);
  return s < 90 ? `${Math.round(s)} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : `${(s / 3600).toFixed(1)} h ago`;
}

/** The printout of `semantic-srn status`; `all` lists every finished result instead of a count per experiment. */
export function formatRunsStatus(s: RunsStatus, all = false): string[] {
  const now = new Date(s.checkedAt);
  const lines = [`runs folder ${s.runsDir} (read ${s.checkedAt.replace('T', ' ').slice(0, 19)} UTC)`];
  const live = s.leases.filter((l) => l.alive);
  const gone = s.leases.filter((l) => !l.alive);
  // One entry per process: a Table 1 run holds its own lease, its baseline's and its semantic SRN's training lock.
  const byPid = (ls: LeaseStatus[], verb: string) =>
    [...new Set(ls.map((l) => l.pid))].map((pid) => {
      const mine = ls.filter((l) => l.pid === pid);
      const withCommand = mine.find((l) => l.command);
      const command = withCommand?.command;
      const started = mine.map((l) => l.startedAt).filter((t): t is string => !!t).sort()[0] ?? null;
      const beat = s.heartbeats.find((h) => h.pid === pid && h.host === (mine.find((l) => l.host)?.host ?? hostname()));
      const words = [beat?.progress && `    progress ${ago(beat.progress.at, now)}: ${beat.progress.line}`, beat?.message && `    message ${ago(beat.message.at, now)}: ${beat.message.line}`].filter(Boolean);
      // A stopped process's own command, from its own folder, goes on from its checkpoints and journals.
      const resume = !mine[0].alive && command && withCommand.cwd ? [`    resume: cd ${withCommand.cwd} && node ${command}`] : [];
      return [`  pid ${pid}, ${verb} ${ago(started, now)}${command ? `: ${command}` : ''}`, ...mine.map((l) => `    ${l.path}`), ...words, ...resume].join('\n');
    });
  lines.push('', live.length ? 'working now (leases held by live processes on this machine):' : 'working now: nothing (no lease held by a live process on this machine)');
  lines.push(...byPid(live, 'since'));
  if (gone.length) {
    lines.push('stopped (leases left by processes that are gone: killed, or their session ended; the same command resumes):');
    lines.push(...byPid(gone, 'started'));
  }
  lines.push('', s.trainings.length ? 'trainings (newest checkpoint):' : 'trainings: none with a checkpoint here');
  for (const t of s.trainings) {
    const steps = t.step === null ? 'no readable manifest' : t.total ? `${t.step.toLocaleString('en-US')} / ${t.total.toLocaleString('en-US')} steps (${Math.floor((100 * t.step) / t.total)}%)` : `step ${t.step.toLocaleString('en-US')}`;
    const busy = live.some((l) => l.kind === 'training' && l.path.startsWith(`${t.path}/`));
    const stale = t.stale ? `; STALE (${t.stale}): the next run sets it aside and trains anew` : '';
    lines.push(`  ${t.path} [${t.stage}]: ${steps}${t.finished ? ', finished' : busy ? ', training now' : ''}; saved ${ago(t.savedAt, now)}${stale}`);
  }
  lines.push('', s.journals.length ? 'part-way (journals; a rerun of the command that wrote them goes on from them):' : 'part-way: nothing (no journals)');
  for (const j of s.journals) lines.push(`  ${j.path}: ${j.records} ${j.unit ?? 'record'}(s), updated ${ago(j.updatedAt, now)}`, ...(j.plan ?? []).map((l) => `    ${l.replace(/^ {2}/, '')}`));
  const stale = s.results.filter((r) => r.stale).length;
  const staleText = stale ? `, ${stale} of them stale (made before a fix they depend on; the experiments run them again)` : '';
  lines.push('', `finished results: ${s.results.length} file(s)${staleText}${all || !s.results.length ? '' : ' (--all lists them)'}`);
  if (all) {
    const pct = (v: number | null) => (v === null ? '—' : (100 * v).toFixed(1));
    for (const r of s.results) lines.push(`  ${r.path}${r.mIOU === null ? '' : `: mIOU ${pct(r.mIOU)}, shape-mIOU ${pct(r.shapeMIOU)}`}${r.createdAt ? ` (${r.createdAt.slice(0, 10)})` : ''}${r.stale ? ` STALE: ${r.stale}` : ''}`);
  } else {
    const per = new Map<string, { n: number; stale: number }>();
    for (const r of s.results) {
      const top = r.path.split('/').slice(0, 2).join('/');
      const c = per.get(top) ?? { n: 0, stale: 0 };
      per.set(top, { n: c.n + 1, stale: c.stale + (r.stale ? 1 : 0) });
    }
    for (const [top, c] of per) lines.push(`  ${top}: ${c.n}${c.stale ? ` (${c.stale} stale)` : ''}`);
  }
  return lines;
}
