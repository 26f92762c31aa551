import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { halvingRounds, ratioInterval, stepsWithinNoiseOfBest } from '../../src/evaluation/rounds.js';

const Z95 = 1.959963984540054;

describe('ratioInterval', () => {
  test('worked by hand: 10 +- 1.96*1 and 20 +- 1.96*2 give 2 x exp(+-1.96 sqrt(0.1^2 + 0.1^2))', () => {
    const a = { value: 10, low: 10 - Z95, high: 10 + Z95, level: 0.95 };
    const b = { value: 20, low: 20 - 2 * Z95, high: 20 + 2 * Z95, level: 0.95 };
    const r = ratioInterval(a, b);
    const se = Math.sqrt(0.02);
    assert.ok(Math.abs(r.value - 2) < 1e-12);
    assert.ok(Math.abs(r.low - 2 * Math.exp(-Z95 * se)) < 1e-6, `${r.low}`);
    assert.ok(Math.abs(r.high - 2 * Math.exp(Z95 * se)) < 1e-6, `${r.high}`);
  });

  test('covers the true ratio at least at its nominal level for independent normal estimates (known answer 1.5)', () => {
    const rng = new Rng(3);
    const trials = 4000;
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      // two estimates with 5% relative standard errors; each reported with its own 95% normal interval
      const ea = 10 + 0.5 * rng.normal(1)[0];
      const eb = 15 + 0.75 * rng.normal(1)[0];
      const a = { value: ea, low: ea - Z95 * 0.5, high: ea + Z95 * 0.5, level: 0.95 };
      const b = { value: eb, low: eb - Z95 * 0.75, high: eb + Z95 * 0.75, level: 0.95 };
      const r = ratioInterval(a, b);
      if (r.low <= 1.5 && 1.5 <= r.high) covered++;
    }
    const rate = covered / trials;
    assert.ok(rate > 0.93 && rate < 0.975, `coverage ${rate}`);
  });

  test('bad intervals are refused, naming the field', () => {
    const ok = { value: 1, low: 0.5, high: 1.5, level: 0.95 };
    assert.throws(
      () => ratioInterval({ ...ok, value: 0, low: 0 }, ok),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'a.value',
    );
    assert.throws(
      () => ratioInterval(ok, { ...ok, high: NaN }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'b.high',
    );
    assert.throws(
      () => ratioInterval(ok, { ...ok, low: 2 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'b',
    );
  });
});

describe('halvingRounds', () => {
  const iv = (value: number, half: number) => ({ value, low: value - half, high: value + half, level: 0.95 });
  test('orders the students from most to fewest steps and gives each round its verdict', () => {
    const rounds = halvingRounds(
      [
        { steps: 1, value: iv(57.6, 3) },
        { steps: 8, value: iv(10.2, 1) },
        { steps: 4, value: iv(10.9, 1) },
        { steps: 2, value: iv(17.7, 1.5) },
      ],
      'lower',
    );
    assert.deepEqual(
      rounds.map((r) => [r.from, r.to, r.verdict]),
      [
        [8, 4, 'within noise'],
        [4, 2, 'worse'],
        [2, 1, 'worse'],
      ],
    );
    assert.match(rounds[0].text, /^8 -> 4 steps: x1\.07 \[\d\.\d\d, \d\.\d\d\], within noise$/);
    assert.equal(
      halvingRounds(
        [
          { steps: 2, value: iv(10, 1) },
          { steps: 1, value: iv(5, 1) },
        ],
        'lower',
      )[0].verdict,
      'better',
    );
    assert.equal(
      halvingRounds(
        [
          { steps: 2, value: iv(10, 1) },
          { steps: 1, value: iv(5, 1) },
        ],
        'higher',
      )[0].verdict,
      'worse',
    );
  });

  test('bad input is refused', () => {
    assert.throws(
      () => halvingRounds([], 'lower'),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'students',
    );
    assert.throws(
      () =>
        halvingRounds(
          [
            { steps: 2, value: iv(1, 0.1) },
            { steps: 2, value: iv(1, 0.1) },
          ],
          'lower',
        ),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'students',
    );
    assert.throws(
      () =>
        halvingRounds(
          [
            { steps: 2, value: iv(1, 0.1) },
            { steps: 1, value: iv(1, 0.1) },
          ],
          'up' as 'lower',
        ),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'better',
    );
  });
});

describe('stepsWithinNoiseOfBest', () => {
  const iv = (value: number, half: number) => ({ value, low: value - half, high: value + half, level: 0.95 });
  test('the fewest steps from which every interval overlaps the best one (worked by hand)', () => {
    // best 0.95 +- 0.02 at 8 steps; 4 steps (0.92 +- 0.02) overlaps it, 2 steps (0.85 +- 0.02) does not.
    const v = [iv(0.6, 0.03), iv(0.85, 0.02), iv(0.92, 0.02), iv(0.95, 0.02)];
    assert.deepEqual(stepsWithinNoiseOfBest([1, 2, 4, 8], v, 'higher'), { steps: 4, bestSteps: 8 });
    // lower is better (FD): best 10 at 8; 4 steps 11 +- 1.5 overlaps, 2 steps 20 +- 2 does not.
    assert.deepEqual(stepsWithinNoiseOfBest([1, 2, 4, 8], [iv(50, 5), iv(20, 2), iv(11, 1.5), iv(10, 1)], 'lower'), {
      steps: 4,
      bestSteps: 8,
    });
    // a point after the best that leaves its interval: the best's own step count
    assert.deepEqual(stepsWithinNoiseOfBest([1, 2, 4], [iv(0.9, 0.01), iv(0.95, 0.01), iv(0.5, 0.01)], 'higher'), {
      steps: 2,
      bestSteps: 2,
    });
  });

  test('bad input is refused, naming the field', () => {
    assert.throws(
      () => stepsWithinNoiseOfBest([2, 1], [iv(1, 0.1), iv(1, 0.1)], 'higher'),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'steps[1]',
    );
    assert.throws(
      () => stepsWithinNoiseOfBest([1], [], 'higher'),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'values',
    );
  });
});
