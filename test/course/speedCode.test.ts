import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { stepSpeedClass, stepSpeedColor, STEP_SPEED_THRESHOLDS } from '../../src/course/speedCode.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { GRID_SPEED_COLORS } from '../../src/image/grid.js';

const isArg = (field: string) => (e: unknown) => e instanceof InvalidArgumentError && e.field === field;

describe('stepSpeedClass and stepSpeedColor', () => {
  test('relative to the reference time: fast under 25%, medium under 60%, slow from 60% (thresholds exclusive)', () => {
    assert.deepEqual(STEP_SPEED_THRESHOLDS, { fast: 0.25, medium: 0.6 });
    assert.equal(stepSpeedClass(24.9, 100), 'fast');
    assert.equal(stepSpeedClass(25, 100), 'medium');
    assert.equal(stepSpeedClass(59.9, 100), 'medium');
    assert.equal(stepSpeedClass(60, 100), 'slow');
    assert.equal(stepSpeedClass(100, 100), 'slow');
    assert.equal(stepSpeedClass(0, 100), 'fast');
  });

  test('takes other thresholds and maps each class to its GRID_SPEED_COLORS caption colour', () => {
    assert.equal(stepSpeedClass(40, 100, { fast: 0.5, medium: 0.9 }), 'fast');
    assert.equal(stepSpeedClass(40, 100, { fast: 0.1, medium: 0.2 }), 'slow');
    assert.equal(stepSpeedColor(10, 100), GRID_SPEED_COLORS.fast);
    assert.equal(stepSpeedColor(50, 100), GRID_SPEED_COLORS.medium);
    assert.equal(stepSpeedColor(90, 100), GRID_SPEED_COLORS.slow);
  });

  test('rejects negative or non-finite times, a zero reference and a medium limit below the fast one', () => {
    assert.throws(() => stepSpeedClass(-1, 100), isArg('ms'));
    assert.throws(() => stepSpeedClass(Number.NaN, 100), isArg('ms'));
    assert.throws(() => stepSpeedClass(10, 0), isArg('referenceMs'));
    assert.throws(() => stepSpeedClass(10, 100, { fast: 0.6, medium: 0.25 }), isArg('thresholds.medium'));
    assert.throws(() => stepSpeedColor(10, 100, { fast: 0, medium: 0.5 }), isArg('thresholds.fast'));
  });
});
