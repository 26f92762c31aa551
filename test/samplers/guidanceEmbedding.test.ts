import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { guidanceScaleEmbedding } from '../../src/samplers/guidanceEmbedding.js';

/**
 * Golden values: test/golden/make_golden_b.py runs diffusers' get_guidance_scale_embedding (float32 torch).
 * Tolerance: |actual - expected| <= 2^-22 * |1000 w| + 1e-6, two float32 ulps of the sine's argument. torch's
 * float32 exp is not correctly rounded (25 of 256 frequencies differ by an ulp from the correctly rounded value,
 * measured), and sin(1000 w f) amplifies an ulp of f by 1000 w; the reference itself carries this error.
 */
const golden = JSON.parse(readFileSync(resolve(__dirname, '../../../test/golden/guidanceEmbedding.json'), 'utf8')) as {
  cases: { w: number[]; embedding_dim: number; embedding: number[] }[];
};

describe("guidanceScaleEmbedding matches diffusers' get_guidance_scale_embedding", () => {
  for (const c of golden.cases) {
    test(`w = ${JSON.stringify(c.w)}, embedding_dim ${c.embedding_dim}`, () => {
      const actual = guidanceScaleEmbedding(c.w.length === 1 ? c.w[0] : c.w, c.embedding_dim);
      assert.equal(actual.length, c.embedding.length);
      c.embedding.forEach((e, i) => {
        const w = c.w[Math.floor(i / c.embedding_dim)];
        const tol = 2 ** -22 * Math.abs(1000 * w) + 1e-6;
        assert.ok(Math.abs(actual[i] - e) <= tol, `[${i}]: ${actual[i]} vs diffusers ${e} (tolerance ${tol})`);
      });
    });
  }
});

describe('guidanceScaleEmbedding layout', () => {
  test('default dimension is 512: sin of 1000 w f_k in the first half, cos in the second, f_0 = 1', () => {
    const e = guidanceScaleEmbedding(0.001);
    assert.equal(e.length, 512);
    assert.ok(Math.abs(e[0] - Math.sin(1)) < 1e-6);
    assert.ok(Math.abs(e[256] - Math.cos(1)) < 1e-6);
    for (let k = 0; k < 256; k++) assert.ok(Math.abs(e[k] ** 2 + e[256 + k] ** 2 - 1) < 1e-6);
  });

  test('w = 0 gives zeros then ones, exactly', () => {
    const e = guidanceScaleEmbedding(0, 8);
    assert.deepEqual(Array.from(e), [0, 0, 0, 0, 1, 1, 1, 1]);
  });

  test('an odd dimension is zero-padded at the end', () => {
    const e = guidanceScaleEmbedding(2, 7);
    assert.equal(e.length, 7);
    assert.equal(e[6], 0);
    assert.notEqual(e[5], 0);
  });

  test('an array of w gives one row per w, each equal to the single-w embedding', () => {
    const batch = guidanceScaleEmbedding([0.5, 7.5], 16);
    assert.equal(batch.length, 32);
    assert.deepEqual(batch.subarray(0, 16), guidanceScaleEmbedding(0.5, 16));
    assert.deepEqual(batch.subarray(16), guidanceScaleEmbedding(7.5, 16));
  });

  test('bad input names the field: NaN w, w[i] in a batch, an empty batch, embeddingDim < 4 or fractional', () => {
    const isField = (field: string) => (e: unknown) => e instanceof InvalidArgumentError && e.field === field;
    assert.throws(() => guidanceScaleEmbedding(Number.NaN), isField('w'));
    assert.throws(() => guidanceScaleEmbedding([1, Number.POSITIVE_INFINITY]), isField('w[1]'));
    assert.throws(() => guidanceScaleEmbedding([]), isField('w'));
    assert.throws(() => guidanceScaleEmbedding(1, 3), isField('embeddingDim'));
    assert.throws(() => guidanceScaleEmbedding(1, 10.5), isField('embeddingDim'));
  });
});
