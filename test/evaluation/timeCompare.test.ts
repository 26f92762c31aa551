import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { summarizeSamples } from '../../src/bench/stats.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import {
  batchSaturation,
  budgetFit,
  compareTimes,
  imagesPerMinute,
  speedUpOver,
  timeInterval,
} from '../../src/evaluation/timeCompare.js';
import type { TimeStats } from '../../src/evaluation/result.js';

/** TimeStats of samples, through src/bench's type-7 quartiles (as the session computes them). */
function stats(samples: number[]): TimeStats {
  const s = summarizeSamples(samples);
  return { medianMs: s.medianMs, q1Ms: s.q1Ms, q3Ms: s.q3Ms, iqrMs: s.iqrMs, n: s.n };
}

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);
const isInvalid = (field: string) => (e: unknown) => e instanceof InvalidArgumentError && e.message.includes(field);

// Samples worked by hand (type 7: h = (n - 1) p on the sorted samples):
// A = [8, 9, 10, 11, 12]: q1 = 9, median 10, q3 = 11.
// B = [18, 19, 20, 21, 22]: q1 = 19, median 20, q3 = 21.
// C = [10, 10.5, 11, 11.5, 12]: q1 = 10.5, median 11, q3 = 11.5 (overlaps A's [9, 11]).
const A = stats([12, 8, 10, 11, 9]);
const B = stats([20, 22, 18, 21, 19]);
const C = stats([11, 10, 12, 10.5, 11.5]);

describe('timeInterval and imagesPerMinute', () => {
  test('a time is its median with the interquartile range, level 0.5', () => {
    assert.deepEqual(timeInterval(A), { value: 10, low: 9, high: 11, level: 0.5 });
  });

  test('images per minute is 60000 / median with the range [60000 / q3, 60000 / q1]', () => {
    const r = imagesPerMinute(A);
    close(r.value, 6000, 'value');
    close(r.low, 60000 / 11, 'low');
    close(r.high, 60000 / 9, 'high');
  });

  test('rejects a zero first quartile and quartiles out of order, naming the field', () => {
    assert.throws(() => imagesPerMinute({ medianMs: 1, q1Ms: 0, q3Ms: 2, iqrMs: 2, n: 3 }), isInvalid('time.q1Ms'));
    assert.throws(() => timeInterval({ medianMs: 5, q1Ms: 6, q3Ms: 7, iqrMs: 1, n: 3 }), isInvalid('q1Ms <= medianMs'));
    assert.throws(() => timeInterval({ medianMs: NaN, q1Ms: 6, q3Ms: 7, iqrMs: 1, n: 3 }), isInvalid('time.medianMs'));
  });
});

describe('speedUpOver: the ratio of medians with the ratio-of-quartiles range', () => {
  test('B as baseline, A twice as fast: 20 / 10 = 2, range [19 / 11, 21 / 9]', () => {
    const s = speedUpOver(B, A);
    close(s.value, 2, 'value');
    close(s.low, 19 / 11, 'low');
    close(s.high, 21 / 9, 'high');
  });
});

describe('compareTimes', () => {
  test('says which is faster when the IQRs are apart (A [9, 11] vs B [19, 21]), and the range excludes 1', () => {
    const c = compareTimes(A, B, { a: 'LCM 4', b: 'DDIM 4' });
    assert.equal(c.verdict, 'first faster');
    assert.ok(c.speedUp.low > 1);
    assert.match(
      c.text,
      /LCM 4 10\.0 ms \[9\.0, 11\.0\] vs DDIM 4 20\.0 ms \[19\.0, 21\.0\]: LCM 4 is 2\.00x \[1\.73, 2\.33\] as fast: LCM 4 is faster/,
    );
    assert.equal(compareTimes(B, A, { a: 'DDIM 4', b: 'LCM 4' }).verdict, 'second faster');
  });

  test('says "within noise" when the IQRs overlap (A [9, 11] vs C [10.5, 11.5]), and the range contains 1', () => {
    const c = compareTimes(A, C, { a: 'A', b: 'C' });
    assert.equal(c.verdict, 'within noise');
    close(c.speedUp.value, 1.1, 'value');
    assert.ok(c.speedUp.low <= 1 && 1 <= c.speedUp.high, `range ${c.speedUp.low}-${c.speedUp.high}`);
    assert.match(c.text, /within noise \(the IQRs overlap\)/);
  });

  test('IQRs that only touch count as overlapping', () => {
    const D = stats([10, 11, 12, 13, 14]); // q1 = 11 = A's q3
    assert.equal(compareTimes(A, D, { a: 'A', b: 'D' }).verdict, 'within noise');
  });
});

describe('batchSaturation', () => {
  // Per-image times at batch 1, 2, 4, 8: medians 10, 6, 4, 3.9 with IQRs [9, 11], [5.5, 6.5], [3.8, 4.2], [3.7, 4.1].
  const t = (q1: number, med: number, q3: number): TimeStats => ({
    medianMs: med,
    q1Ms: q1,
    q3Ms: q3,
    iqrMs: q3 - q1,
    n: 5,
  });
  const helping = [
    { batch: 1, time: t(9, 10, 11) },
    { batch: 2, time: t(5.5, 6, 6.5) },
    { batch: 4, time: t(3.8, 4, 4.2) },
    { batch: 8, time: t(3.7, 3.9, 4.1) },
  ];

  test('a measurable gain: best batch 8, saturation at batch 4 (first IQR to overlap the best), gain 10 / 3.9 in [9 / 4.1, 11 / 3.7]', () => {
    const r = batchSaturation(helping);
    assert.equal(r.verdict, 'saturates');
    assert.equal(r.bestBatch, 8);
    assert.equal(r.saturationBatch, 4);
    close(r.gain.value, 10 / 3.9, 'gain');
    close(r.gain.low, 9 / 4.1, 'gain low');
    close(r.gain.high, 11 / 3.7, 'gain high');
    assert.match(r.text, /from batch 4 on, within noise of the best/);
    assert.doesNotMatch(r.text, /within noise \(/);
  });

  test('"within noise" when batch 1 overlaps the best batch: no saturation point is claimed', () => {
    // Batch 16 is best by median (9.5) but batch 1's IQR [9, 11] overlaps its [9.2, 9.8].
    const r = batchSaturation([
      { batch: 1, time: t(9, 10, 11) },
      { batch: 4, time: t(9.5, 10.2, 12) },
      { batch: 16, time: t(9.2, 9.5, 9.8) },
    ]);
    assert.equal(r.verdict, 'within noise');
    assert.equal(r.bestBatch, 16);
    assert.equal(r.saturationBatch, 1);
    assert.ok(r.gain.low <= 1 && r.gain.high >= 1);
    assert.match(r.text, /batching gains nothing measurable, within noise/);
  });

  test('a best batch that is the largest and alone in its noise: still falling, no saturation within the sweep', () => {
    const r = batchSaturation([
      { batch: 1, time: t(9, 10, 11) },
      { batch: 2, time: t(6, 7, 8) },
      { batch: 4, time: t(4, 4.5, 5) },
    ]);
    assert.equal(r.verdict, 'saturates');
    assert.equal(r.saturationBatch, 4);
    assert.match(r.text, /still falling at the largest batch measured/);
  });

  test('images per minute per batch: 60000 / the per-image median', () => {
    const r = batchSaturation(helping);
    close(r.points[1].imagesPerMinute.value, 10000, 'batch 2');
  });

  test('rejects unordered batches and a single point, naming the field', () => {
    assert.throws(() => batchSaturation([helping[1], helping[0]]), isInvalid('points[1].batch'));
    assert.throws(() => batchSaturation([helping[0]]), isInvalid('points'));
  });
});

describe('budgetFit', () => {
  test('fits when the whole IQR is within the budget, over when all of it is above, else within noise', () => {
    assert.equal(budgetFit(A, 11), 'fits');
    assert.equal(budgetFit(A, 10), 'within noise of the budget');
    assert.equal(budgetFit(A, 8.9), 'over');
    assert.throws(() => budgetFit(A, 0), isInvalid('budgetMs'));
  });
});
