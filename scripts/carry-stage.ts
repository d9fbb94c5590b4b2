/**
 * Carries an unfinished training between sittings through git, and puts it back without overwriting newer work.
 *
 *   npx tsx scripts/carry-stage.ts pack <runs>/semantic/<key> --trained-at COMMIT --command "…" [--note TEXT …]
 *     → pretrained/wip-semantic-<key>/: the cached semantic SRN's weights (no Adam moments), its key.json, PROVENANCE.md
 *   npx tsx scripts/carry-stage.ts unpack pretrained/wip-semantic-<key> --runs <runsDir>
 *     → <runsDir>/semantic/<key>/ (the folder the experiments' semantic cache looks in, lib/pipeline/stage_cache.ts)
 *   npx tsx scripts/carry-stage.ts unpack pretrained/wip-<preset>-<class>-seed<N> --to <out>/<name>/checkpoints/pretrain
 *     → a pre-training resume point (made by ship-pretrained.ts) where the quickstart resumes it
 *
 * Unpacking refuses to replace a checkpoint at or past the carried step: a machine that kept the run's own full
 * checkpoint (exact moments) must resume from it, never from the weights-only carry of the same names.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { scheduleSteps } from '../lib/config/presets';
import { type CheckpointManifest, findCheckpoint, loadCheckpoint, MODEL_CODE_VERSION, modelCodeStale, saveWeightsOnly, WEIGHTS_IN_GIT_MAX_BYTES } from '../lib/training/checkpoint';
import { writeJsonAtomic } from '../lib/util/atomic_write';

export interface PackOptions {
  /** Commit the training ran at (any git revision of this repository). */
  trainedAt: string;
  command: string;
  notes?: string[];
  /** Where `wip-semantic-<key>/` goes (default the repository's `pretrained/`). */
  destRoot?: string;
}

/** Packs a cached semantic SRN (`<runs>/semantic/<key>/`, unfinished or not) as a weights-only carry; returns its folder. */
export function packSemantic(cacheDir: string, opts: PackOptions): string {
  const keyPath = join(cacheDir, 'key.json');
  if (!existsSync(keyPath)) throw new Error(`${keyPath}: not found; expected a semantic SRN cache folder <runs>/semantic/<key>/ (lib/pipeline/stage_cache.ts)`);
  const found = findCheckpoint(join(cacheDir, 'checkpoint'));
  if (!found) throw new Error(`${join(cacheDir, 'checkpoint')}: no checkpoint to carry`);
  const m = found.manifest;
  if (m.stage !== 'semantic') throw new Error(`${found.dir}: a '${m.stage}' checkpoint, expected 'semantic'`);
  const stale = carryStale(m);
  if (stale) throw new Error(`${found.dir}: ${stale}: nothing to carry, it cannot resume`);
  const trainedAt = execFileSync('git', ['rev-parse', '--short', `${opts.trainedAt}^{commit}`], { encoding: 'utf8', cwd: resolve(__dirname, '..') }).trim();
  const key = basename(resolve(cacheDir));
  const dest = join(opts.destRoot ?? resolve(__dirname, '..', 'pretrained'), `wip-semantic-${key}`);
  saveWeightsOnly(dest, found, { carriedKey: key });
  copyFileSync(keyPath, join(dest, 'key.json'));
  const bytes = statSync(join(dest, 'weights.bin')).size;
  if (bytes > WEIGHTS_IN_GIT_MAX_BYTES) throw new Error(`${dest}/weights.bin: ${(bytes / 2 ** 20).toFixed(1)} MB, over the 30 MB limit for weights kept in git`);
  const sha = createHash('sha256').update(readFileSync(join(dest, 'weights.bin'))).digest('hex');
  const total = scheduleSteps(m.config.training.semantic.schedule);
  // The cache key names the data the training read; a semantic SRN trained before 12989d0 records its preset's class
  // (Chair) in the manifest even for tables, so the class comes from the key.
  const keyData = (JSON.parse(readFileSync(keyPath, 'utf8')) as { data?: { root?: string; className?: string } }).data;
  const dataRoot = keyData?.root ?? '(not recorded)';
  writeFileSync(
    join(dest, 'PROVENANCE.md'),
    `# ${m.step >= total ? 'Finished' : 'Unfinished'} semantic SRN \`${key}\` (carried between sittings)

| | |
|---|---|
| command | \`${opts.command}\` |
| code | trained at semantic-srn commit ${trainedAt} (model code v${MODEL_CODE_VERSION}) |
| data | ${m.versions?.data ?? 'unknown'}, class ${keyData?.className ?? m.config.data.className}, ${m.numInstances} training objects, read from ${dataRoot} |
| config | preset \`${m.config.preset}\`, seed ${m.config.seed}: stored verbatim in manifest.json |
| steps done | ${m.step} of ${total} |
| weights.bin | ${(bytes / 2 ** 20).toFixed(2)} MB, sha256 ${sha} |
${(opts.notes ?? []).map((n) => `| note | ${n} |\n`).join('')}
Weights only (no Adam moments: they would triple the size; the resumed training starts them afresh).
${m.step >= total ? 'To use it' : 'To go on'}: \`npx tsx scripts/carry-stage.ts unpack pretrained/wip-semantic-${key} --runs <runsDir>\`, then rerun
the command above${m.step >= total ? ' (it reuses the finished training instead of training)' : ''}. The cache key holds the data folder's real path: the experiment must read its data from
${dataRoot}, or it will not find this training.
`,
  );
  return dest;
}

/** Puts a carry back: into `<runsDir>/semantic/<key>/` for a semantic SRN, into `to` for a pre-training. Returns the checkpoint folder. */
/** Why a carry's weights are not this code's (made by an older model code, or unversioned), or undefined. */
export function carryStale(m: CheckpointManifest): string | undefined {
  if (!m.versions) return 'it records no model-code version (made before versions were recorded)';
  const why = modelCodeStale(m.stage, m.versions.modelCode);
  return why && `made by ${why}`;
}

export function unpackCarry(carryDir: string, where: { runsDir?: string; to?: string }, log: (m: string) => void = () => {}): string {
  const ck = loadCheckpoint(carryDir);
  const m = ck.manifest;
  const stale = carryStale(m);
  if (stale) throw new Error(`${carryDir}: ${stale}: it can be neither reused nor resumed (the experiment trains anew); remove it from pretrained/`);
  let target: string;
  if (m.stage === 'semantic') {
    if (!where.runsDir) throw new Error(`${carryDir}: a semantic SRN carry goes under a runs folder: give --runs <runsDir>`);
    const key = (m.extra as { carriedKey?: string } | undefined)?.carriedKey;
    if (!key) throw new Error(`${join(carryDir, 'manifest.json')}: extra.carriedKey is missing (not made by carry-stage.ts pack)`);
    const cache = join(resolve(where.runsDir), 'semantic', key);
    mkdirSync(cache, { recursive: true });
    const keyJson = readFileSync(join(carryDir, 'key.json'), 'utf8');
    const root = (JSON.parse(keyJson) as { data?: { root?: string } }).data?.root;
    if (root && !existsSync(root)) log(`warning: the carried training read its data from ${root}, which is not on this machine; the experiment will not find it unless its data folder resolves there`);
    else if (root && realpathSync(root) !== root) log(`warning: ${root} now resolves to ${realpathSync(root)}; the experiment's cache key will differ`);
    writeFileSync(join(cache, 'key.json'), keyJson);
    target = join(cache, 'checkpoint');
  } else if (m.stage === 'pretrain') {
    if (!where.to) throw new Error(`${carryDir}: a pre-training carry goes to a run's checkpoint folder: give --to <out>/<name>/checkpoints/pretrain`);
    target = resolve(where.to);
  } else {
    throw new Error(`${carryDir}: a '${m.stage}' checkpoint; only 'semantic' and 'pretrain' carries can be unpacked`);
  }
  const there = findCheckpoint(target);
  if (there && there.manifest.step >= m.step) {
    throw new Error(`${target}: already holds step ${there.manifest.step} (the carry is at step ${m.step}): resume from it, not from the carry`);
  }
  // Through a temporary folder and one rename: an interrupted unpack leaves the old checkpoint or none, never a mix.
  saveWeightsOnly(target, ck, m.extra);
  writeJsonAtomic(join(target, '..', 'carried-from.json'), { carry: resolve(carryDir), step: m.step, unpackedAt: new Date().toISOString(), replaced: there ? there.manifest.step : null });
  log(`unpacked ${carryDir} (step ${m.step}) → ${target}${there ? ` (replacing step ${there.manifest.step})` : ''}`);
  return target;
}

async function main(): Promise<void> {
  const [verb, ...rest] = process.argv.slice(2);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { 'trained-at': { type: 'string' }, command: { type: 'string' }, note: { type: 'string', multiple: true }, runs: { type: 'string' }, to: { type: 'string' } },
  });
  const [src] = positionals;
  const usage = 'usage: carry-stage.ts pack <runs>/semantic/<key> --trained-at COMMIT --command "…" [--note TEXT …]\n       carry-stage.ts unpack <carry folder> (--runs <runsDir> | --to <checkpoint folder>)';
  if (verb === 'pack' && src && values['trained-at'] && values.command) {
    const dest = packSemantic(src, { trainedAt: values['trained-at'], command: values.command, notes: values.note });
    console.log(`carried ${src} → ${dest}`);
  } else if (verb === 'unpack' && src && (values.runs || values.to)) {
    unpackCarry(src, { runsDir: values.runs, to: values.to }, (msg) => console.log(msg));
  } else {
    throw new Error(usage);
  }
}

if (process.argv[1]?.endsWith('carry-stage.ts')) main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
