/**
 * A replicate seed already run with the same config is not run again: its results.json carries a fingerprint of
 * the config that produced it, and a multi-seed run reuses the seeds whose fingerprint matches (so a long
 * `--seeds 0,1,2` run stopped after seed 1 goes on at seed 2). Code changes do not change the fingerprint: the
 * results record the commit (tracking run) they ran at, and `--rerun` (ExperimentOptions.rerun) redoes them.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { staleResultReasons } from '../eval/result_code';
import { canonicalJson } from '../util/canonical_json';
import { experimentRunPath, type ExperimentOptions, type ExperimentOutput } from './common';
import type { ExperimentConfig } from './types';

/**
 * What decides a run's results: the config of one seed (without its description and the path it was read from)
 * and the data root in use. 16 hex digits of SHA-256.
 */
export function configFingerprint(cfg: ExperimentConfig, opts: Pick<ExperimentOptions, 'dataRoot'> = {}): string {
  const { description: _d, source: _s, ...rest } = cfg;
  const decisive = { ...rest, data: { ...rest.data, root: opts.dataRoot ?? rest.data.root } };
  return createHash('sha256').update(canonicalJson(decisive)).digest('hex').slice(0, 16);
}

/**
 * The finished run of `cfg` (one seed) under the runs folder when its results.json has this config's fingerprint;
 * undefined when there is none, it is unreadable, it ran another config (or before fingerprints were recorded), or a
 * U-Net-made part of it (a Table 1 row, a mask's U-Net head, a sweep's U-Net records) is stale (made before a fix its numbers depend on: lib/eval/result_code.ts), which `onStale` hears.
 */
export function finishedRun(cfg: ExperimentConfig, opts: ExperimentOptions, onStale?: (why: string) => void): (ExperimentOutput & { createdAt: string | null }) | undefined {
  const runDir = experimentRunPath(cfg, opts);
  const resultsPath = join(runDir, 'results.json');
  if (!existsSync(resultsPath)) return undefined;
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(readFileSync(resultsPath, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (doc.configFingerprint !== configFingerprint(cfg, opts)) return undefined;
  const stale = staleResultReasons(doc, basename(runDir));
  if (stale.length) {
    onStale?.(`${resultsPath}: ${stale.join('; ')}`);
    return undefined;
  }
  const tracking = doc.tracking as ExperimentOutput['tracking'] | undefined;
  return {
    experiment: cfg.experiment,
    scale: cfg.scale,
    runDir,
    resultsPath,
    figures: (doc.figures as Record<string, string> | undefined) ?? {},
    tracking: tracking ?? { uri: '', runId: '' },
    // The headline numbers, so that a reused run prints what a fresh one would.
    ...Object.fromEntries((['mIOU', 'shapeMIOU', 'psnr'] as const).flatMap((k) => (typeof doc[k] === 'number' ? [[k, doc[k]]] : []))),
    seconds: 0,
    createdAt: typeof doc.createdAt === 'string' ? doc.createdAt : null,
  };
}
