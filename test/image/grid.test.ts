import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { GRID_SPEED_COLORS, imageGrid, upscaleNearest, wrapText } from '../../src/image/grid.js';
import { rawImageToPng, type RawImage } from '../../src/image/tensorPng.js';

const invalid = (field: string) => (e: unknown) => e instanceof InvalidArgumentError && e.field === field;

/** A w x h RGB image filled with one colour. */
function solid(w: number, h: number, rgb: [number, number, number]): RawImage {
  const data = new Uint8Array(w * h * 3);
  for (let p = 0; p < w * h; p++) data.set(rgb, p * 3);
  return { data, width: w, height: h, channels: 3 };
}

async function rgbaPixels(png: Buffer) {
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number): number[] =>
    Array.from(data.subarray((y * info.width + x) * 4, (y * info.width + x) * 4 + 4));
  return { info, at };
}

describe('upscaleNearest', () => {
  test('turns each pixel into a scale x scale block', () => {
    const img: RawImage = { data: new Uint8Array([1, 2, 3, 4]), width: 2, height: 2, channels: 1 };
    assert.deepEqual(Array.from(upscaleNearest(img, 2).data), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });
  test('refuses a scale of 0', () => {
    assert.throws(() => upscaleNearest(solid(1, 1, [0, 0, 0]), 0), invalid('scale'));
  });
});

describe('imageGrid', () => {
  test('has the size of columns x rows of scaled cells plus padding (no labels, no title)', async () => {
    const images = [0, 1, 2, 3, 4].map(() => solid(8, 6, [255, 0, 0]));
    const png = await imageGrid(images, { columns: 2, cellScale: 3, padding: 4 });
    const meta = await sharp(png).metadata();
    // width: 4 + 2 * (24 + 4) = 60; height: 4 + 3 rows * (18 + 4) = 70
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 60, 70]);
  });
  test('cells are crisp nearest-neighbour copies at their positions, on the background', async () => {
    const red = solid(2, 2, [255, 0, 0]);
    const blue = await rawImageToPng(solid(2, 2, [0, 0, 255]));
    const png = await imageGrid([red, blue], { cellScale: 4, padding: 2 });
    const { info, at } = await rgbaPixels(png);
    assert.deepEqual([info.width, info.height], [2 + 2 * (8 + 2), 2 + 8 + 2]);
    assert.deepEqual(at(2, 2), [255, 0, 0, 255]);
    assert.deepEqual(at(9, 9), [255, 0, 0, 255]);
    assert.deepEqual(at(12, 2), [0, 0, 255, 255]);
    assert.deepEqual(at(19, 9), [0, 0, 255, 255]);
    assert.deepEqual(at(0, 0), [255, 255, 255, 255]);
    assert.deepEqual(at(10, 5), [255, 255, 255, 255], 'the gap between cells is background');
  });
  test('labels add a caption band under each cell, drawn with the requested background and dark text', async () => {
    const images = [solid(16, 16, [0, 0, 0]), solid(16, 16, [0, 0, 0])];
    const png = await imageGrid(images, {
      cellScale: 4,
      padding: 6,
      fontSize: 13,
      labels: ['LCM 1 step', 'DDIM 50'],
      labelColors: [GRID_SPEED_COLORS.fast, undefined],
    });
    const { info, at } = await rgbaPixels(png);
    // Two caption lines ("LCM 1 step" does not fit 60 px at 13 px: it wraps instead of being cut).
    const captionH = Math.ceil(13 * 0.45) + 2 * Math.ceil(13 * 1.25);
    assert.deepEqual([info.width, info.height], [6 + 2 * (64 + 6), 6 + 64 + captionH + 6]);
    // Left caption: the green tint at its left edge; right caption: plain background there.
    const y = 6 + 64 + 3;
    assert.deepEqual(at(8, y), [0xb7, 0xe4, 0xc7, 255]);
    assert.deepEqual(at(6 + 70 + 2, y), [255, 255, 255, 255]);
    // Text was rendered: some dark pixels in each caption band.
    const dark = (x0: number) => {
      let count = 0;
      for (let yy = 6 + 64; yy < 6 + 64 + captionH; yy++)
        for (let x = x0; x < x0 + 64; x++) if (at(x, yy)[0] < 100) count++;
      return count;
    };
    assert.ok(dark(6) > 20, `left caption has text (${dark(6)} dark pixels)`);
    assert.ok(dark(76) > 20, `right caption has text (${dark(76)} dark pixels)`);
  });
  test('a title adds a band on top', async () => {
    const plain = await sharp(await imageGrid([solid(4, 4, [0, 0, 0])], { cellScale: 40, fontSize: 13 })).metadata();
    const titled = await sharp(
      await imageGrid([solid(4, 4, [0, 0, 0])], { cellScale: 40, fontSize: 13, title: 'measured' }),
    ).metadata();
    assert.equal(titled.height! - plain.height!, Math.ceil(16 * 1.3) + Math.ceil(16 * 0.4));
  });
  test('long labels and titles wrap (issue 11 item 15: "50 steps, 133 ..." was cut); only what exceeds two lines is shortened', () => {
    // 188 px at 13 px is 24 characters of DejaVu Sans at the 0.6 em estimate.
    assert.deepEqual(wrapText('50 steps, 133 ms (DPM-Solver++ 2M, teacher)', 188, 13, 2), [
      '50 steps, 133 ms',
      '(DPM-Solver++ 2M, teacher)'.slice(0, 24 - 1) + '\u2026',
    ]);
    assert.deepEqual(wrapText('LCM 4 steps, 41 ms', 188, 13, 2), ['LCM 4 steps, 41 ms']);
    assert.deepEqual(wrapText('abcdefghij', 47, 13, 2), ['abcdefghij'.slice(0, 6), 'ghij']);
  });
  test('captions are never drawn below 11 px, and large cells get a larger default font', async () => {
    const small = await sharp(
      await imageGrid([solid(4, 4, [0, 0, 0])], { cellScale: 40, padding: 0, fontSize: 6, labels: ['x'] }),
    ).metadata();
    assert.equal(small.height! - 160, Math.ceil(11 * 0.45) + Math.ceil(11 * 1.25));
    const big = await sharp(
      await imageGrid([solid(8, 8, [0, 0, 0])], { cellScale: 36, padding: 0, labels: ['x'] }),
    ).metadata();
    // 288 px cells: 288 / 12 = 24 px captions.
    assert.equal(big.height! - 288, Math.ceil(24 * 0.45) + Math.ceil(24 * 1.25));
  });
  test('the default scale brings the largest image to at most 128 px', async () => {
    const meta = await sharp(await imageGrid([solid(32, 32, [0, 0, 0])], { padding: 0 })).metadata();
    assert.deepEqual([meta.width, meta.height], [128, 128]);
  });
  test('refuses no images, a label count that does not match, a bad colour, bad bytes and a bad column count', async () => {
    const one = [solid(2, 2, [0, 0, 0])];
    await assert.rejects(imageGrid([]), invalid('images'));
    await assert.rejects(imageGrid(one, { labels: ['a', 'b'] }), invalid('labels.length'));
    await assert.rejects(imageGrid(one, { labels: ['a'], labelColors: ['"/><script>'] }), invalid('labelColors[0]'));
    await assert.rejects(imageGrid([Buffer.from('nope')]), invalid('images[0]'));
    await assert.rejects(imageGrid(one, { columns: 0 }), invalid('columns'));
    await assert.rejects(
      imageGrid([{ data: new Uint8Array(3), width: 2, height: 2, channels: 3 }]),
      invalid('images[0].data.length'),
    );
  });
  test('labels with markup characters are drawn as text, not parsed', async () => {
    const png = await imageGrid([solid(8, 8, [0, 0, 0])], { labels: ['<b>&"x"</b>'] });
    assert.equal((await sharp(png).metadata()).format, 'png');
  });
});
