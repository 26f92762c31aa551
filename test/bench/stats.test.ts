import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { summarizeSamples, throughput } from '../../src/bench/stats.js';

describe('summarizeSamples (quantiles: Hyndman & Fan type 7, h = (n - 1) p, as simple-statistics 7.12.1)', () => {
  test('[1, 2, 3, 4]: median 2.5 by definition; q1 = 1 + 0.75 (2 - 1) = 1.75; q3 = 3 + 0.25 (4 - 3) = 3.25', () => {
    const s = summarizeSamples([4, 1, 3, 2]);
    assert.equal(s.medianMs, 2.5);
    assert.equal(s.q1Ms, 1.75); // type 6 (Minitab) would give 1.25, type 1 would give 1: this pins the convention
    assert.equal(s.q3Ms, 3.25);
    assert.equal(s.iqrMs, 1.5);
    assert.equal(s.minMs, 1);
    assert.equal(s.maxMs, 4);
    assert.equal(s.meanMs, 2.5);
    assert.equal(s.n, 4);
  });

  test('[3, 1, 4, 1, 5, 9, 2, 6]: sorted 1 1 2 3 4 5 6 9; median 3.5, q1 at h = 1.75 -> 1.75, q3 at h = 5.25 -> 5.25, mean 31/8', () => {
    const s = summarizeSamples([3, 1, 4, 1, 5, 9, 2, 6]);
    assert.equal(s.medianMs, 3.5);
    assert.equal(s.q1Ms, 1.75);
    assert.equal(s.q3Ms, 5.25);
    assert.equal(s.meanMs, 31 / 8);
    assert.equal(s.minMs, 1);
    assert.equal(s.maxMs, 9);
  });

  test('an odd count puts the quartiles on samples: [10, 20, 30, 40, 50] -> q1 20, median 30, q3 40', () => {
    const s = summarizeSamples([50, 10, 40, 20, 30]);
    assert.deepEqual([s.q1Ms, s.medianMs, s.q3Ms], [20, 30, 40]);
  });

  test('one sample is its own median, quartiles, min and max, with IQR 0', () => {
    const s = summarizeSamples([7]);
    assert.deepEqual([s.medianMs, s.q1Ms, s.q3Ms, s.minMs, s.maxMs, s.meanMs, s.iqrMs], [7, 7, 7, 7, 7, 7, 0]);
  });

  test('keeps the samples in run order and does not modify the input', () => {
    const input = [3, 1, 2];
    const s = summarizeSamples(input);
    assert.deepEqual(s.samplesMs, [3, 1, 2]);
    assert.deepEqual(input, [3, 1, 2]);
    assert.notEqual(s.samplesMs, input);
  });

  test('empty, negative or NaN samples throw InvalidArgumentError naming the sample', () => {
    assert.throws(
      () => summarizeSamples([]),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'samplesMs',
    );
    assert.throws(
      () => summarizeSamples([1, -2]),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'samplesMs[1]',
    );
    assert.throws(
      () => summarizeSamples([Number.NaN]),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'samplesMs[0]',
    );
  });
});

describe('throughput(items, ms)', () => {
  test('is items per second: 1000 items in 250 ms -> 4000 / s', () => {
    assert.equal(throughput(1000, 250), 4000);
    assert.equal(throughput(0, 5), 0);
  });

  test('a zero, negative or NaN duration, or a negative count, throws InvalidArgumentError', () => {
    assert.throws(
      () => throughput(10, 0),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'ms',
    );
    assert.throws(
      () => throughput(10, Number.NaN),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'ms',
    );
    assert.throws(
      () => throughput(-1, 10),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'items',
    );
  });
});
