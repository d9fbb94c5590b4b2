/**
 * A baseline already run in its folder with the same config is not run again by the experiments: its result files
 * record the whole baseline config (seed included), so the rows a Table 1 run made serve `experiment
 * unet-baselines` and the reverse, instead of hours of training again. Code changes do not count (as
 * lib/experiments/finished_run.ts): the results name the commit they ran at, and `--rerun` redoes them. The
 * exception: a U-Net kind's results made before a fix its numbers depend on (lib/eval/result_code.ts) are stale.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DeepPartial } from '../config/types';
import { canonicalJson } from '../util/canonical_json';
import { staleKindResult } from '../eval/result_code';
import { baselineConfig, type BaselineConfig } from './config';

export const BASELINE_KINDS = ['tco', 'unet-oracle', 'unet-fewshot', 'srn-unet', 'srn-render-unet'] as const;
export type BaselineKind = (typeof BASELINE_KINDS)[number];

/** The evaluation files each kind writes in its folder (runBaseline's evalOne names them from here). */
export const BASELINE_RESULT_FILES = {
  tco: ['results.json'],
  'unet-oracle': ['results.json'],
  'unet-fewshot': ['results.json'],
  'srn-unet': ['results-single.json', 'results-multi.json'],
  'srn-render-unet': ['results-rendered-unet.json'],
} as const satisfies Record<BaselineKind, readonly string[]>;

export interface BaselineIdentity {
  kind: BaselineKind;
  preset?: string;
  overrides?: DeepPartial<BaselineConfig>;
  seed?: number;
  out?: string;
  name?: string;
  /** srn-unet, srn-render-unet: the semantic SRN's seed (default: `seed`). */
  semanticSeed?: number;
}

/** The preset (default cpu) and the config a baseline run with these options trains with. */
export function baselineRunConfig(o: Pick<BaselineIdentity, 'preset' | 'overrides' | 'seed'>): { preset: string; cfg: BaselineConfig } {
  const preset = o.preset ?? 'cpu';
  return { preset, cfg: baselineConfig(preset, { ...(o.overrides ?? {}), ...(o.seed !== undefined ? { seed: o.seed } : {}) }) };
}

/** The folder a baseline run writes to. */
export function baselineRunDir(o: Pick<BaselineIdentity, 'kind' | 'out' | 'name'>): string {
  return resolve(o.out ?? 'runs', o.name ?? `baseline-${o.kind}`);
}

/**
 * The result files (by method key, as BaselineRunSummary.results) of a finished run of this baseline: every file
 * its kind writes is there, readable, and records this config (and, for the SRN kinds, this semantic seed), and a
 * U-Net kind's files are current; undefined otherwise. `onStale` hears why files of this config are not reused.
 */
export function finishedBaseline(o: BaselineIdentity, onStale?: (why: string) => void): { runDir: string; results: Record<string, string> } | undefined {
  const runDir = baselineRunDir(o);
  const { preset, cfg } = baselineRunConfig(o);
  const want = canonicalJson(cfg);
  const files: readonly string[] | undefined = BASELINE_RESULT_FILES[o.kind];
  if (!files) return undefined; // not a kind (runBaseline says so)
  const results: Record<string, string> = {};
  for (const file of files) {
    const path = join(runDir, file);
    if (!existsSync(path)) return undefined;
    let doc: { method?: unknown; protocol?: { name?: unknown }; config?: { baselinePreset?: unknown; baseline?: unknown }; training?: { semanticSeed?: unknown }; codeVersions?: unknown };
    try {
      doc = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      return undefined;
    }
    if (typeof doc.method !== 'string' || doc.config?.baselinePreset !== preset || canonicalJson(doc.config.baseline) !== want) return undefined;
    const semantic = doc.training?.semanticSeed;
    if (semantic !== undefined && semantic !== (o.semanticSeed ?? cfg.seed)) return undefined;
    const stale = staleKindResult(o.kind, doc.codeVersions);
    if (stale) {
      onStale?.(`${path}: ${stale}`);
      return undefined;
    }
    results[doc.protocol?.name === 'multi' ? `${doc.method} (multi)` : doc.method] = path;
  }
  return { runDir, results };
}
