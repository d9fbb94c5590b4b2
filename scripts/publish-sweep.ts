/**
 * Publishes a label-count sweep (supplement Fig. 1), finished or still running: `npx tsx scripts/publish-sweep.ts
 * --runs DIR --scale cpu64 --class chair --command "…" --ran-at COMMIT [--ran-at …] [--note "…"] [--name NAME] [--out DIR]`.
 * Reads `<DIR>/label-count-sweep/<scale>/<class>/results.json` (finished) or the journal of a run in progress
 * (`records.partial.json`; it wins when newer: a finished sweep whose stale records run again), and writes docs/results/NAME/ (default `label-count-sweep-<scale>-<class>`):
 * sweep.json (every record; mean ± 95% CI per method and point; SRN+linear − U-Net paired by seed; which records are
 * missing), README.md and
 * miou_vs_labels.png (CI bands). The file read is copied under NAME/runs/ at its path relative to DIR:
 * `cp -r docs/results/NAME/runs/. <runs>/` brings a finished sweep back (it is reused, only drawn) or an unfinished
 * one's journal (the sweep resumes at its next record) — a sweep outlives the machine it started on.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadExperimentConfig } from '../lib/experiments/config_loader';
import { sweepDifferences, sweepRenderName, type SweepDifference } from '../lib/experiments/label_count_sweep';
import { readSweep, sweepCells, type SweepCell } from '../lib/experiments/sweep_state';
import { asPublishedSweep, changedSweepCells, changedSweepMarkdown } from '../lib/experiments/sweep_compare';
import { readEarlierPublication } from '../lib/util/earlier_publication';
import { staleSweepSummary } from '../lib/eval/result_code';
import { excludesZero, formatMeanCI, signedCI } from '../lib/metrics/stats';
import type { Scale } from '../lib/experiments/types';
import { miouVsLabelsSpec } from '../lib/plotting/vegalite_specs';
import { saveFigure } from '../lib/plotting/save';
import { writeFileAtomic, writeJsonAtomic } from '../lib/util/atomic_write';

/** The sweep's tables: one row per point, a column per method (mean ± CI, n), then every record. */
export function sweepMarkdown(cells: readonly SweepCell[]): string[] {
  const f1 = (v: number) => v.toFixed(1);
  const opt = (v: number | null) => (v === null ? '—' : f1(v));
  const cell = (c: SweepCell | undefined) => {
    if (!c?.mIOU) return '—';
    return `${formatMeanCI(c.mIOU)} (n=${c.mIOU.n})`;
  };
  const methods = [...new Set(cells.map((c) => c.method))];
  const points = [...new Map(cells.map((c) => [`${c.instances}x${c.views}`, c])).values()];
  const at = (m: string, p: SweepCell) => cells.find((c) => c.method === m && c.instances === p.instances && c.views === p.views);
  return [
    `| labelled images | objects × views | ${methods.map((m) => `${m} mIOU %`).join(' | ')} | U-Net dropout chosen (per seed) |`,
    `|---|---|${methods.map(() => '---|').join('')}---|`,
    ...points.map((p) => {
      const unet = at('unet', p);
      const drops = unet?.perSeed.length ? unet.perSeed.map((s) => `${s.seed}: ${s.dropout ?? '—'}`).join(', ') : '—';
      return `| ${p.numLabels} | ${p.instances} × ${p.views} | ${methods.map((m) => cell(at(m, p))).join(' | ')} | ${drops} |`;
    }),
    '',
    '### Every record',
    '',
    '| method | objects × views | seed | mIOU | shape-mIOU | dropout | seconds |',
    '|---|---|---|---|---|---|---|',
    ...cells.flatMap((c) => c.perSeed.map((s) => `| ${c.method} | ${c.instances} × ${c.views} | ${s.seed} | ${opt(s['mIOU %'])}${s.stale ? ' (STALE)' : ''} | ${opt(s['shape-mIOU %'])} | ${s.dropout ?? '—'} | ${s.seconds} |`)),
    '',
  ];
}

/**
 * SRN+linear − U-Net per point, paired by seed: a table, and how many points' intervals exclude 0 (nothing where
 * no point has both methods).
 */
export function differenceMarkdown(diffs: readonly SweepDifference[], a: string, b: string): string[] {
  const rows = diffs.filter((d) => d.mIOU);
  if (!rows.length) return [];
  const cell = (d: SweepDifference['mIOU']) => (d ? `${signedCI(d)} (n=${d.n})` : '—');
  const apart = rows.filter((d) => excludesZero(d.mIOU!));
  return [
    `## ${a} − ${b}, paired by seed`,
    '',
    `A seed draws one labelled subset that both methods train on, so the difference per seed leaves out the spread that the draw puts into both methods' own intervals: mean ± 95% CI of the per-seed differences (Student's t), in points.`,
    '',
    '| labelled images | objects × views | mIOU difference | shape-mIOU difference | seeds |',
    '|---|---|---|---|---|',
    ...rows.map((d) => `| ${d.numLabels} | ${d.instances} × ${d.views} | ${cell(d.mIOU)} | ${cell(d.shapeMIOU)} | ${d.seeds.join(', ')} |`),
    '',
    `The mIOU interval excludes 0 at ${apart.length} of ${rows.length} point(s)${apart.length ? `: ${apart.map((d) => `${d.numLabels} (${d.mIOU!.mean > 0 ? a : b} ahead)`).join(', ')}` : ''}.`,
    '',
  ];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string' },
      scale: { type: 'string' },
      class: { type: 'string' },
      command: { type: 'string', multiple: true },
      'ran-at': { type: 'string', multiple: true },
      note: { type: 'string', multiple: true },
      name: { type: 'string' },
      // Where NAME/ goes (default docs/results).
      out: { type: 'string' },
      // An earlier publication to say what moved since: a sweep.json, its folder, or a git revision of this one.
      'compare-to': { type: 'string' },
    },
  });
  if (!values.runs || !values.scale || !values.class || !values.command?.length || !values['ran-at']?.length) {
    throw new Error('usage: publish-sweep.ts --runs DIR --scale SCALE --class chair|table --command "…" --ran-at COMMIT [--ran-at …] [--note "…"] [--name NAME] [--out DIR] [--compare-to REV|FILE]');
  }
  const scale = values.scale as Scale;
  const cls = values.class.toLowerCase();
  const name = values.name ?? `label-count-sweep-${scale}-${cls}`;
  if (!/^[\w.-]+$/.test(name)) throw new Error(`--name: letters, digits, '.', '_' or '-', got '${name}'`);
  const cfg = loadExperimentConfig('label-count-sweep', scale);
  const runs = resolve(values.runs);
  const runDir = join(runs, 'label-count-sweep', scale, cls);
  const src = readSweep(runDir);
  const cells = sweepCells(src.records, cfg.methods, src.points, src.seeds);
  const pair = cfg.methods.includes('srn+linear') && cfg.methods.includes('unet') ? (['srn+linear', 'unet'] as const) : null;
  const differences = pair ? sweepDifferences(src.records, pair[0], pair[1], src.points) : [];
  const missing = cells.filter((c) => c.missingSeeds.length).map((c) => ({ method: c.method, instances: c.instances, views: c.views, seeds: c.missingSeeds }));
  const expected = cfg.methods.length * src.points.length * src.seeds.length;
  const commits = values['ran-at'].map((c) => execFileSync('git', ['rev-parse', '--short', `${c}^{commit}`], { encoding: 'utf8' }).trim());
  const recordSeconds = src.records.reduce((s, r) => s + r.probeSeconds, 0);
  const stale = staleSweepSummary(src.records);
  const staleLine = stale && `**STALE: ${stale.records} U-Net record(s) made before a fix (${stale.why.join('; ')}).** Their numbers are shown as they came out; \`experiment label-count-sweep\` runs them again (docs/experiments.md, "Stale results run again").`;

  const repoRoot = resolve(__dirname, '..');
  const docs = join(values.out ? resolve(values.out) : join(repoRoot, 'docs', 'results'), name);
  // Read before anything is written: with a folder or file in place, this publication overwrites it.
  const earlier = values['compare-to'] ? readEarlierPublication(values['compare-to'], 'sweep.json', relative(repoRoot, join(docs, 'sweep.json')), repoRoot) : null;
  const compared = earlier && { label: earlier.label, doc: asPublishedSweep(earlier.doc, earlier.where) };
  rmSync(join(docs, 'runs'), { recursive: true, force: true });
  const copy = join(docs, 'runs', relative(runs, src.file));
  mkdirSync(dirname(copy), { recursive: true });
  copyFileSync(src.file, copy);
  // An unfinished sweep's fitted test codes (a few KB): a restored sweep does not refit them.
  const codes = join(runDir, 'test-codes.partial.json');
  if (src.state === 'partial' && existsSync(codes)) copyFileSync(codes, join(dirname(copy), 'test-codes.partial.json'));
  // The first seed's figure of every record that kept one (the first test object; sweeps before 2026-12-06 kept none).
  // A record restored from git (scripts/restore-runs.ts brings back results.json, not the figures) keeps the figure
  // published before.
  const renders = cells.flatMap((c) => {
    const seed = src.seeds[0];
    const rel = sweepRenderName(c.method, c.instances, c.views, seed);
    if (!c.seeds.includes(seed)) return [];
    if (existsSync(join(runDir, rel))) {
      mkdirSync(join(docs, 'renders'), { recursive: true });
      copyFileSync(join(runDir, rel), join(docs, rel));
    } else if (!existsSync(join(docs, rel))) return [];
    return [{ method: c.method, instances: c.instances, views: c.views, seed, file: rel }];
  });
  // Figures of records no longer published go.
  const rendersDir = join(docs, 'renders');
  for (const f of existsSync(rendersDir) ? readdirSync(rendersDir) : []) if (!renders.some((r) => r.file === join('renders', f))) rmSync(join(rendersDir, f));
  const changed = compared
    ? changedSweepCells(compared.doc, { cells, ...(pair ? { differences: { a: pair[0], b: pair[1], points: differences } } : {}) })
    : null;
  const doc = {
    schema: 'semantic-srn/label-count-sweep-published@1',
    state: src.state,
    scale,
    className: cls,
    data: 'synthetic: the built-in generated objects (docs/synthetic-data.md), not ShapeNet/PartNet; levels are not comparable to the paper, orderings are',
    methods: cfg.methods,
    points: src.points,
    seeds: src.seeds,
    records: { done: src.records.length, expected },
    ...(stale ? { stale } : {}),
    commands: values.command,
    ranAt: commits,
    notes: values.note ?? [],
    // Each record's own work (probe or U-Net training with its dropout search, and scoring); the shared test-code fits
    // and the pre-training are not in it.
    recordSeconds: Math.round(recordSeconds),
    totalSeconds: src.totalSeconds === null ? null : Math.round(src.totalSeconds),
    cells,
    ...(pair ? { differences: { a: pair[0], b: pair[1], points: differences } } : {}),
    missing,
    ...(compared ? { changedSince: { from: compared.label, cells: changed } } : {}),
    renders,
    // Relative to this folder.
    source: `runs/${relative(runs, src.file)}`,
    publishedAt: new Date().toISOString(),
  };
  writeJsonAtomic(join(docs, 'sweep.json'), doc);
  const figures: string[] = [];
  if (src.records.length) {
    const fig = await saveFigure(
      miouVsLabelsSpec(src.records, { title: `${cls}s, ${scale}: mIOU vs labelled images (mean ± 95% CI over seeds)`, xTitle: 'labelled images (objects × views)', logX: true, spread: 'ci95' }),
      join(docs, 'miou_vs_labels'),
    );
    rmSync(fig.html, { force: true });
    rmSync(fig.svg, { force: true });
    figures.push('miou_vs_labels.png');
  }
  const md = [
    `# Label-count sweep (supplement Fig. 1) — ${cls}s, scale \`${scale}\`${src.state === 'partial' ? ` — **in progress: ${src.records.length} of ${expected} records**` : ''}`,
    '',
    '**Synthetic data** (built-in generated objects, docs/synthetic-data.md): compare orderings with the paper, not levels.',
    ...(staleLine ? ['', staleLine] : []),
    `Commands: ${values.command.map((c) => `\`${c}\``).join('; ')}. Ran at ${commits.join(', ')}; seeds ${src.seeds.join(', ')} (each seed draws the labelled subset and initialises the head).`,
    ...(values.note ?? []).map((n) => `\n${n}`),
    '',
    ...(figures.length ? ['![mIOU vs labelled images](miou_vs_labels.png)', ''] : []),
    '## mIOU, mean ± 95% CI over seeds (Student\'s t)',
    '',
    ...sweepMarkdown(cells),
    `Wall: ${Math.round(recordSeconds)} s in the records' own work (probes, U-Nets with their dropout search, scoring)${src.totalSeconds === null ? '' : `; the finished run's last sitting took ${Math.round(src.totalSeconds)} s in all`}. The test codes are fitted once (single view) and shared by every SRN+linear record.`,
    '',
    ...(pair ? differenceMarkdown(differences, pair[0], pair[1]) : []),
    ...(compared ? (changed!.length ? changedSweepMarkdown(compared.label, changed!, pair) : [`Nothing changed since ${compared.label}.`, '']) : []),
    ...(renders.length
      ? [
          `## Predictions on the first test object, seed ${src.seeds[0]}`,
          '',
          'SRN+linear sees only the observed view (left) and labels its renders from the fitted code; the U-Net is given each view\'s true RGB.',
          '',
          ...renders.flatMap((r) => [`**${r.method}, ${r.instances} × ${r.views} labelled**`, '', `![${r.method} ${r.instances}x${r.views}](${r.file})`, '']),
        ]
      : []),
    missing.length ? `Missing: ${missing.map((m) => `${m.method} ${m.instances}×${m.views} seed(s) ${m.seeds.join(',')}`).join('; ')}.` : 'Every record is there.',
    '',
    `Restore into a runs folder with \`cp -r docs/results/${name}/runs/. <runs>/\`: ${src.state === 'partial' ? 'the same `experiment label-count-sweep` command resumes at the next record (the journal names its configuration and pre-training; another one is set aside, not used).' : 'the same `experiment label-count-sweep` command reuses the records and only draws.'}`,
    '',
  ].join('\n');
  writeFileAtomic(join(docs, 'README.md'), md);
  console.log(`written ${relative(process.cwd(), docs).startsWith('..') ? docs : relative(process.cwd(), docs)}/: ${src.state}, ${src.records.length} of ${expected} records${stale ? `, ${stale.records} of them stale` : ''}`);
}

if (process.argv[1]?.endsWith('publish-sweep.ts')) main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
