import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { meanSquaredError, psnr } from '../../src/metrics/psnr.js';

describe('psnr(a, b, {dataRange}) = 10 log10(range^2 / MSE)', () => {
  test('MSE 0.01 on [0, 1] images is 20 dB', () => {
    const a = new Float32Array(4);
    const b = [0.1, -0.1, 0.1, -0.1];
    assert.ok(Math.abs(meanSquaredError(a, b) - 0.01) < 1e-9);
    assert.ok(Math.abs(psnr(a, b, { dataRange: 1 }) - 20) < 1e-6);
  });

  test('bytes off by one everywhere (MSE 1, range 255) give 20 log10(255) = 48.1308 dB', () => {
    const a = Uint8Array.from([0, 10, 200, 254]);
    const b = Uint8Array.from([1, 9, 201, 255]);
    assert.ok(Math.abs(psnr(a, b, { dataRange: 255 }) - 48.13080360867909) < 1e-12);
  });

  test('doubling the data range adds 20 log10(2) = 6.0206 dB', () => {
    const a = [0, 0.5, 1];
    const b = [0.1, 0.4, 0.8];
    assert.ok(Math.abs(psnr(a, b, { dataRange: 2 }) - psnr(a, b, { dataRange: 1 }) - 20 * Math.log10(2)) < 1e-12);
  });

  test('identical images give +Infinity', () => {
    assert.equal(psnr([0.2, 0.3], [0.2, 0.3], { dataRange: 1 }), Infinity);
  });

  test('mismatched lengths, empty input, NaN pixels or a bad range throw InvalidArgumentError', () => {
    assert.throws(
      () => psnr([1, 2], [1], { dataRange: 1 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'b.length',
    );
    assert.throws(
      () => psnr([], [], { dataRange: 1 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'a.length',
    );
    assert.throws(
      () => psnr([1, Number.NaN], [1, 2], { dataRange: 1 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'a[1]',
    );
    assert.throws(
      () => psnr([1], [2], { dataRange: 0 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'dataRange',
    );
    assert.throws(
      () => psnr([1], [2], {} as { dataRange: number }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'dataRange',
    );
  });
});
