import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { resolutionLadder } from '../../src/bench/sizes.js';

const isInvalid = (field: string) => (e: unknown) => e instanceof InvalidArgumentError && e.message.includes(field);

describe('resolutionLadder with the factors of notebook 04 (0.5, 1, 1.5, 2)', () => {
  const F = [0.5, 1, 1.5, 2];
  test('gives half, native, 1.5x and 2x native in multiples of 16 within the model limits', () => {
    assert.deepEqual(resolutionLadder(64, { factors: F, min: 16, max: 256 }), [32, 64, 96, 128]);
    assert.deepEqual(resolutionLadder(512, { factors: F, min: 128, max: 2048 }), [256, 512, 768, 1024]);
    assert.deepEqual(resolutionLadder(32, { factors: F, min: 8, max: 128 }), [16, 32, 48, 64]);
    assert.deepEqual(resolutionLadder(64, { factors: F, min: 64, max: 64 }), [64]);
    assert.deepEqual(resolutionLadder(64, { factors: F, min: 16, max: 100 }), [32, 64, 96]);
  });

  test('rejects a maximum below the minimum and non-integer sizes', () => {
    assert.throws(() => resolutionLadder(64, { min: 128, max: 64 }), isInvalid('max'));
    assert.throws(() => resolutionLadder(64.5), isInvalid('native'));
  });
});
