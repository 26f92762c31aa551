import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { gradientTargetImage, simulatedDenoising } from '../../src/toy/simulatedDenoising.js';

const isErr = (field: string) => (e: unknown) => e instanceof InvalidArgumentError && e.field === field;

describe('gradientTargetImage', () => {
  test('is HWC in [0, 1]: red grows to the right, green grows downwards, blue falls along the diagonal', () => {
    const img = gradientTargetImage(64, 64);
    assert.equal(img.length, 64 * 64 * 3);
    const px = (y: number, x: number) => Array.from(img.slice((y * 64 + x) * 3, (y * 64 + x) * 3 + 3));
    assert.deepEqual(px(0, 0), [0, 0, 1]);
    assert.deepEqual(px(63, 63), [1, 1, 0]);
    assert.deepEqual(px(0, 63), [1, 0, 0.5]);
    for (const v of img) assert.ok(v >= 0 && v <= 1);
  });
});

describe('simulatedDenoising (a simulation for intuition, not a diffusion model)', () => {
  test('returns k HWC frames whose noise weight shrinks linearly to 0, ending exactly at the target', () => {
    const r = simulatedDenoising({ steps: 5, height: 16, width: 8, seed: 1 });
    assert.equal(r.layout, 'HWC');
    assert.equal(r.frames.length, 5);
    r.noiseLevels.forEach((l, i) => assert.ok(Math.abs(l - (1 - (i + 1) / 5)) < 1e-12));
    assert.deepEqual(r.frames[4], r.target);
    assert.deepEqual(r.target, gradientTargetImage(16, 8));
    // frame 0 = 0.2 target + 0.8 noise, pixel by pixel
    for (let p = 0; p < r.target.length; p += 37) {
      assert.ok(Math.abs(r.frames[0][p] - (0.2 * r.target[p] + 0.8 * r.noise[p])) < 1e-6);
    }
  });

  test('moves monotonically towards the target and stays in [0, 1]', () => {
    const r = simulatedDenoising({ steps: 10, seed: 2 });
    let prev = Infinity;
    for (const f of r.frames) {
      let mse = 0;
      for (let p = 0; p < f.length; p++) {
        assert.ok(f[p] >= 0 && f[p] <= 1);
        mse += (f[p] - r.target[p]) ** 2;
      }
      assert.ok(mse < prev);
      prev = mse;
    }
  });

  test('is reproducible for a seed and different across seeds', () => {
    assert.deepEqual(
      simulatedDenoising({ steps: 3, seed: 4 }).frames[0],
      simulatedDenoising({ steps: 3, seed: 4 }).frames[0],
    );
    assert.notDeepEqual(
      simulatedDenoising({ steps: 3, seed: 4 }).frames[0],
      simulatedDenoising({ steps: 3, seed: 5 }).frames[0],
    );
  });

  test('accepts a custom target and rejects bad steps, sizes and targets', () => {
    const target = new Float32Array(2 * 2 * 3).fill(0.5);
    assert.deepEqual(simulatedDenoising({ steps: 2, height: 2, width: 2, target }).frames[1], target);
    assert.throws(() => simulatedDenoising({ steps: 0 }), isErr('steps'));
    assert.throws(() => simulatedDenoising({ height: 0 }), isErr('height'));
    assert.throws(() => simulatedDenoising({ height: 2, width: 2, target: new Float32Array(5) }), isErr('target'));
    assert.throws(
      () => simulatedDenoising({ height: 1, width: 1, target: new Float32Array([0, 2, 0]) }),
      isErr('target[1]'),
    );
  });
});
