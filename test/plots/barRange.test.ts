import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { groupedBarChart } from '../../src/plots/barChart.js';

describe('groupedBarChart with a range per bar', () => {
  const base = { title: 'speed-up', categories: ['a', 'b'], provenance: 'measured' as const };

  test('draws an interval around each value as asymmetric error bars (plus = high - value, minus = value - low)', () => {
    const fig = groupedBarChart({
      ...base,
      groups: [{ name: 'x', values: [2, 3], range: { low: [1.5, 2], high: [2.25, 5] } }],
    });
    const e = (fig.data[0] as { error_y: { symmetric: boolean; array: number[]; arrayminus: number[] } }).error_y;
    assert.equal(e.symmetric, false);
    assert.deepEqual(e.array, [0.25, 2]);
    assert.deepEqual(e.arrayminus, [0.5, 1]);
  });

  test('refuses a range that does not contain its value, and a range together with errors, naming the field', () => {
    assert.throws(
      () =>
        groupedBarChart({ ...base, groups: [{ name: 'x', values: [2, 3], range: { low: [1, 3.5], high: [3, 4] } }] }),
      (e: unknown) => e instanceof InvalidArgumentError && /groups\[0\]\.range/.test(e.message),
    );
    assert.throws(
      () =>
        groupedBarChart({
          ...base,
          groups: [{ name: 'x', values: [2, 3], errors: [1, 1], range: { low: [1, 2], high: [3, 4] } }],
        }),
      (e: unknown) => e instanceof InvalidArgumentError && /groups\[0\]\.range/.test(e.message),
    );
  });
});
