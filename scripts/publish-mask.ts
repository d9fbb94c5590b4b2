/**
 * Publishes a reconstruction-from-a-mask run (Fig. 6): `npx tsx scripts/publish-mask.ts --runs DIR --scale cpu64
 * --class chair --command "…" --ran-at COMMIT [--note "…"] [--out DIR]`. Reads
 * `<DIR>/mask-reconstruction/<scale>/<class>/results.json` and writes docs/results/mask-reconstruction-<scale>-<class>/:
 * the results.json, every figure it names (figures of an earlier publication that it does not name go), and a README
 * with each head's pooled scores and per-part IoU, the mean ± 95% CI of the objects' mIOU, every object under both
 * heads, and the U-Net head − linear head paired by object.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { maskHeadDifference, type MaskObjectResult } from '../lib/experiments/mask_reconstruction';
import { unetResultStale } from '../lib/eval/result_code';
import { formatMeanCI, percentCI, signedCI, type PercentCI } from '../lib/metrics/stats';
import { writeFileAtomic, writeJsonAtomic } from '../lib/util/atomic_write';
import { readEarlierPublication } from '../lib/util/earlier_publication';

/** An object as results.json keeps it (its fit's losses left out). */
type HeadObject = Omit<MaskObjectResult, 'fitLoss'>;

interface HeadDoc {
  mIOU: number;
  shapeMIOU: number;
  psnr: number;
  perClassIoU: Record<string, number | null>;
  objects: HeadObject[];
}

const HEAD_LABEL = {
  linear: 'linear (semi-supervised SRN, 30 labelled images)',
  unet: 'U-Net (fully supervised semantic SRN, the paper\'s Fig. 6 model)',
} as const;

const pct = (v: number | null) => (v === null ? 'n/a' : (100 * v).toFixed(1));

/** The README's tables: per head, per object under both heads, and the paired difference. */
export function maskMarkdown(heads: Partial<Record<'linear' | 'unet', HeadDoc>>): string[] {
  const kinds = (['linear', 'unet'] as const).filter((k) => heads[k]);
  const lines = [
    '| head | mIOU (pooled) | shape-mIOU | RGB PSNR | objects\' mIOU, mean ± 95% CI | per part (IoU %) |',
    '|---|---|---|---|---|---|',
    ...kinds.map((k) => {
      const h = heads[k]!;
      const parts = Object.entries(h.perClassIoU).map(([n, v]) => `${n} ${pct(v)}`).join(', ');
      return `| ${HEAD_LABEL[k]} | ${pct(h.mIOU)} | ${pct(h.shapeMIOU)} | ${h.psnr.toFixed(2)} dB | ${formatMeanCI(percentCI(h.objects.map((o) => o.mIOU)))} (n=${h.objects.length}) | ${parts} |`;
    }),
    '',
  ];
  const positions = [...new Set(kinds.flatMap((k) => heads[k]!.objects.map((o) => o.position)))].sort((a, b) => a - b);
  const at = (k: 'linear' | 'unet', p: number) => heads[k]?.objects.find((o) => o.position === p);
  lines.push(
    '| object | id | ' + kinds.map((k) => `${k} mIOU`).join(' | ') + (kinds.length === 2 ? ' | U-Net − linear' : '') + ' |',
    '|---|---|' + kinds.map(() => '---|').join('') + (kinds.length === 2 ? '---|' : ''),
    ...positions.map((p) => {
      const cells = kinds.map((k) => pct(at(k, p)?.mIOU ?? null));
      const l = at('linear', p);
      const u = at('unet', p);
      const diff = kinds.length === 2 ? ` | ${l && u ? `${u.mIOU >= l.mIOU ? '+' : '−'}${Math.abs(100 * (u.mIOU - l.mIOU)).toFixed(1)}` : '—'}` : '';
      return `| ${p} | ${(l ?? u)!.id.slice(0, 8)} | ${cells.join(' | ')}${diff} |`;
    }),
    '',
  );
  const d = heads.linear && heads.unet ? maskHeadDifference(heads.linear.objects, heads.unet.objects) : null;
  if (d) {
    lines.push(
      `U-Net head − linear head, paired by object (the same mask fitted through each): mIOU ${signedCI(d.mIOU)} points, shape-mIOU ${d.shapeMIOU ? signedCI(d.shapeMIOU) : 'n/a'} (mean ± 95% CI over ${d.objects.length} objects, Student's t); the U-Net head is ahead on ${d.objects.filter((p) => at('unet', p)!.mIOU > at('linear', p)!.mIOU).length} of ${d.objects.length}.`,
      '',
    );
  }
  return lines;
}

type Heads = Partial<Record<'linear' | 'unet', HeadDoc>>;

/** `doc` (read from `where`) as a run's or publication's results.json with heads, or an error naming the field. */
export function maskHeadsOf(doc: unknown, where: string): Heads {
  const heads = (doc as { heads?: unknown } | null)?.heads as Record<string, unknown> | undefined;
  if (!heads || typeof heads !== 'object' || !Object.keys(heads).length) throw new Error(`${where}: field 'heads' with a linear and/or unet entry expected`);
  for (const [k, h] of Object.entries(heads)) {
    const objects = (h as { objects?: unknown })?.objects;
    if (typeof (h as { mIOU?: unknown })?.mIOU !== 'number' || !Array.isArray(objects) || objects.some((o) => typeof o?.position !== 'number' || typeof o?.mIOU !== 'number')) {
      throw new Error(`${where}: heads.${k} needs a numeric mIOU and objects with numeric position and mIOU`);
    }
  }
  return heads as Heads;
}

/** A head whose objects' scores moved between two runs (or that one side lacks). */
export interface MaskHeadChange {
  head: 'linear' | 'unet';
  pooled: { before: number | null; after: number | null };
  mean: { before: PercentCI | null; after: PercentCI | null };
  /** Only the objects whose mIOU differs or that one side lacks, in % (null: not scored there). */
  objects: { position: number; id: string; before: number | null; after: number | null }[];
}

/** Per head, what moved from `before` to `after`; and the paired U-Net − linear difference on both sides. */
export function maskChanges(before: Heads, after: Heads): { heads: MaskHeadChange[]; paired: { before: PercentCI | null; after: PercentCI | null } } {
  const heads = (['linear', 'unet'] as const).flatMap((k) => {
    const b = before[k];
    const a = after[k];
    const positions = [...new Set([...(b?.objects ?? []), ...(a?.objects ?? [])].map((o) => o.position))].sort((x, y) => x - y);
    const objects = positions.flatMap((p) => {
      const ob = b?.objects.find((o) => o.position === p);
      const oa = a?.objects.find((o) => o.position === p);
      if (ob && oa && ob.mIOU === oa.mIOU) return [];
      return [{ position: p, id: (oa ?? ob)!.id, before: ob ? 100 * ob.mIOU : null, after: oa ? 100 * oa.mIOU : null }];
    });
    if (!objects.length && b?.mIOU === a?.mIOU) return [];
    const mean = (h: HeadDoc | undefined) => (h?.objects.length ? percentCI(h.objects.map((o) => o.mIOU)) : null);
    return [{ head: k, pooled: { before: b ? 100 * b.mIOU : null, after: a ? 100 * a.mIOU : null }, mean: { before: mean(b), after: mean(a) }, objects }];
  });
  const paired = (h: Heads) => (h.linear && h.unet ? maskHeadDifference(h.linear.objects, h.unet.objects)?.mIOU ?? null : null);
  return { heads, paired: { before: paired(before), after: paired(after) } };
}

/** "## Changed since LABEL" for `maskChanges`, or a line saying nothing changed. */
export function maskChangesMarkdown(label: string, c: ReturnType<typeof maskChanges>): string[] {
  if (!c.heads.length) return [`Nothing changed since ${label}.`, ''];
  const v = (x: number | null) => (x === null ? '—' : x.toFixed(1));
  const m = (x: PercentCI | null) => (x ? formatMeanCI(x) : '—');
  const d = (x: PercentCI | null) => (x ? signedCI(x) : '—');
  return [
    `## Changed since ${label}`,
    '',
    "Heads with an object whose mIOU differs (or that one side lacks), there → here: pooled mIOU, the objects' mean ± 95% CI, and each such object.",
    '',
    "| head | mIOU (pooled) | objects' mIOU, mean ± 95% CI | objects that moved |",
    '|---|---|---|---|',
    ...c.heads.map((h) => `| ${h.head} | ${v(h.pooled.before)} → ${v(h.pooled.after)} | ${m(h.mean.before)} → ${m(h.mean.after)} | ${h.objects.length ? h.objects.map((o) => `${o.position} (${o.id.slice(0, 8)}): ${v(o.before)} → ${v(o.after)}`).join('; ') : 'none (pooled only)'} |`),
    '',
    `U-Net head − linear head, paired by object: ${d(c.paired.before)} → ${d(c.paired.after)} points.`,
    '',
  ];
}

function main(): void {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string' },
      scale: { type: 'string' },
      class: { type: 'string' },
      command: { type: 'string', multiple: true },
      'ran-at': { type: 'string' },
      note: { type: 'string', multiple: true },
      out: { type: 'string' },
      // An earlier publication to say what moved since: a results.json, its folder, or a git revision of this one.
      'compare-to': { type: 'string' },
    },
  });
  if (!values.runs || !values.scale || !values.class || !values.command?.length || !values['ran-at']) {
    throw new Error('usage: publish-mask.ts --runs DIR --scale SCALE --class chair|table --command "…" --ran-at COMMIT [--note "…"] [--out DIR] [--compare-to REV|FILE]');
  }
  const cls = values.class.toLowerCase();
  const src = join(resolve(values.runs), 'mask-reconstruction', values.scale, cls, 'results.json');
  if (!existsSync(src)) throw new Error(`${src}: no finished mask-reconstruction run there (run \`experiment mask-reconstruction --scale ${values.scale} --class ${cls}\`)`);
  const doc = JSON.parse(readFileSync(src, 'utf8')) as { totalSeconds?: number; figures?: Record<string, string>; backend?: { tfBackend?: string; tfjs?: string } };
  const heads = maskHeadsOf(doc, src);
  const commit = execFileSync('git', ['rev-parse', '--short', `${values['ran-at']}^{commit}`], { encoding: 'utf8' }).trim();
  const repoRoot = resolve(__dirname, '..');
  const docs = join(values.out ? resolve(values.out) : join(repoRoot, 'docs', 'results'), `mask-reconstruction-${values.scale}-${cls}`);
  // Read before anything is written: this publication overwrites its own folder.
  const earlier = values['compare-to'] ? readEarlierPublication(values['compare-to'], 'results.json', relative(repoRoot, join(docs, 'results.json')), repoRoot) : null;
  const changes = earlier && { from: earlier.label, ...maskChanges(maskHeadsOf(earlier.doc, earlier.where), heads) };
  mkdirSync(docs, { recursive: true });
  const figures = Object.values(doc.figures ?? {});
  for (const f of figures) {
    if (!existsSync(f)) throw new Error(`${src}: figure ${f} is not there`);
    copyFileSync(f, join(docs, basename(f)));
  }
  for (const f of readdirSync(docs)) if (f.endsWith('.png') && !figures.some((g) => basename(g) === f)) rmSync(join(docs, f));
  copyFileSync(src, join(docs, 'results.json'));
  // The U-Net head's numbers depend on the semantic SRN's U-Net training (lib/eval/result_code.ts).
  const unetStale = heads.unet ? unetResultStale((heads.unet as { codeVersions?: unknown }).codeVersions) : null;
  const firsts = (['linear', 'unet'] as const).flatMap((k) => (heads[k]?.objects[0] ? [`![${k}, object 0](${basename(heads[k]!.objects[0].figure)})`] : []));
  const md = [
    `# Reconstruction from a mask (Fig. 6) at \`${values.scale}\`: ${cls}s`,
    '',
    '**Synthetic data** (built-in generated objects, docs/synthetic-data.md): compare orderings with the paper, not levels.',
    ...(unetStale ? ['', `**STALE: the U-Net head's numbers were ${unetStale}.** Shown as they came out; \`experiment mask-reconstruction\` runs it again.`, ''] : []),
    `Command: ${values.command.map((c) => `\`${c}\``).join('; ')}, at commit ${commit}; ${doc.totalSeconds ? `${Math.round(doc.totalSeconds)} s` : 'wall time not recorded'}${doc.backend?.tfBackend ? ` on TF.js ${doc.backend.tfjs ?? ''} backend '${doc.backend.tfBackend}'` : ''}.`,
    ...(values.note ?? []).map((n) => `\n${n}`),
    '',
    ...maskMarkdown(heads),
    ...(changes ? maskChangesMarkdown(changes.from, changes) : []),
    '| file | what |',
    '|---|---|',
    '| `mask_NN_<id>.png` | linear head: input mask, predicted RGB, true RGB, predicted labels, true labels at the new poses |',
    '| `mask_unet_NN_<id>.png` | the same through the U-Net head |',
    '| `results.json` | the run\'s record (per head, per object, per part; the stages reused) |',
    '',
    firsts.join(' '),
    '',
  ].join('\n');
  writeFileAtomic(join(docs, 'README.md'), md);
  if (changes) writeJsonAtomic(join(docs, 'changed-since.json'), changes);
  else rmSync(join(docs, 'changed-since.json'), { force: true });
  console.log(`written ${docs}: ${figures.length} figure(s)${unetStale ? `; the U-Net head is stale (${unetStale})` : ''}`);
}

if (process.argv[1]?.endsWith('publish-mask.ts')) {
  try {
    main();
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  }
}
