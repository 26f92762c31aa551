import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { InvalidArgumentError, NumericalError } from '../../src/core/errors.js';
import { decodeImage, pngToTensor, rawImageToPng, tensorToPng, tensorToRawImage } from '../../src/image/tensorPng.js';

const invalid = (field: string) => (e: unknown) => e instanceof InvalidArgumentError && e.field === field;

/** Every byte value 0..255 as a 16x16 gray image, mapped to `range` by hand: v = lo + u * (hi - lo) / 255. */
function allLevels(lo: number, hi: number): { u8: Uint8Array; tensor: Float32Array } {
  const u8 = new Uint8Array(256);
  const tensor = new Float32Array(256);
  for (let u = 0; u < 256; u++) {
    u8[u] = u;
    tensor[u] = lo + (u * (hi - lo)) / 255;
  }
  return { u8, tensor };
}

describe('tensorToRawImage', () => {
  test('maps [-1, 1] and [0, 1] linearly onto 0..255 with rounding and clamping', () => {
    const a = tensorToRawImage([-1, -0.5, 0, 0.5, 1, 7, -7], { width: 7, height: 1, channels: 1, range: [-1, 1] });
    // (v + 1) * 127.5 -> 0, 63.75, 127.5, 191.25, 255, clamp 255, clamp 0
    assert.deepEqual(Array.from(a.data), [0, 64, 128, 191, 255, 255, 0]);
    const b = tensorToRawImage([0, 0.25, 1, 1.5], { width: 4, height: 1, channels: 1, range: [0, 1] });
    // v * 255 -> 0, 63.75, 255, clamp 255
    assert.deepEqual(Array.from(b.data), [0, 64, 255, 255]);
  });
  test('CHW planes are interleaved into HWC pixels', () => {
    // 2x1 RGB, planes R = [r0, r1], G = [g0, g1], B = [b0, b1] with values given as bytes / 255.
    const chw = [10, 20, 30, 40, 50, 60].map((u) => u / 255);
    const img = tensorToRawImage(chw, { width: 2, height: 1, channels: 3, layout: 'chw', range: [0, 1] });
    assert.deepEqual(Array.from(img.data), [10, 30, 50, 20, 40, 60]);
  });
  test('HWC input is copied in order', () => {
    const hwc = [10, 20, 30, 40, 50, 60].map((u) => u / 255);
    const img = tensorToRawImage(hwc, { width: 2, height: 1, channels: 3, layout: 'hwc', range: [0, 1] });
    assert.deepEqual(Array.from(img.data), [10, 20, 30, 40, 50, 60]);
  });
  test('the default is CHW with range [-1, 1] (what a VAE decoder outputs)', () => {
    const img = tensorToRawImage(new Float32Array([-1, 1]), { width: 1, height: 1, channels: 2 });
    assert.deepEqual(Array.from(img.data), [0, 255]);
  });
  test('refuses a wrong length, a zero width, an unknown layout, a bad range and bad channels', () => {
    const t = new Float32Array(12);
    assert.throws(() => tensorToRawImage(t, { width: 2, height: 2, channels: 1 }), invalid('tensor.length'));
    assert.throws(() => tensorToRawImage(t, { width: 0, height: 2, channels: 3 }), invalid('width'));
    assert.throws(
      () => tensorToRawImage(t, { width: 2, height: 2, channels: 3, layout: 'nchw' as never }),
      invalid('layout'),
    );
    assert.throws(() => tensorToRawImage(t, { width: 2, height: 2, channels: 3, range: [1, 1] }), invalid('range'));
    assert.throws(
      () => tensorToRawImage(t, { width: 2, height: 2, channels: 3, range: [0, NaN] as [number, number] }),
      invalid('range'),
    );
    assert.throws(() => tensorToRawImage(t, { width: 2, height: 3, channels: 2.5 as never }), invalid('channels'));
  });
  test('a NaN in the tensor is a NumericalError naming the element', () => {
    assert.throws(
      () => tensorToRawImage([0, NaN], { width: 2, height: 1, channels: 1 }),
      (e: unknown) => e instanceof NumericalError && /element 1 is NaN/.test(e.message),
    );
  });
});

describe('tensorToPng and pngToTensor', () => {
  test('writes a real PNG of the right size that decodes to the same bytes (not 16-bit)', async () => {
    const { tensor, u8 } = allLevels(0, 1);
    const png = await tensorToPng(tensor, { width: 16, height: 16, channels: 1, range: [0, 1] });
    const meta = await sharp(png).metadata();
    assert.equal(meta.format, 'png');
    assert.deepEqual([meta.width, meta.height, meta.channels, meta.depth], [16, 16, 1, 'uchar']);
    const raw = await sharp(png).toColourspace('b-w').raw().toBuffer();
    assert.deepEqual(new Uint8Array(raw), u8);
  });
  for (const range of [
    [-1, 1],
    [0, 1],
  ] as const) {
    test(`round trip is exact for all 256 levels in range [${range}]`, async () => {
      const { tensor } = allLevels(range[0], range[1]);
      const png = await tensorToPng(tensor, { width: 16, height: 16, channels: 1, range });
      const back = await pngToTensor(png, { range });
      assert.deepEqual(back.data, tensor);
      assert.deepEqual([back.width, back.height, back.channels, back.layout], [16, 16, 1, 'chw']);
    });
  }
  test('RGB round trip keeps CHW and HWC layouts apart', async () => {
    const w = 3,
      h = 2,
      plane = w * h;
    const chw = new Float32Array(3 * plane);
    for (let i = 0; i < chw.length; i++) chw[i] = (i * 11) / 255; // distinct byte per element
    const png = await tensorToPng(chw, { width: w, height: h, channels: 3, layout: 'chw', range: [0, 1] });
    assert.deepEqual((await pngToTensor(png, { layout: 'chw', range: [0, 1] })).data, chw);
    const hwc = (await pngToTensor(png, { layout: 'hwc', range: [0, 1] })).data;
    // pixel p, channel c sits at p * 3 + c in HWC and at c * plane + p in CHW
    for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) assert.equal(hwc[p * 3 + c], chw[c * plane + p]);
  });
  test('decodeImage converts channels on request', async () => {
    const rgba = await rawImageToPng({ data: new Uint8Array([255, 0, 0, 128]), width: 1, height: 1, channels: 4 });
    assert.deepEqual(Array.from((await decodeImage(rgba)).data), [255, 0, 0, 128]);
    assert.deepEqual(Array.from((await decodeImage(rgba, { channels: 3 })).data), [255, 0, 0]);
    const gray = await rawImageToPng({ data: new Uint8Array([77]), width: 1, height: 1, channels: 1 });
    assert.deepEqual(Array.from((await decodeImage(gray, { channels: 3 })).data), [77, 77, 77]);
    assert.deepEqual(Array.from((await decodeImage(gray, { channels: 4 })).data), [77, 77, 77, 255]);
  });
  test('bytes that are not an image are refused with InvalidArgumentError', async () => {
    await assert.rejects(pngToTensor(Buffer.from('definitely not a png')), invalid('png'));
  });
  test('a raw image whose data does not match its shape is refused', async () => {
    await assert.rejects(
      rawImageToPng({ data: new Uint8Array(5), width: 2, height: 1, channels: 3 }),
      invalid('image.data.length'),
    );
  });
});
