import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { decodePng, encodePng, readPng } from '../../lib/io/png';

/** Encodes raw pixels with pngjs in a given colour type (0 grey, 2 RGB, 4 grey+alpha, 6 RGBA). */
function encodeAs(colorType: 0 | 2 | 4 | 6, width: number, height: number, rgba: number[]): Buffer {
  const png = new PNG({ width, height, colorType, inputHasAlpha: true, bitDepth: 8 });
  Buffer.from(rgba).copy(png.data);
  return PNG.sync.write(png, { colorType, inputHasAlpha: true });
}

describe('PNG', () => {
  const rgba = [255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 0, 10, 20, 30, 255];

  it('round-trips RGBA exactly, including transparent pixels', () => {
    const img = decodePng(encodePng({ width: 2, height: 2, data: Uint8Array.from(rgba) }));
    assert.equal(img.width, 2);
    assert.equal(img.height, 2);
    assert.deepEqual(Array.from(img.data), rgba);
  });

  it('decodes RGB to RGBA with alpha 255', () => {
    // Opaque input: pngjs composites partial alpha onto white when it writes an RGB file.
    const opaque = [255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 10, 20, 30, 255];
    const buf = encodeAs(2, 2, 2, opaque);
    assert.equal(buf[25], 2, 'the file should really be colour type 2 (RGB)');
    assert.deepEqual(Array.from(decodePng(buf).data), opaque);
  });

  it('decodes grey (and grey + alpha) to RGBA', () => {
    const grey = [7, 7, 7, 255, 200, 200, 200, 255];
    assert.equal(encodeAs(0, 2, 1, grey)[25], 0);
    assert.deepEqual(Array.from(decodePng(encodeAs(0, 2, 1, grey)).data), grey);
    const ga = [7, 7, 7, 0, 200, 200, 200, 99];
    assert.deepEqual(Array.from(decodePng(encodeAs(4, 2, 1, ga)).data), ga);
  });

  it('is byte-deterministic', () => {
    const a = encodePng({ width: 2, height: 2, data: Uint8Array.from(rgba) });
    const b = encodePng({ width: 2, height: 2, data: Uint8Array.from(rgba) });
    assert.deepEqual(a, b);
  });

  it('garbage and truncated input give a clear error naming the source', () => {
    assert.throws(() => decodePng(Buffer.from('definitely not a png'), 'bad.png'), /bad\.png: not a readable PNG image/);
    const good = encodePng({ width: 2, height: 2, data: Uint8Array.from(rgba) });
    assert.throws(() => decodePng(good.subarray(0, 30), 'cut.png'), /cut\.png: not a readable PNG image/);
    assert.throws(() => readPng('/nonexistent/x.png'), /\/nonexistent\/x\.png: cannot read PNG file/);
    assert.throws(() => encodePng({ width: 2, height: 2, data: new Uint8Array(3) }), /3 bytes for a 2×2 RGBA image/);
  });
});
