/**
 * Makes a shipped pre-training checkpoint: `npx tsx scripts/ship-pretrained.ts SRC --name NAME --command "…"
 * --losses FILE --trained-at COMMIT [--wall-seconds S] [--backend B]`.
 * SRC is a finished `pretrain` checkpoint made by this code (its recorded model-code version must be the
 * current one). Writes `pretrained/NAME/`: the weights only (no Adam/SparseAdam moments, ≤ 30 MB), the
 * loss curve (loss.png) and PROVENANCE.md with the command, commit, data version and wall time.
 * FILE holds the pre-training losses: `{ "losses": [...] }` (experiments' history.json), an MLflow
 * file-store metric file (`<run>/metrics/pretrain/loss`: "timestamp value step" lines) or the manifest.json of a
 * shipped resume point (its `extra.pretrainLosses`). A training resumed across sittings gives `--losses` once per
 * part, oldest first: they are merged by step (a later file wins a step both have, as when a run resumed from an
 * earlier checkpoint than the one the previous part stopped at) and cut at the checkpoint's step.
 * `--note TEXT` (repeatable) adds a line to PROVENANCE.md (resumes, pauses, anything irregular).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { lossCurvesSpec } from '../lib/plotting/vegalite_specs';
import { saveFigure } from '../lib/plotting/save';
import { loadCheckpoint, MODEL_CODE_VERSION, saveWeightsOnly, WEIGHTS_IN_GIT_MAX_BYTES } from '../lib/training/checkpoint';

export interface LossHistory {
  steps: number[];
  values: number[];
}

export function readLosses(path: string): LossHistory {
  const text = readFileSync(path, 'utf8');
  if (text.trimStart().startsWith('{')) {
    const doc = JSON.parse(text) as { losses?: unknown; extra?: { pretrainLosses?: { steps?: unknown; values?: unknown } } };
    const carried = doc.extra?.pretrainLosses;
    if (carried) {
      const { steps, values } = carried;
      const nums = (x: unknown): x is number[] => Array.isArray(x) && x.every((v) => typeof v === 'number');
      if (!nums(steps) || !nums(values) || steps.length !== values.length) {
        throw new Error(`${path}: extra.pretrainLosses must hold 'steps' and 'values', two lists of numbers of one length`);
      }
      return { steps, values };
    }
    const losses = doc.losses;
    if (!Array.isArray(losses)) throw new Error(`${path}: expected { "losses": [numbers] } or a checkpoint manifest with extra.pretrainLosses`);
    return { steps: losses.map((_, i) => i + 1), values: losses as number[] };
  }
  const rows = text.trim().split('\n').map((line, i) => {
    const f = line.trim().split(/\s+/).map(Number);
    if (f.length !== 3 || f.some((x) => !Number.isFinite(x))) throw new Error(`${path}:${i + 1}: expected 'timestamp value step', got '${line}'`);
    return { step: f[2], value: f[1] };
  });
  rows.sort((a, b) => a.step - b.step);
  return { steps: rows.map((r) => r.step), values: rows.map((r) => r.value) };
}

/** The parts of one training's loss history, oldest first, merged by step (later parts win) and cut at `lastStep`. */
export function mergeLosses(parts: readonly LossHistory[], lastStep: number): LossHistory {
  const byStep = new Map<number, number>();
  for (const p of parts) p.steps.forEach((s, i) => byStep.set(s, p.values[i]));
  const steps = [...byStep.keys()].filter((s) => s <= lastStep).sort((a, b) => a - b);
  return { steps, values: steps.map((s) => byStep.get(s)!) };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: 'string' }, command: { type: 'string' }, losses: { type: 'string', multiple: true }, 'trained-at': { type: 'string' },
      'wall-seconds': { type: 'string' }, backend: { type: 'string' }, note: { type: 'string', multiple: true },
    },
  });
  const [src] = positionals;
  if (!src || !values.name || !values.command || !values.losses || !values['trained-at']) {
    throw new Error('usage: ship-pretrained.ts SRC --name NAME --command "…" --losses FILE [--losses FILE2 …] --trained-at COMMIT [--wall-seconds S] [--backend B] [--note TEXT …]');
  }
  // The commit the training ran at (the shipping commit comes later): it must name a commit of this repository.
  const trainedAt = execFileSync('git', ['rev-parse', '--short', `${values['trained-at']}^{commit}`], { encoding: 'utf8' }).trim();
  const ck = loadCheckpoint(src);
  const m = ck.manifest;
  if (m.stage !== 'pretrain') throw new Error(`${src}: a '${m.stage}' checkpoint, expected 'pretrain'`);
  if (!m.versions || m.versions.modelCode !== MODEL_CODE_VERSION) {
    throw new Error(`${src}: made by model code ${m.versions ? `v${m.versions.modelCode}` : '(unversioned)'}, this code is v${MODEL_CODE_VERSION}: re-train before shipping`);
  }
  const dest = resolve(__dirname, '..', 'pretrained', values.name);
  const total = m.config.training.pretrain.schedule.reduce((a, x) => a + x.steps, 0);
  const losses = mergeLosses(values.losses.map(readLosses), m.step);
  if (losses.steps.length === 0) throw new Error(`--losses ${values.losses.join(', ')}: no loss at or before step ${m.step}`);
  // The loss history travels with the weights: a run that reuses them logs it as its own pre-training curve.
  saveWeightsOnly(dest, ck, { pretrainLosses: { steps: losses.steps, values: losses.values } });
  const bytes = statSync(join(dest, 'weights.bin')).size;
  if (bytes > WEIGHTS_IN_GIT_MAX_BYTES) throw new Error(`${dest}/weights.bin: ${(bytes / 2 ** 20).toFixed(1)} MB, over the 30 MB limit for shipped weights`);
  const fig = await saveFigure(lossCurvesSpec([{ name: 'pre-training loss', values: losses.values, steps: losses.steps }], { title: `${values.name}: pre-training loss`, logY: true }), join(dest, 'loss'));
  // Only the PNG is shipped (the HTML inlines 0.8 MB of vega).
  rmSync(fig.html, { force: true });
  rmSync(fig.svg, { force: true });
  const sha = createHash('sha256').update(readFileSync(join(dest, 'weights.bin'))).digest('hex');
  const tail = losses.values.slice(-50);
  const wall = values['wall-seconds'] ? `${Number(values['wall-seconds']).toFixed(0)} s` : 'not recorded';
  writeFileSync(
    join(dest, 'PROVENANCE.md'),
    `# Pre-training checkpoint \`${values.name}\`

| | |
|---|---|
| command | \`${values.command}\` |
| code | trained at semantic-srn commit ${trainedAt} (model code v${MODEL_CODE_VERSION}; recorded in manifest.json \`versions\`) |
| data | ${m.versions.data}, class ${m.config.data.className}, ${m.numInstances} training objects |
| config | preset \`${m.config.preset}\`, seed ${m.config.seed}: stored verbatim in manifest.json |
| schedule | ${m.config.training.pretrain.schedule.map((s) => `${s.steps} steps at ${s.side}², batch ${s.batchSize}`).join(' + ')} |
| steps done | ${m.step} of ${total}${m.step < total ? ' (unfinished: a resume point, see pretrained/README.md)' : ''} |
| backend | ${values.backend ?? 'not recorded'} |
| wall time | ${wall} |
| final loss | ${(tail.reduce((a, b) => a + b, 0) / tail.length).toPrecision(4)} (mean of the last ${tail.length} logged steps) |
| weights.bin | ${(bytes / 2 ** 20).toFixed(2)} MB, sha256 ${sha} |
| loss history | ${losses.steps.length} logged steps (${losses.steps[0]}–${losses.steps.at(-1)}) from ${values.losses.length} file(s) |
${(values.note ?? []).map((n) => `| note | ${n} |\n`).join('')}
Weights only: model weights and the training latent codes, without Adam or SparseAdam moments. The loss
curve is \`loss.png\`. Loading it with code or data of another version is refused (pretrained/README.md).
`,
  );
  console.log(`shipped ${dest} (${(bytes / 2 ** 20).toFixed(2)} MB)`);
}

if (process.argv[1]?.endsWith('ship-pretrained.ts')) main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
