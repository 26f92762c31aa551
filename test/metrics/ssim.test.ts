import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { SSIM_K1, ssim } from '../../src/metrics/ssim.js';

/** Cases from test/golden/ssim_reference.py (plain-Python direct 2-D windowed sums, Wang et al. 2004). */
interface SsimCase {
  name: string;
  width: number;
  height: number;
  channels: number;
  seedA: number;
  seedB: number;
  mix: number;
  dataRange: number;
  scale: number;
  ssim: number;
}
const golden = JSON.parse(readFileSync(resolve(__dirname, '../../../test/golden/ssim_reference.json'), 'utf8')) as {
  cases: SsimCase[];
};

/** The reference script's LCG (Numerical Recipes constants): byte = state >>> 24. */
function lcgBytes(seed: number, count: number): number[] {
  const out: number[] = [];
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(1664525, s) + 1013904223) >>> 0;
    out.push(s >>> 24);
  }
  return out;
}

function buildPair(c: SsimCase): { a: Float64Array; b: Float64Array } {
  const n = c.width * c.height * c.channels;
  const ra = lcgBytes(c.seedA, n);
  const rb = lcgBytes(c.seedB, n);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    a[k] = ra[k] * c.scale;
    b[k] = (1 - c.mix) * a[k] + c.mix * rb[k] * c.scale;
  }
  return { a, b };
}

function chwToHwc(x: Float64Array, w: number, h: number, ch: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let c = 0; c < ch; c++) for (let i = 0; i < w * h; i++) out[i * ch + c] = x[c * w * h + i];
  return out;
}

describe('ssim (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03, valid positions)', () => {
  for (const c of golden.cases) {
    test(`${c.name}: matches the plain-Python reference ${c.ssim.toFixed(6)} to 1e-9`, () => {
      const { a, b } = buildPair(c);
      const opts = { width: c.width, height: c.height, channels: c.channels, dataRange: c.dataRange };
      assert.ok(Math.abs(ssim(a, b, opts) - c.ssim) < 1e-9, `got ${ssim(a, b, opts)}`);
      if (c.channels > 1) {
        const hwc = ssim(chwToHwc(a, c.width, c.height, c.channels), chwToHwc(b, c.width, c.height, c.channels), {
          ...opts,
          layout: 'hwc',
        });
        assert.ok(Math.abs(hwc - c.ssim) < 1e-9, `hwc layout gave ${hwc}`);
      }
    });
  }

  test('identical images give 1', () => {
    const { a } = buildPair(golden.cases[1]);
    assert.ok(Math.abs(ssim(a, a, { width: 14, height: 12, channels: 2 }) - 1) < 1e-12);
  });

  test('constant images c1, c2 give (2 c1 c2 + C1) / (c1^2 + c2^2 + C1), the luminance term alone', () => {
    const [c1, c2] = [0.3, 0.6];
    const C1 = SSIM_K1 ** 2;
    const expected = (2 * c1 * c2 + C1) / (c1 * c1 + c2 * c2 + C1);
    const got = ssim(new Float32Array(144).fill(c1), new Float32Array(144).fill(c2), {
      width: 12,
      height: 12,
      channels: 1,
    });
    assert.ok(Math.abs(got - expected) < 1e-6, `got ${got}, expected ${expected}`);
  });

  test('is symmetric in its arguments and below 1 for different images', () => {
    const { a, b } = buildPair(golden.cases[0]);
    const o = { width: 11, height: 11, channels: 1 };
    assert.ok(Math.abs(ssim(a, b, o) - ssim(b, a, o)) < 1e-12);
    assert.ok(ssim(a, b, o) < 1);
  });

  test('images smaller than the window, wrong lengths or bad options throw InvalidArgumentError', () => {
    const x = new Float32Array(100);
    assert.throws(
      () => ssim(x, x, { width: 10, height: 10, channels: 1 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'width',
    );
    const y = new Float32Array(121);
    assert.throws(
      () => ssim(y, y, { width: 11, height: 11, channels: 2 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'a.length',
    );
    assert.throws(
      () => ssim(y, y.subarray(1), { width: 11, height: 11, channels: 1 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'b.length',
    );
    assert.throws(
      () => ssim(y, y, { width: 11, height: 11, channels: 1, layout: 'nchw' as 'chw' }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'layout',
    );
    assert.throws(
      () => ssim(y, y, { width: 11, height: 11, channels: 1, dataRange: -1 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'dataRange',
    );
  });
});
