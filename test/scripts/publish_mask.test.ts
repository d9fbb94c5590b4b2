/** scripts/publish-mask.ts: the README's tables of a reconstruction-from-a-mask run, and a run published with its figures. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { UNET_CODE } from '../../lib/eval/result_code';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { maskChanges, maskChangesMarkdown, maskMarkdown } from '../../scripts/publish-mask';

const root = resolve(__dirname, '..', '..');
const obj = (position: number, mIOU: number, figure = `/x/mask_0${position}.png`) => ({ id: `obj${position}abcdef`, position, mIOU, shapeMIOU: mIOU - 0.05, psnr: 18, figure });
const head = (objects: ReturnType<typeof obj>[], mIOU: number) => ({ mIOU, shapeMIOU: mIOU - 0.05, psnr: 18.25, perClassIoU: { background: 0.95, chair_arm: 0.2, chair_head: null }, objects });

test('maskMarkdown: pooled and per-object scores per head, every object under both heads, the paired difference', () => {
  const md = maskMarkdown({ linear: head([obj(0, 0.5), obj(1, 0.7)], 0.61), unet: head([obj(0, 0.58), obj(1, 0.75)], 0.68) }).join('\n');
  // objects 50 / 70: mean 60, std 14.14 → 12.706 × 14.14 / √2 = 127.1
  assert.match(md, /\| linear \(semi-supervised SRN, 30 labelled images\) \| 61\.0 \| 56\.0 \| 18\.25 dB \| 60\.0 ± 127\.1 \(n=2\) \| background 95\.0, chair_arm 20\.0, chair_head n\/a \|/);
  assert.match(md, /\| 0 \| obj0abcd \| 50\.0 \| 58\.0 \| \+8\.0 \|/);
  assert.match(md, /\| 1 \| obj1abcd \| 70\.0 \| 75\.0 \| \+5\.0 \|/);
  // differences 8 and 5: mean 6.5, std 2.12 → 12.706 × 2.12 / √2 = 19.1
  assert.match(md, /mIOU \+6\.5 ± 19\.1 points, shape-mIOU \+6\.5 ± 19\.1 \(mean ± 95% CI over 2 objects, Student's t\); the U-Net head is ahead on 2 of 2\./);
  const one = maskMarkdown({ unet: head([obj(0, 0.58)], 0.58) }).join('\n');
  assert.doesNotMatch(one, /paired by object/, 'one head: no difference');
  assert.match(one, /\| 0 \| obj0abcd \| 58\.0 \|\n/);
});

test('the script copies the results and every figure they name, and says what is missing', () => {
  const runs = mkdtempSync(join(tmpdir(), 'publish-mask-'));
  const dir = join(runs, 'mask-reconstruction', 'small', 'chair');
  mkdirSync(dir, { recursive: true });
  const fig = join(dir, 'mask_00_obj0abcd.png');
  writeFileSync(fig, 'png');
  const doc = { heads: { linear: head([obj(0, 0.5, fig)], 0.5) }, figures: { object0: fig }, totalSeconds: 12.3 };
  writeFileSync(join(dir, 'results.json'), JSON.stringify(doc));
  const out = mkdtempSync(join(tmpdir(), 'publish-mask-out-'));
  const run = () => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/publish-mask.ts', '--runs', runs, '--scale', 'small', '--class', 'chair', '--command', 'cmd', '--ran-at', 'HEAD', '--out', out], { cwd: root, encoding: 'utf8' });
  const stale = join(out, 'mask-reconstruction-small-chair', 'mask_05_old.png');
  mkdirSync(join(out, 'mask-reconstruction-small-chair'), { recursive: true });
  writeFileSync(stale, 'old');
  const r = run();
  assert.equal(r.status, 0, r.stderr);
  const pub = join(out, 'mask-reconstruction-small-chair');
  assert.equal(readFileSync(join(pub, 'mask_00_obj0abcd.png'), 'utf8'), 'png');
  assert.ok(!existsSync(stale), 'a figure the run does not name goes');
  assert.match(readFileSync(join(pub, 'README.md'), 'utf8'), /Command: `cmd`, at commit [0-9a-f]+; 12 s\./);
  assert.doesNotMatch(readFileSync(join(pub, 'README.md'), 'utf8'), /STALE/, 'a linear head alone is never stale');
  // A U-Net head without code versions was made before the reflection-padding fix; one with them is current.
  for (const [versions, stale] of [[undefined, true], [{ ...UNET_CODE }, false]] as const) {
    writeFileSync(join(dir, 'results.json'), JSON.stringify({ ...doc, heads: { ...doc.heads, unet: { ...head([obj(0, 0.6, fig)], 0.6), ...(versions ? { codeVersions: versions } : {}) } } }));
    assert.equal(run().status, 0);
    const readme = readFileSync(join(pub, 'README.md'), 'utf8');
    if (stale) assert.match(readme, /\*\*STALE: the U-Net head's numbers were made with reflection-padding gradient v1/);
    else assert.doesNotMatch(readme, /STALE/);
  }
  writeFileSync(join(dir, 'results.json'), JSON.stringify({ ...doc, figures: { object0: join(dir, 'gone.png') } }));
  const bad = run();
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /results\.json: figure .*gone\.png is not there/);
});

test('maskChanges: per head the pooled score, the mean and the objects that moved; the paired difference both sides', () => {
  const linear = head([obj(0, 0.5), obj(1, 0.7)], 0.61);
  const before = { linear, unet: head([obj(0, 0.58), obj(1, 0.75)], 0.68) };
  const after = { linear, unet: head([obj(0, 0.56), obj(1, 0.75), obj(2, 0.8)], 0.7) };
  const c = maskChanges(before, after);
  assert.deepEqual(c.heads.map((h) => h.head), ['unet'], 'the linear head did not move');
  assert.deepEqual(c.heads[0].objects.map((o) => [o.position, o.before === null ? null : +o.before.toFixed(6), o.after === null ? null : +o.after.toFixed(6)]), [[0, 58, 56], [2, null, 80]]);
  assert.deepEqual([c.heads[0].pooled.before, c.heads[0].pooled.after].map((x) => +x!.toFixed(6)), [68, 70]);
  assert.ok(Math.abs(c.heads[0].mean.before!.mean - 66.5) < 1e-9 && c.heads[0].mean.after!.n === 3);
  // paired over the objects both heads have: before +8, +5 → 6.5; after +6, +5 → 5.5
  assert.ok(Math.abs(c.paired.before!.mean - 6.5) < 1e-9 && Math.abs(c.paired.after!.mean - 5.5) < 1e-9);
  const md = maskChangesMarkdown('`x` at abc1234', c).join('\n');
  assert.match(md, /## Changed since `x` at abc1234/);
  assert.match(md, /\| unet \| 68\.0 → 70\.0 \| 66\.5 ± [\d.]+ → [\d.]+ ± [\d.]+ \| 0 \(obj0abcd\): 58\.0 → 56\.0; 2 \(obj2abcd\): — → 80\.0 \|/);
  assert.match(md, /paired by object: \+6\.5 ± [\d.]+ → \+5\.5 ± [\d.]+ points/);
  assert.deepEqual(maskChanges(before, before).heads, []);
  assert.deepEqual(maskChangesMarkdown('`x`', maskChanges(before, before)), ['Nothing changed since `x`.', '']);
});

test('--compare-to: the README says what moved since the earlier results.json (a file, a folder or git); bad ones are named', () => {
  const runs = mkdtempSync(join(tmpdir(), 'publish-mask-cmp-'));
  const dir = join(runs, 'mask-reconstruction', 'small', 'chair');
  mkdirSync(dir, { recursive: true });
  const write = (u: number) => writeFileSync(join(dir, 'results.json'), JSON.stringify({ heads: { linear: head([obj(0, 0.5, '')], 0.5), unet: { ...head([obj(0, u, '')], u), codeVersions: { ...UNET_CODE } } }, figures: {} }));
  const out = mkdtempSync(join(tmpdir(), 'publish-mask-cmp-out-'));
  const pub = join(out, 'mask-reconstruction-small-chair');
  const run = (...extra: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/publish-mask.ts', '--runs', runs, '--scale', 'small', '--class', 'chair', '--command', 'cmd', '--ran-at', 'HEAD', '--out', out, ...extra], { cwd: root, encoding: 'utf8' });
  write(0.6);
  assert.equal(run().status, 0);
  assert.ok(!existsSync(join(pub, 'changed-since.json')));
  write(0.64);
  const r = run('--compare-to', pub);
  assert.equal(r.status, 0, r.stderr);
  const readme = readFileSync(join(pub, 'README.md'), 'utf8');
  assert.match(readme, /\| unet \| 60\.0 → 64\.0 \| 60\.0 → 64\.0 \| 0 \(obj0abcd\): 60\.0 → 64\.0 \|/);
  assert.match(readme, /paired by object: \+10\.0 → \+14\.0 points/);
  const changed = JSON.parse(readFileSync(join(pub, 'changed-since.json'), 'utf8'));
  assert.equal(changed.from, `\`${join(pub, 'results.json')}\``);
  assert.deepEqual(changed.heads.map((h: { head: string }) => h.head), ['unet']);
  assert.match(run('--compare-to', 'HEAD').stderr, /--compare-to HEAD: \.\.\/.*results\.json is not in git at [0-9a-f]+/);
  assert.match(run('--compare-to', 'no-such-rev-xyz').stderr, /neither a file nor a folder nor a git revision/);
  const bad = join(out, 'bad.json');
  writeFileSync(bad, JSON.stringify({ heads: { unet: { mIOU: 0.5 } } }));
  assert.match(run('--compare-to', bad).stderr, /bad\.json: heads\.unet needs a numeric mIOU and objects/);
  // Without --compare-to, a republication drops the comparison it no longer makes.
  assert.equal(run().status, 0);
  assert.ok(!existsSync(join(pub, 'changed-since.json')));
});
