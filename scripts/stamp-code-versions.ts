/**
 * Records the code versions in U-Net results made after a fix but before results recorded them:
 * `npx tsx scripts/stamp-code-versions.ts --runs DIR [--dry-run]`.
 *
 * Results without `codeVersions` count as made before the reflection-padding fix (lib/eval/result_code.ts), so the
 * experiments run them again. Those run between the fix (4a5cf52) and the commit that started recording versions are
 * current: this stamps them, on evidence only. The evidence is the commit in each result's MLflow run
 * (`mlflow.source.git.commit` in the file store its `tracking.uri` names), which must descend from the fix in this
 * repository. Baseline results of the U-Net kinds (`<kind>/results*.json`) and the baselines' per-seed summaries
 * (their U-Net rows and Table 1 entries) are stamped; a label-count sweep's records are not: its sittings may span the
 * fix, and its file names the last only. Each stamped file gets `codeVersionsStamped` (the evidence, the time).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { staleKindResult, UNET_CODE, UNET_COLUMNS, unetResultStale } from '../lib/eval/result_code';
import { writeJsonAtomic } from '../lib/util/atomic_write';

/** The fix the stamped version stands for (lib/srn/reflect_pad.ts's gradient). */
export const REFLECT_PAD_FIX_COMMIT = '4a5cf52cf49c3ca6418590cf89eb311602a7f3c2';

type Json = Record<string, unknown>;

/** The git commit an MLflow file-store run was made at, or null when the store or tag is not there. */
export function trackingCommit(tracking: unknown): string | null {
  const t = tracking as { uri?: unknown; runId?: unknown } | undefined;
  if (typeof t?.uri !== 'string' || typeof t.runId !== 'string' || !t.uri.startsWith('file:')) return null;
  const store = fileURLToPath(t.uri);
  if (!existsSync(store)) return null;
  for (const exp of readdirSync(store)) {
    const tag = join(store, exp, t.runId, 'tags', 'mlflow.source.git.commit');
    if (existsSync(tag)) return readFileSync(tag, 'utf8').trim();
  }
  return null;
}

/** Whether `commit` has the fix in its history (false for a commit this repository does not know). */
export function descendsFromFix(commit: string, repo: string): boolean {
  try {
    execFileSync('git', ['merge-base', '--is-ancestor', REFLECT_PAD_FIX_COMMIT, commit], { cwd: repo, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function walk(dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== 'mlruns') walk(p, out);
    else if (/^results(-[\w-]+)?\.json$/.test(e.name)) out.push(p);
  }
}

/**
 * The stamped document, or a reason it is left: `null` when it holds no U-Net result without versions.
 * `kindFolder`: the folder name of a baseline kind's own results. A summary's U-Net row (and its Table 1 entry) is
 * stamped only when the row's own results file is current or has its own evidence (`rowOk`): a summary written after
 * the fix may still hold a row reused from before it.
 */
export function stampDoc(doc: Json, kindFolder: string, commitOk: (tracking: unknown) => string | null, rowOk: (resultsPath: string) => boolean): { doc: Json; evidence: string } | { left: string } | null {
  const code = { ...UNET_CODE };
  if (doc.schema === 'semantic-srn/baselines@1') {
    const rows = (Array.isArray(doc.rows) ? (doc.rows as Json[]) : []).filter((r) => staleKindResult(String(r.kind), r.codeVersions) !== null);
    if (!rows.length) return null;
    const evidence = commitOk(doc.tracking);
    if (!evidence) return { left: 'its tracking run does not name a commit that descends from the fix' };
    const ok = rows.filter((r) => typeof r.resultsPath === 'string' && rowOk(r.resultsPath));
    if (!ok.length) return { left: `its U-Net rows' own results are from before the fix (${rows.map((r) => r.kind).join(', ')})` };
    const entries = Array.isArray(doc.table1) ? (doc.table1 as Json[]) : [];
    for (const r of ok) {
      r.codeVersions = code;
      for (const e of entries) if (e.id === r.column && e.method === r.method && e.protocol === r.protocol) e.codeVersions = code;
    }
    doc.codeVersionsStamped = { by: 'scripts/stamp-code-versions.ts', commit: evidence, fix: REFLECT_PAD_FIX_COMMIT, rows: ok.map((r) => `${r.kind}: ${r.method} (${r.protocol})`), at: new Date().toISOString() };
    return { doc, evidence };
  }
  if (staleKindResult(kindFolder, doc.codeVersions) === null) return null;
  const evidence = commitOk(doc.tracking);
  if (!evidence) return { left: 'its tracking run does not name a commit that descends from the fix' };
  doc.codeVersions = code;
  const t1 = doc.table1 as Json | undefined;
  if (t1 && typeof t1 === 'object' && !Array.isArray(t1) && UNET_COLUMNS.includes(String(t1.id))) t1.codeVersions = code;
  doc.codeVersionsStamped = { by: 'scripts/stamp-code-versions.ts', commit: evidence, fix: REFLECT_PAD_FIX_COMMIT, at: new Date().toISOString() };
  return { doc, evidence };
}

function main(): void {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } } });
  if (!values.runs) throw new Error('usage: stamp-code-versions.ts --runs DIR [--dry-run]');
  const runs = resolve(values.runs);
  if (!existsSync(runs)) throw new Error(`--runs ${runs}: not found`);
  const repo = resolve(import.meta.dirname, '..');
  const commitOk = (tracking: unknown) => {
    const c = trackingCommit(tracking);
    return c && descendsFromFix(c, repo) ? c : null;
  };
  // A kind's own file is current, or made after the fix by its own tracking run.
  const rowOk = (path: string) => {
    try {
      const d = JSON.parse(readFileSync(path, 'utf8')) as Json;
      return unetResultStale(d.codeVersions) === null || commitOk(d.tracking) !== null;
    } catch {
      return false;
    }
  };
  const files: string[] = [];
  walk(runs, files);
  let stamped = 0;
  for (const f of files.sort()) {
    let doc: Json;
    try {
      doc = JSON.parse(readFileSync(f, 'utf8')) as Json;
    } catch {
      console.log(`left ${f}: not readable JSON`);
      continue;
    }
    const got = stampDoc(doc, basename(dirname(f)), commitOk, rowOk);
    if (!got) continue;
    if ('left' in got) {
      console.log(`left ${f}: ${got.left}`);
      continue;
    }
    stamped++;
    console.log(`${values['dry-run'] ? 'would stamp' : 'stamped'} ${f} (made at ${got.evidence.slice(0, 7)})`);
    if (!values['dry-run']) writeJsonAtomic(f, got.doc);
  }
  console.log(`${stamped} file(s) ${values['dry-run'] ? 'to stamp' : 'stamped'}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
