import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import {
  collectDenoisedPreviews,
  evenlySpacedIndices,
  plannedMethods,
  edgeEnergy,
  stepSpeedClass,
  stepSpeedColor,
  STEP_SPEED_THRESHOLDS,
} from '../../src/course/fewerSteps.js';
import { coursePlan } from '../../src/course/plan.js';
import { DPM_SOLVER_PP_TRAILING } from '../../src/evaluation/method.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { GRID_SPEED_COLORS } from '../../src/image/grid.js';
import { rawImageToPng } from '../../src/image/tensorPng.js';
import { loadPipeline } from '../../src/onnx/pipeline.js';

const root = path.resolve(__dirname, '..', '..', '..');
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

describe('evenlySpacedIndices', () => {
  test('spreads k indices over 0..n-1 by round(i (n-1)/(k-1)), keeping the first and the last', () => {
    assert.deepEqual(evenlySpacedIndices(25, 7), [0, 4, 8, 12, 16, 20, 24]); // (25-1)/(7-1) = 4 exactly
    assert.deepEqual(evenlySpacedIndices(11, 4), [0, 3, 7, 10]); // 10/3 = 3.33: 0, 3.33, 6.67, 10
    assert.deepEqual(evenlySpacedIndices(2, 2), [0, 1]);
  });

  test('gives every index when k >= n, and the last one alone when k = 1', () => {
    assert.deepEqual(evenlySpacedIndices(4, 7), [0, 1, 2, 3]);
    assert.deepEqual(evenlySpacedIndices(4, 4), [0, 1, 2, 3]);
    assert.deepEqual(evenlySpacedIndices(5, 1), [4]);
  });

  test('rejects n or k that are not positive integers', () => {
    assert.throws(() => evenlySpacedIndices(0, 3), isArg('n'));
    assert.throws(() => evenlySpacedIndices(5, 0), isArg('k'));
    assert.throws(() => evenlySpacedIndices(5, 2.5), isArg('k'));
  });
});

describe('plannedMethods', () => {
  test('the shipped plan uses two methods: LCM up to 8 steps, then the teacher with DPM-Solver++', () => {
    const methods = plannedMethods(coursePlan({ env: {}, root }));
    assert.deepEqual(
      methods.map((m) => m.name),
      ['LCM', 'DPM-Solver++'],
    );
    assert.equal(path.basename(methods[0].dir), 'scenes-lcm');
    assert.deepEqual(methods[1].scheduler, DPM_SOLVER_PP_TRAILING);
  });

  test('the fixture plan uses the same two methods on the fixture models; a one-model plan uses one', () => {
    const fixture = plannedMethods(
      coursePlan({
        env: { FEWSTEP_MODEL: 'models/fixtures/tiny-sd', FEWSTEP_LCM_MODEL: 'models/fixtures/tiny-lcm' },
        root,
      }),
    );
    assert.deepEqual(
      fixture.map((m) => [m.name, path.basename(m.dir)]),
      [
        ['LCM', 'tiny-lcm'],
        ['DPM-Solver++', 'tiny-sd'],
      ],
    );
    const teacherOnly = plannedMethods(coursePlan({ env: { FEWSTEP_MODEL: 'models/fixtures/tiny-sd' }, root }));
    assert.deepEqual(
      teacherOnly.map((m) => m.name),
      ['DPM-Solver++'],
    );
  });
});

describe('edgeEnergy', () => {
  const png = (values: number[], width: number, height: number) =>
    rawImageToPng({ data: Uint8Array.from(values), width, height, channels: 3 });

  test('is 0 for a flat image and 255 for a black-and-white checkerboard (every neighbour pair differs by 255)', async () => {
    assert.equal(await edgeEnergy(await png(new Array(12).fill(77), 2, 2)), 0);
    const b = [0, 0, 0];
    const w = [255, 255, 255];
    assert.equal(await edgeEnergy(await png([...b, ...w, ...w, ...b], 2, 2)), 255);
  });

  test('is the RMS over all horizontal and vertical neighbour differences of the RGB values', async () => {
    // 2x1: one horizontal pair, differences 10, 20, 30: sqrt((100 + 400 + 900) / 3).
    assert.ok(Math.abs((await edgeEnergy(await png([0, 0, 0, 10, 20, 30], 2, 1))) - Math.sqrt(1400 / 3)) < 1e-12);
    // 1x2 (vertical pair) gives the same value: the measure has no preferred direction.
    assert.ok(Math.abs((await edgeEnergy(await png([0, 0, 0, 10, 20, 30], 1, 2))) - Math.sqrt(1400 / 3)) < 1e-12);
    // 2x2 gray with one pixel 12 brighter: 2 of the 4 pairs differ by 12 in all 3 channels: sqrt(6 * 144 / 12).
    assert.ok(
      Math.abs((await edgeEnergy(await png([12, 12, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0], 2, 2))) - Math.sqrt(72)) < 1e-12,
    );
  });

  test('rejects a one-pixel image and bytes that are not an image', async () => {
    await assert.rejects(edgeEnergy(await png([1, 2, 3], 1, 1)), isArg('png'));
    await assert.rejects(edgeEnergy(Buffer.from('not a png')), isArg('png'));
  });
});

describe('collectDenoisedPreviews', () => {
  const fixture = (name: string) => loadPipeline(path.join(root, 'models', 'fixtures', name), { log: () => {} });

  test('gives one PNG preview and one timestep per step, timesteps decreasing; for LCM the last preview is the finished image', async () => {
    const pipe = await fixture('tiny-lcm');
    const r = await collectDenoisedPreviews(pipe, { prompt: 'a cat', steps: 4, seed: 0 });
    assert.equal(r.previews.length, 4);
    assert.equal(r.timesteps.length, 4);
    for (const p of r.previews) assert.equal(p.subarray(1, 4).toString(), 'PNG');
    assert.ok(
      r.timesteps.every((t, i) => i === 0 || t < r.timesteps[i - 1]),
      `${r.timesteps}`,
    );
    // LCM's multistep sampling (Luo et al. 2023, Alg. 3) returns the last step's consistency estimate itself.
    assert.ok(r.image.equals(r.previews[3]));
    await pipe.release();
  });

  test('works with a scheduler override (DPM-Solver++ on the SD fixture) and refuses a caller callback or previews: false', async () => {
    const pipe = await fixture('tiny-sd');
    const r = await collectDenoisedPreviews(pipe, {
      prompt: 'a cat',
      steps: 5,
      seed: 0,
      scheduler: DPM_SOLVER_PP_TRAILING,
    });
    assert.equal(r.previews.length, 5);
    await assert.rejects(collectDenoisedPreviews(pipe, { steps: 2, callback: () => {} }), isArg('callback'));
    await assert.rejects(collectDenoisedPreviews(pipe, { steps: 2, previews: false }), isArg('previews'));
    await pipe.release();
  });
});
