/**
 * Brings everything published or carried in git back into a runs folder, on a new machine or a clean clone:
 * `npx tsx scripts/restore-runs.ts --runs DIR [--dry-run]`.
 *
 * - every `docs/results/<name>/runs/` (Table 1's finished rows, a sweep's results or journal): each file copied to the
 *   same path under DIR where DIR has none; a file DIR already holds is never replaced (identical: nothing to do;
 *   different: kept, and said, since the local one may be newer work), except that a current result replaces a stale
 *   one (made before a fix its numbers depend on, lib/eval/result_code.ts): the stale one would only run again;
 * - every carried semantic SRN `pretrained/wip-semantic-<key>/` unpacked into `DIR/semantic/<key>/`, unless DIR holds
 *   that training at the carried step or later (then it resumes from its own checkpoint) or the carry is stale (made
 *   by an older model code: left, and the experiment trains anew).
 *
 * Then `experiment table-1 --plan` and the experiments' own commands run only what is still missing.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { staleResultReasons } from '../lib/eval/result_code';
import { findCheckpoint, loadCheckpoint } from '../lib/training/checkpoint';
import { carryStale, unpackCarry } from './carry-stage';

export type RestoreAction =
  | { kind: 'copied' | 'identical'; file: string; from: string }
  /** `kept`: what stays, the local file or the publication restored before this one. */
  | { kind: 'kept-local'; file: string; from: string; kept: string; publishedStale?: string }
  | { kind: 'replaced-stale'; file: string; from: string; stale: string }
  | { kind: 'unpacked' | 'kept-newer'; carry: string; step: number; localStep: number | null }
  | { kind: 'stale-carry'; carry: string; step: number; stale: string };

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

const sameBytes = (a: string, b: string) => statSync(a).size === statSync(b).size && readFileSync(a).equals(readFileSync(b));

/** Why the results file at `path` is stale ('' when current, not JSON, or unreadable). */
function staleWhy(path: string): string {
  if (!path.endsWith('.json')) return '';
  try {
    return staleResultReasons(JSON.parse(readFileSync(path, 'utf8')), basename(dirname(path))).join('; ');
  } catch {
    return '';
  }
}

/** Restores into `runsDir` from `resultsRoot` (docs/results) and `pretrainedRoot` (pretrained/); `dryRun` only says what it would do. */
export function restoreRuns(o: { runsDir: string; resultsRoot: string; pretrainedRoot: string; dryRun?: boolean }): RestoreAction[] {
  const runs = resolve(o.runsDir);
  const out: RestoreAction[] = [];
  const published = existsSync(o.resultsRoot) ? readdirSync(o.resultsRoot).map((n) => join(o.resultsRoot, n, 'runs')).filter((d) => existsSync(d) && statSync(d).isDirectory()) : [];
  // What each file would hold after the copies so far (a dry run writes none, yet must compare as if it had).
  const planned = new Map<string, string>();
  for (const root of published.sort()) {
    for (const src of filesUnder(root).sort()) {
      const file = join(runs, relative(root, src));
      const holds = planned.get(file) ?? (existsSync(file) ? file : null);
      const kind: 'copied' | 'identical' | 'kept-local' = holds === null ? 'copied' : sameBytes(src, holds) ? 'identical' : 'kept-local';
      // Both sides are read only where they differ: a current publication replaces a stale local file, never the reverse.
      const stale = kind === 'kept-local' ? staleWhy(holds!) : '';
      const srcStale = kind === 'kept-local' ? staleWhy(src) : '';
      const copy = kind === 'copied' || (stale !== '' && srcStale === '');
      if (copy) {
        planned.set(file, src);
        if (!o.dryRun) {
          mkdirSync(dirname(file), { recursive: true });
          copyFileSync(src, file);
        }
      }
      if (copy && stale) out.push({ kind: 'replaced-stale', file, from: src, stale });
      else if (kind === 'kept-local') out.push({ kind, file, from: src, kept: holds!, ...(srcStale && !stale ? { publishedStale: srcStale } : {}) });
      else out.push({ kind, file, from: src });
    }
  }
  const carries = existsSync(o.pretrainedRoot) ? readdirSync(o.pretrainedRoot).filter((n) => n.startsWith('wip-semantic-')).sort() : [];
  for (const name of carries) {
    const carry = join(o.pretrainedRoot, name);
    const manifest = loadCheckpoint(carry).manifest;
    const step = manifest.step;
    const stale = carryStale(manifest);
    if (stale) {
      out.push({ kind: 'stale-carry', carry, step, stale });
      continue;
    }
    const local = findCheckpoint(join(runs, 'semantic', name.slice('wip-semantic-'.length), 'checkpoint'));
    const localStep = local?.manifest.step ?? null;
    if (localStep !== null && localStep >= step) {
      out.push({ kind: 'kept-newer', carry, step, localStep });
      continue;
    }
    if (!o.dryRun) unpackCarry(carry, { runsDir: runs }, (m) => console.log(m));
    out.push({ kind: 'unpacked', carry, step, localStep });
  }
  return out;
}

function main(): void {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, 'dry-run': { type: 'boolean' } } });
  if (!values.runs) throw new Error('usage: restore-runs.ts --runs DIR [--dry-run]');
  const repo = resolve(__dirname, '..');
  const actions = restoreRuns({ runsDir: values.runs, resultsRoot: join(repo, 'docs', 'results'), pretrainedRoot: join(repo, 'pretrained'), dryRun: values['dry-run'] });
  const would = values['dry-run'] ? 'would be ' : '';
  for (const a of actions) {
    if (a.kind === 'kept-local') {
      const what = a.publishedStale
        ? `the published one is stale: ${a.publishedStale}`
        : a.kept === a.file
          ? 'the local one may be newer; copy it by hand to replace'
          : `the copy from ${relative(repo, a.kept)}, restored before it, stays`;
      console.log(`kept ${a.file}: it differs from the published ${relative(repo, a.from)} (${what})`);
    }
    if (a.kind === 'replaced-stale') console.log(`${would}replaced ${a.file} by ${relative(repo, a.from)}: the local one is stale (${a.stale})`);
    if (a.kind === 'kept-newer') console.log(`kept ${relative(repo, a.carry)}'s training in ${values.runs}: it is at step ${a.localStep}, the carry at ${a.step}`);
    if (a.kind === 'stale-carry') console.log(`left ${relative(repo, a.carry)} (step ${a.step}): ${a.stale}; the experiment trains it anew`);
    if (a.kind === 'unpacked' && values['dry-run']) console.log(`would unpack ${relative(repo, a.carry)} (step ${a.step})${a.localStep === null ? '' : ` over step ${a.localStep}`}`);
  }
  const count = (k: RestoreAction['kind']) => actions.filter((a) => a.kind === k).length;
  console.log(`${count('copied')} file(s) ${would}copied, ${count('identical')} already there, ${count('kept-local')} kept (differ), ${count('replaced-stale')} stale ${would}replaced; ${count('unpacked')} carried training(s) ${would}unpacked, ${count('kept-newer')} kept (at or past the carry here), ${count('stale-carry')} stale left`);
}

if (process.argv[1]?.endsWith('restore-runs.ts')) {
  try {
    main();
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  }
}
