import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  float16ArrayToFloat32,
  float16BitsToFloat32,
  float32ArrayToFloat16,
  float32ToFloat16Bits,
} from '../../src/onnx/float16.js';

// Expected bit patterns worked out by hand from IEEE 754 binary16: sign(1) exponent(5, bias 15) mantissa(10).
describe('float32ToFloat16Bits', () => {
  const cases: Array<[string, number, number]> = [
    ['1 is 0x3c00 (exponent 15, mantissa 0)', 1, 0x3c00],
    ['-2 is 0xc000', -2, 0xc000],
    ['+0 is 0x0000', 0, 0x0000],
    ['-0 keeps its sign: 0x8000', -0, 0x8000],
    ['65504, the largest half, is 0x7bff', 65504, 0x7bff],
    ['65519 (below the midpoint to 65536) rounds down to 65504', 65519, 0x7bff],
    ['65520 (the midpoint, odd mantissa 0x3ff) rounds to even: overflow to +Infinity', 65520, 0x7c00],
    ['1e6 overflows to +Infinity', 1e6, 0x7c00],
    ['-Infinity is 0xfc00', -Infinity, 0xfc00],
    ['2^-14, the smallest normal, is 0x0400', 2 ** -14, 0x0400],
    ['2^-24, the smallest subnormal, is 0x0001', 2 ** -24, 0x0001],
    ['2^-25 (half the smallest subnormal) ties to even: 0', 2 ** -25, 0x0000],
    ['1.5 * 2^-25 rounds up to the smallest subnormal', 1.5 * 2 ** -25, 0x0001],
    ['3 * 2^-25 (tie between 1 and 2 units) rounds to even: 2 units', 3 * 2 ** -25, 0x0002],
    ['2^-26 rounds to 0', 2 ** -26, 0x0000],
    ['1023 * 2^-24 (largest subnormal) is 0x03ff', 1023 * 2 ** -24, 0x03ff],
    ['1 + 2^-11 (tie, even mantissa 0) rounds down to 1', 1 + 2 ** -11, 0x3c00],
    ['1 + 3 * 2^-11 (tie, odd mantissa 1) rounds up to mantissa 2', 1 + 3 * 2 ** -11, 0x3c02],
    ['1 + 2^-11 + 2^-20 (just above the tie) rounds up', 1 + 2 ** -11 + 2 ** -20, 0x3c01],
    ['0.1 is 0x2e66 (0.0999755859375)', 0.1, 0x2e66],
    ['1/3 is 0x3555', 1 / 3, 0x3555],
    ['a float32 subnormal (1e-40) is 0', 1e-40, 0x0000],
  ];
  for (const [name, value, bits] of cases) {
    test(name, () => assert.equal(float32ToFloat16Bits(value), bits));
  }
  test('NaN stays NaN: exponent all ones, mantissa non-zero', () => {
    const b = float32ToFloat16Bits(NaN);
    assert.equal(b & 0x7c00, 0x7c00);
    assert.notEqual(b & 0x03ff, 0);
  });
});

describe('float16BitsToFloat32', () => {
  test('decodes normals, subnormals, zeros, infinities and NaN', () => {
    assert.equal(float16BitsToFloat32(0x3c00), 1);
    assert.equal(float16BitsToFloat32(0xc000), -2);
    assert.equal(float16BitsToFloat32(0x7bff), 65504);
    assert.equal(float16BitsToFloat32(0x0001), 2 ** -24);
    assert.equal(float16BitsToFloat32(0x0400), 2 ** -14);
    assert.equal(float16BitsToFloat32(0x3555), 0.333251953125);
    assert.ok(Object.is(float16BitsToFloat32(0x8000), -0));
    assert.equal(float16BitsToFloat32(0x7c00), Infinity);
    assert.equal(float16BitsToFloat32(0xfc00), -Infinity);
    assert.ok(Number.isNaN(float16BitsToFloat32(0x7e00)));
  });
  test('every finite half survives half -> float32 -> half unchanged', () => {
    for (let b = 0; b < 65536; b++) {
      if ((b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0) continue; // NaN payloads
      assert.equal(float32ToFloat16Bits(float16BitsToFloat32(b)), b);
    }
  });
});

describe('array conversions', () => {
  test('float32ArrayToFloat16 and float16ArrayToFloat32 convert element-wise', () => {
    const bits = float32ArrayToFloat16(new Float32Array([1, -2, 0.1, 65520]));
    assert.deepEqual(Array.from(bits), [0x3c00, 0xc000, 0x2e66, 0x7c00]);
    const back = float16ArrayToFloat32(bits);
    assert.ok(back instanceof Float32Array);
    assert.deepEqual(Array.from(back), [1, -2, Math.fround(0.0999755859375), Infinity]);
  });
});
