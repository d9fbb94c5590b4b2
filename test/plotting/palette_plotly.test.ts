import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classPalette, classPaletteRgb, curvesFigure, pointCloudFigure, rgbToHex } from '../../lib/plotting';
import { labelPalette } from '../../lib/plotting/palette';

test('classPalette: class 0 white, others the reference rainbow (same as lib/viz labelPalette)', () => {
  const p = classPalette(7);
  assert.equal(p.length, 7);
  assert.equal(p[0], '#ffffff');
  assert.equal(p[1], '#8000ff'); // matplotlib rainbow(0): violet
  assert.equal(p[6], '#ff0000'); // rainbow(1): red
  assert.equal(new Set(p).size, 7);
  for (const c of p) assert.match(c, /^#[0-9a-f]{6}$/);
  assert.deepEqual(classPaletteRgb(7), labelPalette(7));
  assert.deepEqual(p, labelPalette(7).map(rgbToHex));
  assert.deepEqual(classPalette(1), ['#ffffff']);
  assert.throws(() => classPalette(0), /numClasses must be a positive integer/);
});

test('pointCloudFigure: one scatter3d trace per class, coloured by the palette', () => {
  const pts = [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1];
  const fig = pointCloudFigure(pts, [0, 2, 2, 1], { numClasses: 3, classNames: ['bg', 'seat', 'leg'] });
  const pal = classPalette(3);
  assert.deepEqual(fig.data.map((t) => t.name), ['bg', 'seat', 'leg']);
  assert.deepEqual(fig.data.map((t) => (t.marker as { color: string }).color), pal);
  assert.deepEqual(fig.data[2].x, [1, 0]);
  assert.deepEqual(fig.data[2].y, [0, 1]);
  assert.equal(fig.data[0].type, 'scatter3d');
  const nested = pointCloudFigure([[0, 0, 0], [1, 2, 3]], [1, 1]);
  assert.deepEqual([nested.data[0].x, nested.data[0].y, nested.data[0].z], [[0, 1], [0, 2], [0, 3]]);
  assert.throws(() => pointCloudFigure([0, 0], [0]), /not a multiple of 3/);
  assert.throws(() => pointCloudFigure(pts, [0, 1]), /4 points but 2 labels/);
  assert.throws(() => pointCloudFigure(pts, [0, 1, 2, 3], { numClasses: 3 }), /label 3 >= numClasses 3/);
  assert.throws(() => pointCloudFigure(pts, [0, 1, 1.5, 0]), /labels\[2\] = 1.5/);
});

test('curvesFigure: lines with default steps, NaN as gaps, log axis option', () => {
  const fig = curvesFigure([{ name: 'a', values: new Float32Array([1, NaN, 0.5]) }], { logY: true });
  assert.deepEqual(fig.data[0].x, [0, 1, 2]);
  assert.deepEqual(fig.data[0].y, [1, null, 0.5]);
  assert.equal((fig.layout.yaxis as { type: string }).type, 'log');
});
