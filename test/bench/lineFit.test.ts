import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { speedLineFit } from '../../src/bench/lineFit.js';

describe('speedLineFit', () => {
  test('recovers an exact line: fixed cost, cost per step, r2 = 1', () => {
    const f = speedLineFit([1, 2, 4], [12, 14, 18]);
    assert.ok(Math.abs(f.fixedMs - 10) < 1e-12 && Math.abs(f.msPerStep - 2) < 1e-12 && Math.abs(f.r2 - 1) < 1e-12);
  });

  test('matches a least-squares fit worked by hand', () => {
    // (0,1), (1,3), (2,2): slope = 1/2, intercept 1.5; residuals -0.5, 1, -0.5 -> SSE 1.5; SST 2 -> r2 0.25.
    const f = speedLineFit([0, 1, 2], [1, 3, 2]);
    assert.ok(
      Math.abs(f.msPerStep - 0.5) < 1e-12 && Math.abs(f.fixedMs - 1.5) < 1e-12 && Math.abs(f.r2 - 0.25) < 1e-12,
    );
  });

  test('rejects unequal lengths, one distinct step count and negative times', () => {
    assert.throws(() => speedLineFit([1, 2], [1]), InvalidArgumentError);
    assert.throws(() => speedLineFit([4, 4], [1, 2]), /two distinct/);
    assert.throws(() => speedLineFit([1, 2], [1, -2]), /ms\[1\]/);
  });
});
