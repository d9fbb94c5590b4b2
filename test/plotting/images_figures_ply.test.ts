import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labelPalette, rainbow } from '../../lib/plotting/palette';
import { labelsToImage, rgbaToImage, upscaleNearest } from '../../lib/plotting/label_images';
import { composeGrid, gridLayout, imageGridSvg } from '../../lib/plotting/image_grid';
import { comparisonColumns, comparisonFigureSvg, comparisonGrid, writeComparisonGrid } from '../../lib/plotting/comparison_grid';
import { labelledPointCloudPly, pointCloudViews, writeLabelledPointCloudPly } from '../../lib/plotting/point_cloud_ply';
import { readPng } from '../../lib/io/png';

test('palette: class 0 white, the rest matplotlib rainbow from purple to red', () => {
  const p = labelPalette(6);
  assert.equal(p.length, 6);
  assert.deepEqual(p[0], [255, 255, 255]);
  assert.deepEqual(p[1], rainbow(0));
  assert.deepEqual(p[1], [128, 0, 255]); // rainbow(0) = (0.5, 0, 1)
  assert.deepEqual(p[5], [255, 0, 0]); // rainbow(1) ≈ (1, 0, 0) (blue = cos(π/2) rounds to 0)
  assert.deepEqual(rainbow(0.5), [128, 255, 180]); // (0.5, 1, cos(π/4))
  assert.equal(new Set(p.map((c) => c.join())).size, 6, 'colours distinct');
  assert.deepEqual(labelPalette(11)[0], [255, 255, 255]);
  assert.throws(() => labelPalette(0), /positive integer/);
});

test('labelsToImage colours pixels by class and rejects unknown ids', () => {
  const img = labelsToImage([0, 1, 2, 0], 3);
  assert.equal(img.width, 2);
  assert.equal(img.height, 2);
  assert.deepEqual(Array.from(img.data.subarray(0, 4)), [255, 255, 255, 255]);
  assert.deepEqual(Array.from(img.data.subarray(4, 8)), [...labelPalette(3)[1], 255]);
  assert.throws(() => labelsToImage([0, 3, 0, 0], 3), /label 3 at pixel 1 is outside 0\.\.2/);
  assert.throws(() => labelsToImage([0, 0, 0], 3), /not a square image/);
});

test('rgbaToImage maps [-1,1] to bytes, clips, composites over white', () => {
  const img = rgbaToImage([-1, -1, -1, 1, 1, 0, 5, 1, 0, 0, 0, -1, 0, 0, 0, 1]);
  assert.deepEqual(Array.from(img.data), [0, 0, 0, 255, 255, 128, 255, 255, 255, 255, 255, 255, 128, 128, 128, 255]);
});

test('grid size is the sum of tiles plus padding; upscale multiplies sides', () => {
  const a = labelsToImage(new Array(16).fill(1), 3); // 4×4
  const b = upscaleNearest(a, 3); // 12×12
  assert.equal(b.width, 12);
  assert.deepEqual(Array.from(b.data.subarray(0, 4)), Array.from(a.data.subarray(0, 4)));
  const g = composeGrid([[a, a, a], [a, null, a]], { pad: 1 });
  assert.equal(g.width, 3 * 4 + 4);
  assert.equal(g.height, 2 * 4 + 3);
  // Pixel (1,1) is the first tile's top-left, (0,0) padding.
  assert.deepEqual(Array.from(g.data.subarray(0, 4)), [128, 128, 128, 255]);
  assert.deepEqual(Array.from(g.data.subarray(4 * (g.width + 1), 4 * (g.width + 1) + 4)), [...labelPalette(3)[1], 255]);
  assert.throws(() => composeGrid([[a], [b]]), /column 0/);
});

test('one grid layout: composeGrid and imageGridSvg put their cells at gridLayout\'s edges', () => {
  assert.deepEqual(gridLayout([4, 6], [3, 5], 1), { width: 13, height: 11, x: [1, 6], y: [1, 5] });
  const a = labelsToImage(new Array(16).fill(1), 3); // 4×4
  const b = labelsToImage(new Array(24).fill(2), 3, 6); // 6×4
  const g = composeGrid([[a, b]], { pad: 1 });
  const at = (x: number, y: number) => Array.from(g.data.subarray(4 * (y * g.width + x), 4 * (y * g.width + x) + 3));
  assert.deepEqual([at(1, 1), at(6, 1), at(5, 1)], [labelPalette(3)[1], labelPalette(3)[2], [128, 128, 128]]);
  // Square 64-px cells, 8 px apart: each image centred in its cell.
  const svg = imageGridSvg([{ image: a }, { image: b }], { cellSize: 64, gap: 8 });
  const xs = [...svg.matchAll(/<image x="([\d.]+)"/g)].map((m) => Number(m[1]));
  const cells = gridLayout([64, 64], [64], 8);
  assert.deepEqual(xs, [cells.x[0], cells.x[1]]);
});

test('comparison grid: input | pred RGB | GT RGB | pred labels | GT labels per pose', () => {
  const side = 8;
  const rgba = new Float32Array(side * side * 4).fill(0.5);
  const labels = new Int32Array(side * side).fill(2);
  const rows = [0, 1, 2].map(() => ({ predRgba: rgba, gtRgba: rgba, predLabels: labels, gtLabels: labels }));
  const img = comparisonGrid({ inputRgba: rgba, rows, numClasses: 6, grid: { pad: 2 } });
  const tile = 128; // 8 px upscaled ×16
  assert.equal(img.width, 5 * tile + 6 * 2);
  assert.equal(img.height, 3 * tile + 4 * 2);
  const dir = mkdtempSync(join(tmpdir(), 'viz-'));
  try {
    const path = join(dir, 'grid.png');
    const fig = { inputRgba: rgba, rows: rows.map(({ gtRgba: _g, ...r }) => r), numClasses: 6, classNames: ['background', 'back', 'seat', 'leg', 'arm', 'base'] };
    const size = writeComparisonGrid(path, { ...fig, title: 'object 0' });
    const back = readPng(path);
    const grid = comparisonGrid(fig);
    // The grid, with a title and header band above and a legend below, as wide as the grid.
    assert.deepEqual(size, { width: back.width, height: back.height });
    assert.equal(back.width, grid.width);
    assert.ok(back.height > grid.height + 40, `height ${back.height} vs grid ${grid.height}`);
    // Header text is drawn (dark pixels above the grid), and each legend swatch has its class colour.
    const px = (x: number, y: number) => Array.from(back.data.subarray(4 * (y * back.width + x), 4 * (y * back.width + x) + 3));
    let dark = 0;
    for (let y = 22; y < 40; y++) for (let x = 0; x < back.width; x++) if (px(x, y).every((v) => v < 100)) dark++;
    assert.ok(dark > 20, `header band has ${dark} dark pixels`);
    const svg = comparisonFigureSvg(fig);
    for (const h of ['input view', 'predicted RGB', 'predicted labels', 'ground-truth labels', '2 seat', '5 base']) assert.ok(svg.includes(`>${h}<`), h);
    assert.ok(!svg.includes('ground-truth RGB'), 'no ground-truth RGB column when no row has it');
    const [r, g, b] = labelPalette(6)[2];
    assert.ok(svg.includes(`fill="rgb(${r},${g},${b})"`));
    assert.throws(() => comparisonFigureSvg({ ...fig, classNames: ['a'] }), /1 class names for 6 classes/);
    assert.throws(() => comparisonFigureSvg({ ...fig, columnTitles: ['x'] }), /1 column titles for 4 columns/);
    // Labels-only predictors (the U-Nets): no predicted-RGB column.
    const labelsOnly = { ...fig, rows: rows.map(({ predRgba: _p, ...r }) => r) };
    assert.equal(comparisonGrid(labelsOnly).width, 4 * (side * 16) + 5 * 2);
    assert.ok(!comparisonFigureSvg(labelsOnly).includes('>predicted RGB<'));
    // Predictors that see each view itself (the U-Nets): no input column either.
    const noInput = { ...labelsOnly, inputRgba: undefined };
    assert.equal(comparisonGrid(noInput).width, 3 * (side * 16) + 4 * 2);
    assert.deepEqual(comparisonColumns(noInput), ['ground-truth RGB', 'predicted labels', 'ground-truth labels']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('PLY: header, vertex count without background, colours from the palette', () => {
  const text = labelledPointCloudPly(
    [
      { points: [0, 0, 0, 1, 2, 3, 4, 5, 6], labels: [0, 1, 5] },
      { points: [0.5, -0.25, 1e-3], labels: [2] },
    ],
    6,
  );
  const lines = text.trimEnd().split('\n');
  assert.equal(lines[0], 'ply');
  assert.equal(lines[1], 'format ascii 1.0');
  assert.ok(lines.includes('element vertex 3'));
  assert.deepEqual(lines.slice(lines.indexOf('property float x'), lines.indexOf('end_header')), [
    'property float x', 'property float y', 'property float z',
    'property uchar red', 'property uchar green', 'property uchar blue',
  ]);
  const body = lines.slice(lines.indexOf('end_header') + 1);
  assert.equal(body.length, 3);
  assert.equal(body[0], `1 2 3 ${labelPalette(6)[1].join(' ')}`);
  assert.equal(body[2], `0.5 -0.25 0.001 ${labelPalette(6)[2].join(' ')}`);
  assert.throws(() => labelledPointCloudPly({ points: [0, 0], labels: [1] }, 6), /2 coordinates for 1 labels/);
  assert.deepEqual(pointCloudViews(251), [0, 25, 50, 75, 100, 125, 150, 175, 200, 225, 250]);
  const dir = mkdtempSync(join(tmpdir(), 'ply-'));
  try {
    const n = writeLabelledPointCloudPly(join(dir, 'a.ply'), { points: [1, 1, 1, 2, 2, 2], labels: [3, 0] }, 6);
    assert.equal(n, 1);
    assert.match(readFileSync(join(dir, 'a.ply'), 'utf8'), /element vertex 1\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
