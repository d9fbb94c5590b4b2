import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeGif, gifColorIndex, gifPaletteColor } from '../../lib/experiments/gif';

/** Minimal GIF decoder (global palette, full-frame images): frames of palette indices. */
function decodeGif(b: Uint8Array): { width: number; height: number; frames: Uint8Array[]; delays: number[] } {
  assert.equal(String.fromCharCode(...b.subarray(0, 6)), 'GIF89a');
  const width = b[6] | (b[7] << 8);
  const height = b[8] | (b[9] << 8);
  let p = 13 + (b[10] & 0x80 ? 3 << ((b[10] & 7) + 1) : 0);
  const frames: Uint8Array[] = [];
  const delays: number[] = [];
  for (;;) {
    const tag = b[p++];
    if (tag === 0x3b) break;
    if (tag === 0x21) {
      const label = b[p++];
      if (label === 0xf9) delays.push(b[p + 2] | (b[p + 3] << 8));
      while (b[p] !== 0) p += b[p] + 1;
      p++;
      continue;
    }
    assert.equal(tag, 0x2c);
    p += 9;
    const minCode = b[p++];
    const data: number[] = [];
    while (b[p] !== 0) {
      data.push(...b.subarray(p + 1, p + 1 + b[p]));
      p += b[p] + 1;
    }
    p++;
    // LZW decode
    const clear = 1 << minCode;
    const eoi = clear + 1;
    let size = minCode + 1;
    let dict: number[][] = [];
    const reset = () => {
      dict = Array.from({ length: clear + 2 }, (_, i) => [i]);
      size = minCode + 1;
    };
    reset();
    const out: number[] = [];
    let bit = 0;
    let prev: number[] | null = null;
    for (;;) {
      let code = 0;
      for (let i = 0; i < size; i++, bit++) code |= ((data[bit >> 3] >> (bit & 7)) & 1) << i;
      if (code === clear) {
        reset();
        prev = null;
        continue;
      }
      if (code === eoi) break;
      const entry: number[] = code < dict.length ? dict[code] : [...prev!, prev![0]];
      out.push(...entry);
      if (prev) dict.push([...prev, entry[0]]);
      prev = entry;
      if (dict.length === 1 << size && size < 12) size++;
    }
    frames.push(Uint8Array.from(out));
  }
  return { width, height, frames, delays };
}

test('encodeGif: frames round-trip through LZW to the palette indices', () => {
  const w = 37;
  const h = 23;
  const frames = [0, 1, 2].map((k) => {
    const data = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) {
      // gradients + noise: long runs and many distinct codes (the table fills and clears)
      data.set([(i * 7 + k * 40) % 256, (i * 13) % 256, ((i * i) >> 3) % 256, 255], 4 * i);
    }
    return { width: w, height: h, data };
  });
  const big = { width: 200, height: 150, data: new Uint8Array(200 * 150 * 4).map((_, i) => (i * 2654435761) >>> 24) };
  for (const set of [frames, [big]]) {
    const gif = encodeGif(set, 120);
    const d = decodeGif(gif);
    assert.equal(d.width, set[0].width);
    assert.equal(d.height, set[0].height);
    assert.equal(d.frames.length, set.length);
    assert.deepEqual(d.delays, set.map(() => 12));
    set.forEach((f, k) => {
      const want = Uint8Array.from({ length: f.width * f.height }, (_, i) => gifColorIndex(f.data[4 * i], f.data[4 * i + 1], f.data[4 * i + 2]));
      assert.deepEqual(d.frames[k], want, `frame ${k}`);
    });
  }
});

test('gif palette: white, black and pure colours are exact', () => {
  for (const rgb of [[255, 255, 255], [0, 0, 0], [255, 0, 0], [0, 0, 255]] as [number, number, number][]) {
    assert.deepEqual(gifPaletteColor(gifColorIndex(...rgb)), [...rgb]);
  }
  assert.throws(() => encodeGif([]), /no frames/);
  assert.throws(() => encodeGif([{ width: 2, height: 2, data: new Uint8Array(16) }, { width: 3, height: 2, data: new Uint8Array(24) }]), /frame 1 is 3×2/);
});
