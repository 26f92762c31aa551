import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { alphasCumprodFrom, betasFor, rescaleZeroTerminalSnr } from '../../src/schedules/betas.js';
import { karrasSigmas, sigmaToTimestep, vpSigmaTable } from '../../src/schedules/sigmas.js';
import { roundHalfEven, spacedTimesteps } from '../../src/schedules/timesteps.js';
import { configFlag } from '../../src/schedules/trainingSchedule.js';

describe('roundHalfEven (numpy.round)', () => {
  test('rounds halves to the even neighbour and everything else to the nearest integer', () => {
    assert.deepEqual(
      [0.5, 1.5, 2.5, 166.5, 832.5, -0.5, -1.5, 2.4, 2.6, 7].map(roundHalfEven),
      [0, 2, 2, 166, 832, -0, -2, 2, 3, 7],
    );
  });
});

describe('spacedTimesteps', () => {
  test('leading: multiples of floor(N / n) plus steps_offset, highest first', () => {
    assert.deepEqual(spacedTimesteps('leading', 1000, 4, { integer: true }), [750, 500, 250, 0]);
    assert.deepEqual(spacedTimesteps('leading', 1000, 3, { stepsOffset: 1, integer: true }), [667, 334, 1]);
  });
  test('trailing: starts at N - 1 and ignores steps_offset', () => {
    assert.deepEqual(spacedTimesteps('trailing', 1000, 4, { stepsOffset: 1, integer: true }), [999, 749, 499, 249]);
    // 1000 - k * 62.5, rounded half to even, minus 1: 937.5 -> 938 but 812.5 -> 812
    assert.deepEqual(spacedTimesteps('trailing', 1000, 16, { integer: true }).slice(0, 4), [999, 937, 874, 811]);
  });
  test('trailing always has n entries, even where numpy.arange would add one', () => {
    const grid = spacedTimesteps('trailing', 1000, 61, { integer: true });
    assert.equal(grid.length, 61);
    assert.ok(grid.every((t) => t >= 0));
  });
  test('linspace: integer grids round halves to even, fractional grids keep float32 values', () => {
    assert.deepEqual(spacedTimesteps('linspace', 1000, 3, { integer: true }), [999, 500, 0]);
    assert.deepEqual(spacedTimesteps('linspace', 1000, 3, { integer: false }), [999, 499.5, 0]);
    assert.deepEqual(spacedTimesteps('linspace', 1000, 1, { integer: true }), [0]);
    assert.equal(spacedTimesteps('linspace', 1000, 8, { integer: false })[1], Math.fround((999 * 6) / 7));
  });
  test('an unknown spacing throws InvalidArgumentError naming timestep_spacing', () => {
    assert.throws(
      () => spacedTimesteps('karras', 1000, 4, { integer: true }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'timestep_spacing',
    );
  });
});

describe('sigma helpers', () => {
  const alphasCumprod = alphasCumprodFrom(
    betasFor({ numTrainTimesteps: 1000, betaStart: 0.00085, betaEnd: 0.012, betaSchedule: 'scaled_linear' }),
  );
  const table = vpSigmaTable(alphasCumprod);
  test('the sigma table rises with t, from about 0.029 to about 14.6 for Stable Diffusion betas', () => {
    assert.ok(table.every((s, i) => i === 0 || s > table[i - 1]));
    assert.ok(Math.abs(table[0] - 0.0292) < 1e-3 && Math.abs(table[999] - 14.61) < 1e-2);
  });
  test('Karras sigmas run from sigma_max to sigma_min with rho = 7', () => {
    const k = karrasSigmas(0.03, 14.6, 5);
    assert.ok(Math.abs(k[0] - 14.6) < 1e-12 && Math.abs(k[4] - 0.03) < 1e-12);
    const mid = (14.6 ** (1 / 7) + 0.5 * (0.03 ** (1 / 7) - 14.6 ** (1 / 7))) ** 7;
    assert.ok(Math.abs(k[2] - mid) < 1e-12);
  });
  test('sigmaToTimestep inverts the table at integer timesteps and clamps outside it', () => {
    const logSigmas = table.map(Math.log);
    for (const t of [0, 1, 250, 998, 999])
      assert.ok(Math.abs(sigmaToTimestep(table[t], logSigmas) - t) < 1e-9, String(t));
    assert.equal(sigmaToTimestep(1e-6, logSigmas), 0);
    assert.equal(sigmaToTimestep(1e6, logSigmas), 999);
  });
});

describe('zero terminal SNR and config flags', () => {
  test('rescaleZeroTerminalSnr keeps alphaBar_0 and drives alphaBar_T to 0', () => {
    const betas = betasFor({ numTrainTimesteps: 1000, betaStart: 0.0001, betaEnd: 0.02, betaSchedule: 'linear' });
    const before = alphasCumprodFrom(betas);
    const after = alphasCumprodFrom(rescaleZeroTerminalSnr(betas));
    assert.ok(Math.abs(after[0] - before[0]) < 1e-6);
    assert.equal(after[999], 0);
  });
  test('configFlag reads booleans, treats absent as false and rejects anything else by key', () => {
    assert.equal(configFlag({}, 'clip_sample'), false);
    assert.equal(configFlag({ clip_sample: true }, 'clip_sample'), true);
    assert.throws(
      () => configFlag({ clip_sample: 1 }, 'clip_sample'),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'clip_sample',
    );
  });
});
