import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import {
  halvingSchedule,
  PD_TOY_SCHEDULER,
  progressiveDistillationTarget,
  sampleDistilled,
  simulateProgressiveDistillation,
} from '../../src/distill/progressive.js';
import { progressiveDistillationCurve } from '../../src/distill/curve.js';
import { createScheduler } from '../../src/samplers/registry.js';
import { createToyModel } from '../../src/toy/modelAdapter.js';
import { exampleMixture2d, GaussianMixture } from '../../src/toy/mixture.js';

const throwsField = (fn: () => unknown, field: string) =>
  assert.throws(
    fn,
    (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
    `expected InvalidArgumentError naming ${field}`,
  );

describe('halvingSchedule', () => {
  test("64 steps halve to 1 in six stages, each student with half its teacher's steps", () => {
    const stages = halvingSchedule(64);
    assert.deepEqual(
      stages.map((s) => [s.stage, s.teacherSteps, s.studentSteps]),
      [
        [1, 64, 32],
        [2, 32, 16],
        [3, 16, 8],
        [4, 8, 4],
        [5, 4, 2],
        [6, 2, 1],
      ],
    );
    assert.deepEqual(
      halvingSchedule(8, 2).map((s) => s.studentSteps),
      [4, 2],
    );
  });

  test("step counts that are not powers of two, or a final count not below the teacher's, are refused", () => {
    throwsField(() => halvingSchedule(48), 'teacherSteps');
    throwsField(() => halvingSchedule(1), 'teacherSteps');
    throwsField(() => halvingSchedule(2048), 'teacherSteps');
    throwsField(() => halvingSchedule(64, 3), 'finalSteps');
    throwsField(() => halvingSchedule(8, 8), 'finalSteps');
  });
});

describe('progressiveDistillationTarget (Salimans & Ho 2022, Algorithm 2)', () => {
  test('matches the formula worked by hand', () => {
    // ratio = 0.6 / 0.8 = 0.75; denominator 0.8 - 0.75 * 0.6 = 0.35; (0.5 - 0.75 * 1) / 0.35 = -5/7.
    const [x] = progressiveDistillationTarget([1], [0.5], 0.6, 0.8, 0.8, 0.6);
    assert.ok(Math.abs(x - -5 / 7) < 1e-6, `${x}`);
    // At t'' = 0 (alpha 1, sigma 0) the target is z_t'' itself.
    assert.deepEqual(
      Array.from(progressiveDistillationTarget([3, -2], [0.25, 0.5], 0.3, Math.sqrt(1 - 0.09), 1, 0)),
      [0.25, 0.5],
    );
  });

  test('one DDIM step of the student grid with the target as x0 lands exactly where two teacher DDIM steps landed', () => {
    const mixture = exampleMixture2d();
    const teacherSched = createScheduler(PD_TOY_SCHEDULER);
    teacherSched.setTimesteps(16);
    const studentSched = createScheduler(PD_TOY_SCHEDULER);
    studentSched.setTimesteps(8);
    const teacher = createToyModel(teacherSched, mixture);
    const z = new Rng(11).normal(64 * 2);
    for (const i of [0, 3, 7]) {
      const zt = z.map((v) => v * 0.9);
      const step = (s: typeof teacherSched, x: Float32Array, k: number) =>
        s.step(teacher(x, s.timesteps[k], k), k, x).prevSample;
      const twoSteps = step(teacherSched, step(teacherSched, zt, 2 * i), 2 * i + 1);
      const t = studentSched.timesteps[i];
      const tpp = t - 1024 / 8;
      const abar = studentSched.alphasCumprod[t];
      const abarPP = tpp >= 0 ? studentSched.alphasCumprod[tpp] : 1;
      const target = progressiveDistillationTarget(
        zt,
        twoSteps,
        Math.sqrt(abar),
        Math.sqrt(1 - abar),
        Math.sqrt(abarPP),
        Math.sqrt(1 - abarPP),
      );
      const oneStep = studentSched.step(target, i, zt).prevSample;
      const worst = Math.max(...Array.from(oneStep, (v, k) => Math.abs(v - twoSteps[k])));
      assert.ok(worst < 1e-5, `step ${i}: largest difference ${worst}`);
    }
  });

  test('bad inputs are refused', () => {
    throwsField(() => progressiveDistillationTarget([1], [1], 0.6, 0, 0.8, 0.6), 'sigmaT');
    throwsField(() => progressiveDistillationTarget([1, 2], [1], 0.6, 0.8, 0.8, 0.6), 'zTpp.length');
    throwsField(() => progressiveDistillationTarget([], [], 0.6, 0.8, 0.8, 0.6), 'zT');
    throwsField(() => progressiveDistillationTarget([1], [1], 0.8, 0.6, 0.6, 0.8), 'alphaTpp'); // t'' noisier than t
  });
});

describe('simulateProgressiveDistillation', () => {
  test("on a single Gaussian (a linear problem) affine students reproduce the teacher's DDIM exactly, stage after stage", () => {
    // For Gaussian data the exact denoiser and every DDIM step are affine in z, so an affine student
    // can fit the two-step target exactly and the 1-step student equals 8-step DDIM.
    const gaussian = new GaussianMixture({ weights: [1], means: [[0.3, -0.2]], variances: [[0.04, 0.09]] });
    const sim = simulateProgressiveDistillation(gaussian, { teacherSteps: 8, grid: 0, trainPoints: 200, seed: 1 });
    assert.deepEqual(
      sim.students.map((s) => s.studentSteps),
      [4, 2, 1],
    );
    for (const s of sim.students) assert.ok(Math.max(...s.fitRmse) < 1e-4, `stage ${s.stage}: fit RMSE ${s.fitRmse}`);
    const noise = new Rng(2).normal(100 * 2);
    const teacher8 = sampleDistilled(sim.config, sim.teacher, 8, noise);
    const student1 = sampleDistilled(sim.config, sim.students[2].model, 1, noise);
    const worst = Math.max(...Array.from(student1, (v, k) => Math.abs(v - teacher8[k])));
    assert.ok(worst < 1e-3, `1-step student vs 8-step teacher: ${worst}`);
    // ...while plain 1-step DDIM is far off (it lands on the posterior mean from pure noise).
    const ddim1 = sampleDistilled(sim.config, sim.teacher, 1, noise);
    assert.ok(Math.max(...Array.from(ddim1, (v, k) => Math.abs(v - teacher8[k]))) > 0.1);
  });

  test('is deterministic by seed', () => {
    const mixture = exampleMixture2d();
    const noise = new Rng(3).normal(50 * 2);
    const run = (seed: number) => {
      const sim = simulateProgressiveDistillation(mixture, { teacherSteps: 4, trainPoints: 100, seed });
      return sampleDistilled(sim.config, sim.students[1].model, 1, noise);
    };
    assert.deepEqual(run(5), run(5));
    assert.notDeepEqual(run(5), run(6));
  });

  test('on the four-cluster toy the distilled 1-step student is far closer to the data than 1-step DDIM', () => {
    const mixture = exampleMixture2d();
    const sim = simulateProgressiveDistillation(mixture, { teacherSteps: 16, trainPoints: 600, seed: 0 });
    const curve = progressiveDistillationCurve(mixture, sim, { points: 1000, seeds: [7], projections: 64 });
    assert.deepEqual(curve.steps, [1, 2, 4, 8]);
    assert.equal(curve.floor.length, 1);
    const i1 = curve.steps.indexOf(1);
    assert.ok(
      curve.distilled.mean[i1] < curve.ddim.mean[i1] / 3,
      `student ${curve.distilled.mean[i1]} vs DDIM ${curve.ddim.mean[i1]} at 1 step`,
    );
    // DDIM itself gets worse as steps fall; the students stay near the teacher.
    assert.ok(curve.ddim.mean[0] > curve.ddim.mean[3]);
    assert.ok(
      curve.distilled.mean[i1] < 2.5 * curve.teacher.mean,
      `student ${curve.distilled.mean[i1]} vs teacher ${curve.teacher.mean}`,
    );
  });

  test('a student refuses any grid but its own', () => {
    const sim = simulateProgressiveDistillation(exampleMixture2d(), { teacherSteps: 4, trainPoints: 100 });
    throwsField(() => sampleDistilled(sim.config, sim.students[0].model, 4, new Rng(1).normal(8)), 'stepIndex');
  });

  test('bad settings are refused with the field named', () => {
    const m = exampleMixture2d();
    throwsField(() => simulateProgressiveDistillation(m, { teacherSteps: 48 }), 'teacherSteps');
    throwsField(() => simulateProgressiveDistillation(m, { trainPoints: 3 }), 'trainPoints');
    throwsField(
      () => simulateProgressiveDistillation(m, { scheduler: { ...PD_TOY_SCHEDULER, num_train_timesteps: 1000 } }),
      'scheduler.num_train_timesteps',
    );
    throwsField(
      () => simulateProgressiveDistillation(m, { scheduler: { ...PD_TOY_SCHEDULER, prediction_type: 'epsilon' } }),
      'scheduler.prediction_type',
    );
    throwsField(
      () => simulateProgressiveDistillation(m, { scheduler: { ...PD_TOY_SCHEDULER, _class_name: 'DDPMScheduler' } }),
      'scheduler._class_name',
    );
    throwsField(
      () =>
        progressiveDistillationCurve(m, simulateProgressiveDistillation(m, { teacherSteps: 2, trainPoints: 50 }), {
          seeds: [],
        }),
      'seeds',
    );
  });
});
