import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';

/** Golden values from test/golden/rng_reference.py (pure-Python SplitMix64 + xoshiro128** + Box-Muller). */
interface GoldenCase {
  seed: number;
  uint32: number[];
  uniform_float64: number[];
  uniform_float32: number[];
  normal_float64: number[];
  normal_float32: number[];
}
const golden = JSON.parse(readFileSync(resolve(__dirname, '../../../test/golden/rng_reference.json'), 'utf8')) as {
  cases: GoldenCase[];
  xoshiro128ss_state_1234_first10: number[];
};

/** One float32 ulp at |x| <= 1, relative above: Math.log/cos/sin may differ by an ulp between libm and V8. */
function closeFloat32(actual: number, expected: number): boolean {
  return Math.abs(actual - expected) <= 2 ** -23 * Math.max(1, Math.abs(expected));
}

describe('Rng matches the published algorithms (golden values from a pure-Python reference)', () => {
  test('the golden file covers seeds 0, 1, 42 and 2^40 + 7', () => {
    assert.deepEqual(
      golden.cases.map((c) => c.seed),
      [0, 1, 42, 2 ** 40 + 7],
    );
  });

  for (const c of golden.cases) {
    test(`seed ${c.seed}: the first ${c.uint32.length} xoshiro128** outputs are bit-identical`, () => {
      const rng = new Rng(c.seed);
      const actual = c.uint32.map(() => rng.nextUint32());
      assert.deepEqual(actual, c.uint32);
    });

    test(`seed ${c.seed}: uniform1() equals (x >>> 8) / 2^24 + 2^-25 exactly, uniform(n) its float32 rounding`, () => {
      const a = new Rng(c.seed);
      assert.deepEqual(
        c.uniform_float64.map(() => a.uniform1()),
        c.uniform_float64,
      );
      const b = new Rng(c.seed);
      assert.deepEqual(Array.from(b.uniform(c.uniform_float32.length)), c.uniform_float32);
    });

    test(`seed ${c.seed}: normal(n) matches Box-Muller (cos then sin) to one float32 ulp`, () => {
      const rng = new Rng(c.seed);
      const actual = rng.normal(c.normal_float32.length);
      for (let i = 0; i < actual.length; i++) {
        assert.ok(
          closeFloat32(actual[i], c.normal_float32[i]),
          `normal[${i}] = ${actual[i]}, reference ${c.normal_float32[i]}`,
        );
      }
    });

    test(`seed ${c.seed}: normal1() (float64) matches the reference to 1e-12`, () => {
      const rng = new Rng(c.seed);
      for (let i = 0; i < c.normal_float64.length; i++) {
        const z = rng.normal1();
        assert.ok(Math.abs(z - c.normal_float64[i]) <= 1e-12, `normal1 #${i} = ${z}, reference ${c.normal_float64[i]}`);
      }
    });
  }

  test('an odd-length normal() call keeps the Box-Muller spare for the next call (stream is split-invariant)', () => {
    const c = golden.cases[2];
    const rng = new Rng(c.seed);
    const joined = [...rng.normal(3), ...rng.normal(5)];
    for (let i = 0; i < 8; i++) assert.ok(closeFloat32(joined[i], c.normal_float32[i]), `element ${i}`);
  });

  test('the xoshiro128** core reproduces the reference vector for state (1, 2, 3, 4)', () => {
    // rng.ts keeps the state private; the test sets it directly to check the core step apart from seeding.
    const rng = new Rng(0) as unknown as { s0: number; s1: number; s2: number; s3: number; nextUint32(): number };
    rng.s0 = 1;
    rng.s1 = 2;
    rng.s2 = 3;
    rng.s3 = 4;
    const expected = golden.xoshiro128ss_state_1234_first10;
    assert.deepEqual(
      expected.map(() => rng.nextUint32()),
      expected,
    );
  });
});

describe('Rng statistics (seed 2024, 10^5 samples; bounds are 5 standard errors)', () => {
  const n = 100_000;

  test('normal(): mean within 5/sqrt(n) = 0.0158 of 0, variance within 5*sqrt(2/n) = 0.0224 of 1', () => {
    const z = new Rng(2024).normal(n);
    let sum = 0;
    for (const v of z) sum += v;
    const mean = sum / n;
    let ss = 0;
    for (const v of z) ss += (v - mean) ** 2;
    const variance = ss / (n - 1);
    assert.ok(Math.abs(mean) < 5 / Math.sqrt(n), `mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 5 * Math.sqrt(2 / n), `variance ${variance}`);
  });

  test('normal(): the share inside +-1.96 is 0.95 within 5*sqrt(0.95*0.05/n) = 0.0034', () => {
    const z = new Rng(7).normal(n);
    let inside = 0;
    for (const v of z) if (Math.abs(v) < 1.959963984540054) inside++;
    assert.ok(Math.abs(inside / n - 0.95) < 5 * Math.sqrt((0.95 * 0.05) / n), `share ${inside / n}`);
  });

  test('uniform(): every value lies in (0, 1) and the mean is 1/2 within 5*sqrt(1/(12 n)) = 0.0046', () => {
    const u = new Rng(11).uniform(n);
    let sum = 0;
    for (const v of u) {
      assert.ok(v > 0 && v < 1);
      sum += v;
    }
    assert.ok(Math.abs(sum / n - 0.5) < 5 * Math.sqrt(1 / (12 * n)), `mean ${sum / n}`);
  });
});

describe('Rng seeding and forks', () => {
  test('the same seed gives the same stream; different seeds differ', () => {
    assert.deepEqual(new Rng(5).normal(16), new Rng(5).normal(16));
    assert.notDeepEqual(new Rng(5).normal(16), new Rng(6).normal(16));
  });

  test('fork() is deterministic and its stream differs from the parent', () => {
    const a = new Rng(9);
    const b = new Rng(9);
    const fa = a.fork();
    const fb = b.fork();
    assert.equal(fa.seed, fb.seed);
    assert.deepEqual(fa.normal(8), fb.normal(8));
    assert.notDeepEqual(a.normal(8), fa.normal(8));
  });

  for (const bad of [-1, 1.5, Number.NaN, Infinity, 2 ** 53, '1' as unknown as number]) {
    test(`seed ${typeof bad === 'string' ? JSON.stringify(bad) : String(bad)} throws InvalidArgumentError naming "seed"`, () => {
      assert.throws(
        () => new Rng(bad),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === 'seed' && /integer/.test(e.allowed),
      );
    });
  }
});
