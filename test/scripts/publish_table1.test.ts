/** scripts/publish-table1.ts: what a published Table 1 row carries, read from its results files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Table1Row } from '../../lib/eval/table1';
import { rowDetail } from '../../lib/eval/table1_detail';
import { UNET_CODE } from '../../lib/eval/result_code';
import { carriedCommit, commitRefs, readComparedTable1, readPublication, evaluationJournals, perObjectMarkdown, finiteCI, presentMarkdown, collectMultiShot, collectSupplement, keptRender, partStats, rendersMarkdown, rowRenderGrid, supplementMarkdown, SUPPLEMENTS } from '../../scripts/publish-table1';

const dir = mkdtempSync(join(tmpdir(), 'publish-t1-'));
const write = (name: string, doc: unknown) => {
  const p = join(dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, JSON.stringify(doc));
  return p;
};
const row = (source: string, method = 'srn+linear', protocol = 'single'): Table1Row => ({
  id: 'srn-linear', column: 2, method, protocol, className: 'Chair', mIOU: 0.6, shapeMIOU: 0.5, source, scale: 'cpu64', seed: 0, createdAt: null,
});

test('a quickstart row: its own wall time without the pre-training, the commit from the MLflow file store', () => {
  const mlruns = join(dir, 'mlruns');
  mkdirSync(join(mlruns, '7', 'r1', 'tags'), { recursive: true });
  writeFileSync(join(mlruns, '7', 'r1', 'tags', 'mlflow.source.git.commit'), 'abc123\n');
  const src = write('q/results.json', {
    perClassIoU: { background: 0.9, chair_arm: 0.25 }, shapeMIOUPresent: 0.55, timings: { totalSeconds: 6000, pretrainSeconds: 5000 },
    backend: { chosen: 'node' }, tracking: { uri: pathToFileURL(mlruns).href, runId: 'r1', experimentId: '7' },
  });
  assert.deepEqual(rowDetail(row(src)), { perClassIoU: { background: 0.9, chair_arm: 0.25 }, shapeMIOUPresent: 0.55, wallSeconds: 1000, pretrainSeconds: 5000, commit: 'abc123', rescored: false, backend: 'node', evaluation: src });
});

test('a baseline summary row reads the evaluation its entry points at', () => {
  const ev = write('b/unet/results.json', { shapeMIOUPresent: 0.4, timings: { totalSeconds: 321 }, backend: { tfBackend: 'tensorflow' } });
  const src = write('b/results.json', { rows: [{ method: 'other', protocol: 'single', perClassIoU: {} }, { method: 'unet', protocol: 'single', perClassIoU: { chair_base: 0.7 }, resultsPath: ev }] });
  const d = rowDetail(row(src, 'unet'));
  assert.deepEqual(d.perClassIoU, { chair_base: 0.7 });
  assert.equal(d.shapeMIOUPresent, 0.4);
  assert.equal(d.wallSeconds, 321);
  assert.equal(d.backend, 'node');
  assert.equal(d.commit, null);
  assert.equal(d.evaluation, ev, 'the scores come from the evaluation file, whose folder holds the renders');
  // The summary moved into another runs folder (restored, merged) with its kind's file beside it: that one is read,
  // not the one at the path the run wrote.
  const moved = write('moved/b/results.json', JSON.parse(readFileSync(src, 'utf8')));
  const there = write('moved/b/unet/results.json', { shapeMIOUPresent: 0.3, timings: { totalSeconds: 99 } });
  const m = rowDetail(row(moved, 'unet'));
  assert.deepEqual([m.evaluation, m.shapeMIOUPresent, m.wallSeconds], [there, 0.3, 99]);
});

test("a summary entry whose evaluation ran in an earlier run does not take the summary run's commit", () => {
  const mlruns = join(dir, 'mlruns-later');
  mkdirSync(join(mlruns, '3', 'later', 'tags'), { recursive: true });
  writeFileSync(join(mlruns, '3', 'later', 'tags', 'mlflow.source.git.commit'), 'later99\n');
  // The oracle's own run is in a store no longer here; the summary was rewritten by a later run that reused it.
  const ev = write('c/unet-oracle/results.json', { timings: { totalSeconds: 2669 }, tracking: { uri: pathToFileURL(join(dir, 'gone')).href, runId: 'old' } });
  const src = write('c/results.json', { rows: [{ method: 'unet-oracle', protocol: 'single', perClassIoU: {}, resultsPath: ev }], tracking: { uri: pathToFileURL(mlruns).href, runId: 'later', experimentId: '3' } });
  const d = rowDetail(row(src, 'unet-oracle'));
  assert.equal(d.commit, null, 'unknown here: the publisher keeps the commit published before');
  assert.equal(d.wallSeconds, 2669);
  assert.equal(rowDetail(row(write('c2/results.json', { perClassIoU: {}, tracking: { uri: pathToFileURL(mlruns).href, runId: 'later', experimentId: '3' } }))).commit, 'later99', "a run's own results take its commit");
});

test('a TCO row counts its own pre-training: only SRN+linear leaves out a pre-training shared by other rows', () => {
  const src = write('t/results.json', { perClassIoU: {}, timings: { totalSeconds: 1528, pretrainSeconds: 1165 } });
  const d = rowDetail({ ...row(src, 'tco+linear'), id: 'tco-linear' });
  assert.deepEqual([d.wallSeconds, d.pretrainSeconds], [1528, null]);
});

test("an SRN+U-Net row's wall time is its evaluation, not the run's total with the shared semantic SRN and the other protocol", () => {
  const src = write('s/srn-unet/results-multi.json', { perClassIoU: {}, timings: { totalSeconds: 5461, semanticSeconds: 1121, evalSeconds: 2159 } });
  const d = rowDetail({ ...row(src, 'srn+unet', 'multi'), id: 'srn-unet-multi' });
  assert.deepEqual([d.wallSeconds, d.pretrainSeconds], [2159, null]);
  assert.equal(d.rescored, false);
});

test('a row re-read whole from its journal is marked rescored (its fits ran in an earlier sitting); a part-resumed one is not', () => {
  const at = (name: string, resumedInstances: number) => write(`r/${name}/results-single.json`, { perClassIoU: {}, perInstance: [{}, {}, {}], timings: { evalSeconds: 2895, resumedInstances } });
  const d = (src: string) => rowDetail({ ...row(src, 'srn+unet'), id: 'srn-unet-single' }).rescored;
  assert.deepEqual([d(at('all', 3)), d(at('some', 2)), d(at('none', 0))], [true, false, false]);
});

test('per-part mean ± 95% CI over seeds in %, parts a seed did not score left out of its mean', () => {
  const base = { shapeMIOUPresent: null, wallSeconds: null, pretrainSeconds: null, commit: null, rescored: false, backend: null, evaluation: '' };
  const s = partStats([
    { ...base, perClassIoU: { arm: 0.1, head: null } },
    { ...base, perClassIoU: { arm: 0.2, head: 0.5 } },
    { ...base, perClassIoU: { arm: 0.3 } },
  ]);
  assert.equal(s.arm.n, 3);
  assert.ok(Math.abs(s.arm.mean - 20) < 1e-9);
  // t(0.975, 2) = 4.303, sd 10 → 4.303 · 10 / √3
  assert.ok(Math.abs(s.arm.ci95! - (4.303 * 10) / Math.sqrt(3)) < 1e-6);
  assert.deepEqual(s.head, { mean: 50, ci95: null, n: 1 });
});

test('the published Table 1 is restorable from a clone: every row\'s results.json is in the repository, not git-ignored', () => {
  const root = join(__dirname, '..', '..');
  const doc = JSON.parse(readFileSync(join(root, 'docs/results/table-1.json'), 'utf8')) as { rows: { source: string }[] };
  assert.ok(doc.rows.length > 0);
  for (const { source } of doc.rows) {
    assert.ok(existsSync(join(root, source)), `${source} is missing`);
    // check-ignore exits 1 when the path is not ignored (a runs/ rule once hid these files from git)
    const r = spawnSync('git', ['check-ignore', '-q', source], { cwd: root });
    assert.equal(r.status, 1, `${source} is git-ignored: a clone would not have it`);
    // A baseline summary's entries point at their kind's evaluation files: those are restorable too (a restored kind
    // is then not trained again).
    const summary = JSON.parse(readFileSync(join(root, source), 'utf8')) as { rows?: { resultsPath?: string }[] };
    const rel = source.replace(/^docs\/results\/table-1\/runs\//, '');
    for (const { resultsPath } of summary.rows ?? []) {
      if (!resultsPath) continue;
      const at = resultsPath.indexOf(`${dirname(rel)}/`);
      assert.ok(at >= 0, `${source}: ${resultsPath} is outside its seed folder`);
      assert.ok(existsSync(join(root, 'docs/results/table-1/runs', resultsPath.slice(at))), `${source}: ${resultsPath.slice(at)} is not published`);
    }
  }
});

test('multi-shot SRN+linear: the multi-view runs of the chosen seeds, a wrong file named, a markdown row per seed', () => {
  const runs = join(dir, 'runs-multi');
  const put = (rel: string, doc: unknown) => {
    mkdirSync(join(runs, rel, '..'), { recursive: true });
    writeFileSync(join(runs, rel), JSON.stringify(doc));
  };
  const ev = (mIOU: number) => ({ method: 'srn+linear', protocol: { name: 'multi', observedViews: [0, 5] }, dataset: { className: 'Chair' }, mIOU, shapeMIOU: mIOU - 0.1, perClassIoU: { chair_arm: mIOU / 2 }, totalSeconds: 900 });
  put('semi-supervised-probe/cpu64/chair-multi-seed0/results.json', ev(0.7));
  put('semi-supervised-probe/cpu64/chair-multi-seed2/results.json', ev(0.8));
  put('semi-supervised-probe/cpu64/chair-seed1/results.json', { ...ev(0.1), protocol: { name: 'single' } });
  const rows = collectMultiShot(runs, 'cpu64', ['chair', 'table'], [0, 1, 2]);
  assert.deepEqual(rows.map((r) => [r.className, r.seed, r.mIOU, r.detail.wallSeconds]), [['Chair', 0, 0.7, 900], ['Chair', 2, 0.8, 900]]);
  assert.deepEqual(collectMultiShot(runs, 'cpu', ['chair'], [0, 1, 2]), []);
  put('semi-supervised-probe/cpu64/table-multi-seed0/results.json', { ...ev(0.5), protocol: { name: 'single' } });
  assert.throws(() => collectMultiShot(runs, 'cpu64', ['table'], [0]), /table-multi-seed0\/results\.json: expected a finished multi-view/);
  const md = supplementMarkdown(SUPPLEMENTS.multiShotSrnLinear.title, [{ className: 'Chair', seeds: [0, 2], mIOU: { mean: 75, ci95: 63.5 }, shapeMIOU: { mean: 65, ci95: null }, rows: [
    { seed: 0, 'mIOU %': 70, 'shape-mIOU %': 60, perClassIoU: { chair_arm: 35 }, wallSeconds: 900, commit: 'abcdef123', source: 'docs/results/table-1/runs/x.json' },
  ] }], 'table-1');
  assert.ok(md.includes('**Chairs**, seeds 0, 2: mIOU 75.0 ± 63.5, shape-mIOU 65.0 (mean ± 95% CI).'));
  assert.ok(md.includes('| 0 | 70.0 | 60.0 | 35.0 | 900 s | abcdef1 | `runs/x.json` |'));
  assert.deepEqual(supplementMarkdown('x', [], 'table-1'), []);
  const one = supplementMarkdown('x', [{ className: 'Table', seeds: [1], mIOU: { mean: 60, ci95: null }, shapeMIOU: { mean: 20, ci95: null }, rows: [] }], 'table-1');
  assert.ok(one.includes('**Tables**, seed 1 only: mIOU 60.0, shape-mIOU 20.0.'), one.join('\n'));
});

test("the U-Net on rendered RGB: srn-render-unet's file of each seed, its wall the run's total, another method refused", () => {
  const runs = join(dir, 'runs-rendered');
  const put = (rel: string, doc: unknown) => (mkdirSync(join(runs, rel, '..'), { recursive: true }), writeFileSync(join(runs, rel), JSON.stringify(doc)));
  const rel = (seed: number) => `unet-baselines/cpu64/chair-seed${seed}/srn-render-unet/results-rendered-unet.json`;
  put(rel(1), { method: 'srn-render+unet2d', protocol: { name: 'single' }, dataset: { className: 'Chair' }, mIOU: 0.6, shapeMIOU: 0.5, perClassIoU: {}, timings: { totalSeconds: 4000, evalSeconds: 2500 } });
  const rows = collectSupplement('renderedRgbUnet', runs, 'cpu64', ['chair'], [0, 1, 2]);
  assert.deepEqual(rows.map((r) => [r.seed, r.mIOU, r.detail.wallSeconds]), [[1, 0.6, 4000]]);
  // No code versions: made before the reflection-padding fix; with them, current. The Markdown says which.
  assert.match(rows[0].stale ?? '', /^made with reflection-padding gradient v1/);
  put(rel(0), { method: 'srn-render+unet2d', protocol: { name: 'single' }, dataset: { className: 'Chair' }, mIOU: 0.5, shapeMIOU: 0.4, perClassIoU: {}, codeVersions: { ...UNET_CODE } });
  const both = collectSupplement('renderedRgbUnet', runs, 'cpu64', ['chair'], [0, 1]);
  assert.deepEqual(both.map((r) => [r.seed, r.stale !== undefined]), [[0, false], [1, true]]);
  const md = supplementMarkdown('x', [{ className: 'Chair', seeds: [0, 1], mIOU: { mean: 55, ci95: 1 }, shapeMIOU: { mean: 45, ci95: 1 }, rows: both.map((r) => ({ seed: r.seed, 'mIOU %': r.mIOU * 100, 'shape-mIOU %': null, perClassIoU: {}, wallSeconds: null, commit: null, source: 's', ...(r.stale ? { stale: r.stale } : {}) })) }], 'table-1');
  assert.ok(md.some((l) => l.startsWith('| 0 | 50.0 |')) && md.some((l) => l.startsWith('| 1 STALE | 60.0 |')), md.join('\n'));
  assert.ok(md.some((l) => /^STALE: made with reflection-padding gradient v1/.test(l)));
  put(rel(2), { method: 'srn+unet', protocol: { name: 'single' }, mIOU: 0.7 });
  assert.throws(() => collectSupplement('renderedRgbUnet', runs, 'cpu64', ['chair'], [2]), /chair-seed2\/srn-render-unet\/results-rendered-unet\.json: expected a finished srn-render-unet results\.json \(method 'srn-render\+unet2d'/);
});

test("a row's figure: the first test object's grid under its method's renders folder (baselines) or renders/ (SRN+linear)", () => {
  const png = (p: string) => (mkdirSync(join(dir, p, '..'), { recursive: true }), writeFileSync(join(dir, p), 'png'), join(dir, p));
  const srnUnet = write('r/seed0/srn-unet/results-multi.json', {});
  png('r/seed0/srn-unet/renders/srn_unet-single/test_00_aaaa.png');
  const multi = png('r/seed0/srn-unet/renders/srn_unet-multi/test_00_aaaa.png');
  png('r/seed0/srn-unet/renders/srn_unet-multi/test_01_bbbb.png');
  assert.equal(rowRenderGrid(srnUnet, 'srn+unet', 'multi'), multi);
  const quick = write('r/quick/results.json', {});
  const q = png('r/quick/renders/test_00_aaaa.png');
  assert.equal(rowRenderGrid(quick, 'srn+linear', 'single'), q);
  assert.equal(rowRenderGrid(write('r/none/results.json', {}), 'unet-oracle', 'single'), null, 'no renders kept');
  const md = rendersMarkdown([{ className: 'Chair', column: 5, method: 'srn+unet', protocol: 'multi', seed: 0, object: 'aaaa', file: 'docs/results/table-1/renders/chair-col5-seed0.png' }]);
  assert.ok(md.includes('![Chair column 5 srn+unet multi](table-1/renders/chair-col5-seed0.png)'), md.join('\n'));
  assert.deepEqual(rendersMarkdown([]), []);
});

test('a row whose renders are not on this machine keeps the figure published before, if the file is still there', () => {
  const root = join(dir, 'kept-renders');
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'chair-col1-seed0.png'), 'png');
  const entry = { className: 'Chair', column: 1, method: 'tco+linear', protocol: 'single', seed: 0, object: '141c668f', file: 'docs/results/table-1/renders/chair-col1-seed0.png' };
  const other = { ...entry, column: 2, file: 'docs/results/table-1/renders/chair-col2-seed0.png' };
  assert.deepEqual(keptRender([other, entry], root, entry.file), [entry]);
  assert.deepEqual(keptRender([other, entry], root, other.file), [], 'listed before but its file is gone');
  assert.deepEqual(keptRender([], root, entry.file), [], 'never published');
});

test('a row restored from git keeps the commit published before for the same run (same column, class, seed, protocol and score)', () => {
  const prev = [
    { column: 4, className: 'Chair', seed: 0, protocol: 'single', 'mIOU %': 70.6, commit: 'd7b6af9' },
    { column: 5, className: 'Chair', seed: 0, protocol: 'multi', 'mIOU %': 75.5, commit: 'aaaaaaa' },
  ];
  assert.equal(carriedCommit(prev, { column: 4, className: 'Chair', seed: 0, protocol: 'single', 'mIOU %': 70.6 }), 'd7b6af9');
  assert.equal(carriedCommit(prev, { column: 4, className: 'Chair', seed: 0, protocol: 'single', 'mIOU %': 70.9 }), null, 'another score: another run');
  assert.equal(carriedCommit(prev, { column: 4, className: 'Chair', seed: 1, protocol: 'single', 'mIOU %': 70.6 }), null);
  assert.equal(carriedCommit(prev, { column: 5, className: 'Table', seed: 0, protocol: 'multi', 'mIOU %': 75.5 }), null);
});

test('--commits-from: another publication lends the commit of a run this one does not name; this one comes first', () => {
  const docs = mkdtempSync(join(tmpdir(), 'srn-pub-lenders-'));
  writeFileSync(join(docs, 'table-1.json'), JSON.stringify({
    rows: [
      { column: 3, className: 'Table', seed: 1, protocol: 'single', 'mIOU %': 46.7, commit: 'final01' },
      { column: 4, className: 'Chair', seed: 0, protocol: 'single', 'mIOU %': 70.6, commit: 'final02' },
    ],
    renderedRgbUnet: [{ className: 'Chair', rows: [{ seed: 2, 'mIOU %': 51.2, commit: 'final03' }] }],
  }));
  const previous = {
    rows: [
      { column: 4, className: 'Chair', seed: 0, protocol: 'single', 'mIOU %': 70.6, commit: 'interim' },
      // Published before without one: a lender's stands.
      { column: 3, className: 'Table', seed: 1, protocol: 'single', 'mIOU %': 46.7, commit: null },
    ],
  };
  const refs = commitRefs([previous, readPublication(docs, 'table-1', '--commits-from')]);
  assert.equal(carriedCommit(refs.rows, { column: 3, className: 'Table', seed: 1, protocol: 'single', 'mIOU %': 46.7 }), 'final01', 'lent');
  assert.equal(carriedCommit(refs.rows, { column: 4, className: 'Chair', seed: 0, protocol: 'single', 'mIOU %': 70.6 }), 'interim', "this publication's own first");
  assert.equal(carriedCommit(refs.supplement('renderedRgbUnet'), { className: 'Chair', seed: 2, 'mIOU %': 51.2 }), 'final03', 'supplement rows too');
  assert.deepEqual(refs.supplement('multiShotSrnLinear'), []);
  assert.equal(carriedCommit(commitRefs([previous]).rows, { column: 3, className: 'Table', seed: 1, protocol: 'single', 'mIOU %': 46.7 }), null, 'without the lender');
  assert.throws(() => readPublication(docs, 'table-2', '--commits-from'), /--commits-from: .*table-2\.json does not exist/);
});

test('--compare-to reads a publication by name, else a file or this publication at a git revision, and names bad specs', () => {
  const repo = mkdtempSync(join(tmpdir(), 'srn-pub-compare-'));
  const docs = join(repo, 'docs', 'results');
  mkdirSync(docs, { recursive: true });
  const table = (mIOU: number) => JSON.stringify({ rows: [{ column: 2, id: 'srn-linear', method: 'SRN+linear', protocol: 'single', className: 'Chair', seed: 0, 'mIOU %': mIOU }], records: [], differences: [] });
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: repo, encoding: 'utf8' });
  git('init', '-q');
  writeFileSync(join(docs, 'table-1.json'), table(60.1));
  git('add', '.');
  git('commit', '-qm', 'first');
  const first = git('rev-parse', '--short', 'HEAD').trim();
  // Republished in place since.
  writeFileSync(join(docs, 'table-1.json'), table(61.5));
  writeFileSync(join(repo, 'aside.json'), table(59.0));
  const score = (c: ReturnType<typeof readComparedTable1>) => c.doc.rows[0]['mIOU %'];
  const named = readComparedTable1(docs, 'table-1', 'table-1-interim', repo);
  assert.deepEqual([named.name, named.where, score(named)], ['table-1', 'docs/results/table-1.json', 61.5]);
  const atRev = readComparedTable1(docs, first, 'table-1', repo);
  assert.deepEqual([atRev.where, score(atRev)], [`docs/results/table-1.json at ${first}`, 60.1]);
  assert.equal(score(readComparedTable1(docs, join(repo, 'aside.json'), 'table-1', repo)), 59.0);
  assert.throws(() => readComparedTable1(docs, first, 'table-9', repo), /--compare-to [0-9a-f]+: docs\/results\/table-9\.json is not in git at [0-9a-f]+/);
  assert.throws(() => readComparedTable1(docs, 'table-2', 'table-1', repo), /--compare-to table-2: neither a file nor a folder nor a git revision/);
  writeFileSync(join(repo, 'bad.json'), JSON.stringify({ rows: 'no' }));
  assert.throws(() => readComparedTable1(docs, join(repo, 'bad.json'), 'table-1', repo), /bad\.json/);
});

test('journals of stopped evaluations of the chosen classes and seeds are carried; others and set-aside ones are not', () => {
  const runs = mkdtempSync(join(tmpdir(), 'srn-pub-journals-'));
  const put = (rel: string) => {
    mkdirSync(dirname(join(runs, rel)), { recursive: true });
    writeFileSync(join(runs, rel), JSON.stringify({ fingerprint: {}, records: [] }));
  };
  put('unet-baselines/cpu64/chair-seed2/srn-unet/results-multi.partial.json');
  put('unet-baselines/cpu64/chair-seed2/srn-unet/results-multi.codes.partial.json');
  put('unet-baselines/cpu64/chair-seed2/srn-unet/results-single.partial.json.other-config-2026');
  put('semi-supervised-probe/cpu64/table-multi-seed0/results.partial.json');
  put('unet-baselines/cpu64/chair-seed5/srn-unet/results-multi.partial.json'); // not a chosen seed
  put('unet-baselines/cpu/chair-seed2/srn-unet/results-multi.partial.json'); // another scale
  const rel = (cls: string[]) => evaluationJournals(runs, 'cpu64', cls, [0, 1, 2]).map((p) => p.slice(runs.length + 1));
  assert.deepEqual(rel(['chair', 'table']), [
    'unet-baselines/cpu64/chair-seed2/srn-unet/results-multi.codes.partial.json',
    'unet-baselines/cpu64/chair-seed2/srn-unet/results-multi.partial.json',
    'semi-supervised-probe/cpu64/table-multi-seed0/results.partial.json',
  ]);
  assert.deepEqual(rel(['table']), ['semi-supervised-probe/cpu64/table-multi-seed0/results.partial.json']);
});

test('the present-classes shape-mIOU: mean ± 95% CI per cell, rows without it left out, no section when none has it', () => {
  const three = finiteCI([0.666, 0.682, 0.678, null])!;
  assert.equal(three.n, 3);
  assert.ok(Math.abs(three.mean - 67.533) < 1e-3 && three.ci95! > 0);
  assert.equal(finiteCI([null, Number.NaN]), null);
  const md = presentMarkdown([
    { column: 4, className: 'Table', seeds: [0], shapeMIOUPresent: finiteCI([0.382]) },
    { column: 4, className: 'Chair', seeds: [0, 1, 2], shapeMIOUPresent: three },
    { column: 1, className: 'Chair', seeds: [0], shapeMIOUPresent: null },
  ]).join('\n');
  assert.match(md, /\| 4 \| Chair \| 67\.5 ± \d+\.\d \| 0,1,2 \|\n\| 4 \| Table \| 38\.2 \| 0 \|/);
  assert.doesNotMatch(md, /\| 1 \| Chair/);
  assert.deepEqual(presentMarkdown([{ column: 1, className: 'Chair', seeds: [0], shapeMIOUPresent: null }]), []);
});

test('the per-object markdown: one line per object, "(as …)" where a row labelled it as another kind', () => {
  const md = perObjectMarkdown([{ className: 'Table', columns: ['4 srn+unet', '6 unet-oracle'], objects: [{ position: 9, id: 'f9d21fe7c8', kind: 'regular_table', 'mIOU %': [23.1, 66.1], labelledAs: ['game_table/pool_table', 'regular_table'] }] }]).join('\n');
  assert.match(md, /## Per test object, tables, first seed \(mIOU %\)/);
  assert.match(md, /\| # \| object \| kind \| 4 srn\+unet \| 6 unet-oracle \|\n\|---\|---\|---\|---\|---\|\n\| 9 \| f9d21fe7 \| regular_table \| 23\.1 \(as game_table\/pool_table\) \| 66\.1 \|/);
});
