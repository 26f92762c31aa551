import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { InvalidArgumentError } from '../../src/core/errors.js';
import {
  bestRowBy,
  complexityPrompts,
  namedAttributeCount,
  stepsNeeded,
  stepsToPlateau,
} from '../../src/course/exercises.js';
import { resolutionLadder } from '../../src/bench/sizes.js';
import { findPublishedResult, readPublishedResults } from '../../src/published/index.js';
import { promptAttributes } from '../../src/quality/sceneEvaluator.js';

// Compiled to .build/test/course/: the repository root is three levels up.
const repoRoot = path.resolve(__dirname, '..', '..', '..');
const isInvalid = (field: string) => (e: unknown) => e instanceof InvalidArgumentError && e.message.includes(field);

describe('the resolution ladder (exercise 2)', () => {
  test('resolutionLadder rounds 0.5x-2x the native size to multiples of 16 within the allowed range', () => {
    assert.deepEqual(resolutionLadder(64), [32, 48, 64, 96, 128]);
    assert.deepEqual(resolutionLadder(32, { min: 8, max: 128 }), [16, 32, 48, 64]); // 24 rounds to 32, a repeat
    assert.deepEqual(resolutionLadder(64, { max: 96 }), [32, 48, 64, 96]);
    assert.deepEqual(resolutionLadder(512, { factors: [1, 2], multiple: 64 }), [512, 1024]);
    assert.throws(() => resolutionLadder(0), isInvalid('native'));
    assert.throws(() => resolutionLadder(64, { factors: [-1] }), isInvalid('factors[0]'));
  });
});

describe('steps needed (exercise 4)', () => {
  const steps = [1, 2, 4, 8];

  test('the fewest steps from which the curve stays at or above the target', () => {
    assert.equal(stepsNeeded(steps, [0.8, 0.96, 0.94, 0.97], 0.95), 8); // 2 reaches it once, then drops below
    assert.equal(stepsNeeded(steps, [0.8, 0.96, 0.94, 0.97], 0.95, { sustained: false }), 2);
    assert.equal(stepsNeeded(steps, [0.96, 0.97, 0.98, 0.99], 0.95), 1);
    assert.equal(stepsNeeded(steps, [0.8, 0.9, 0.92, 0.94], 0.95), undefined);
  });

  test('for lower-is-better measures the target is an upper bound', () => {
    assert.equal(stepsNeeded(steps, [120, 40, 30, 31], 35, { better: 'lower' }), 4);
    assert.equal(stepsNeeded(steps, [120, 40, 30, 36], 35, { better: 'lower' }), undefined);
  });

  test('steps to plateau: the fewest steps from which every value is within the margin of the best', () => {
    assert.equal(stepsToPlateau(steps, [0.83, 0.94, 0.96, 0.969], 0.02), 4);
    assert.equal(stepsToPlateau(steps, [0.83, 0.95, 0.96, 0.969], 0.02), 2);
    assert.equal(stepsToPlateau(steps, [0.83, 0.95, 0.96, 0.969], 0), 8);
    assert.equal(stepsToPlateau(steps, [146, 44, 40, 43], 5, 'lower'), 2);
  });

  test('unsorted steps, mismatched lengths and non-finite values are rejected', () => {
    assert.throws(() => stepsNeeded([1, 4, 2], [1, 1, 1], 0.5), isInvalid('steps[2]'));
    assert.throws(() => stepsNeeded([1, 2], [1], 0.5), isInvalid('values'));
    assert.throws(() => stepsNeeded([1, 2], [1, Number.NaN], 0.5), isInvalid('values[1]'));
    assert.throws(() => stepsNeeded([1, 2], [1, 1], 0.5, { better: 'up' as 'higher' }), isInvalid('options.better'));
    assert.throws(() => stepsToPlateau([1], [1], -1), isInvalid('margin'));
  });

  test('namedAttributeCount counts the four main attributes and each extra a caption names', () => {
    assert.equal(namedAttributeCount('a beautiful sunset over mountains, oil painting style, warm colors'), 4);
    assert.equal(namedAttributeCount('a beautiful noon sky over hills with the sun, flat style, cool colors'), 5);
    assert.equal(
      namedAttributeCount(
        'a beautiful night sky over ocean with the moon, clouds and stars, flat style, purple colors',
      ),
      7,
    );
    assert.throws(() => namedAttributeCount('a beautiful sunset over a castle'), isInvalid('prompt'));
  });

  test('complexityPrompts gives valid scene prompts that name exactly the requested number of attributes', () => {
    const { prompts, specs } = complexityPrompts([6, 7], 40, 11);
    assert.equal(prompts.length, 40);
    prompts.forEach((p, i) => {
      assert.equal(namedAttributeCount(p), i % 2 === 0 ? 6 : 7, p);
      promptAttributes(p); // a valid caption of the scene language (throws otherwise)
      if (specs[i].stars) assert.equal(specs[i].timeOfDay, 'night');
    });
    for (const count of [4, 5])
      assert.ok(complexityPrompts(count, 20, 3).prompts.every((p) => namedAttributeCount(p) === count));
    assert.deepEqual(
      complexityPrompts(5, 10, 3).prompts,
      complexityPrompts(5, 10, 3).prompts,
      'the same seed gives the same prompts',
    );
    assert.notDeepEqual(complexityPrompts(5, 10, 3).prompts, complexityPrompts(5, 10, 4).prompts);
    assert.throws(() => complexityPrompts(8, 1, 0), isInvalid('counts[0]'));
    assert.throws(() => complexityPrompts([], 1, 0), isInvalid('counts'));
    assert.throws(() => complexityPrompts(4, 0, 0), isInvalid('n'));
  });
});

describe('the measured summary (notebook 07)', () => {
  test('bestRowBy picks the best value among the accepted rows, the earlier on a tie, and skips non-finite values', () => {
    const rows = [
      { n: 'a', v: 3 },
      { n: 'b', v: 1 },
      { n: 'c', v: 1 },
      { n: 'd', v: Number.NaN },
    ];
    assert.equal(bestRowBy(rows, (r) => r.v, 'lower')?.n, 'b');
    assert.equal(bestRowBy(rows, (r) => r.v, 'higher')?.n, 'a');
    assert.equal(
      bestRowBy(
        rows,
        (r) => r.v,
        'lower',
        (r) => r.n !== 'b',
      )?.n,
      'c',
    );
    assert.equal(
      bestRowBy(
        rows,
        (r) => r.v,
        'lower',
        () => false,
      ),
      undefined,
    );
    assert.throws(() => bestRowBy(rows, (r) => r.v, 'less' as 'lower'), isInvalid('better'));
  });

  test('published records are found by table, method, steps and metric', () => {
    const records = readPublishedResults(path.join(repoRoot, 'data', 'published-results.json')).rows;
    const lcm4 = findPublishedResult(records, {
      table: 'lcm-laion-aes6-512-g8',
      method: 'LCM',
      steps: 4,
      metric: 'FID',
    });
    assert.equal(lcm4.citation.arxiv !== undefined || lcm4.citation.url !== undefined, true);
    assert.throws(
      () => findPublishedResult(records, { table: 'lcm-lora-sdxl-1024', method: 'SDXL', steps: 25, metric: 'latency' }),
      isInvalid('query'),
    ); // three GPUs: ambiguous
    assert.equal(
      findPublishedResult(records, {
        table: 'lcm-lora-sdxl-1024',
        method: 'SDXL',
        steps: 25,
        metric: 'latency',
        hardware: 'A100',
      }).hardware,
      'A100',
    );
  });
});
