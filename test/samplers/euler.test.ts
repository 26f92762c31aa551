import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError, NumericalError } from '../../src/core/errors.js';
import { createEulerDiscreteScheduler } from '../../src/samplers/euler.js';
import { createScheduler } from '../../src/samplers/registry.js';
import { EPS, X, checkStepCase, describeCase, loadGolden, type StepCase } from './goldenSupport.js';
import { goldenLoops } from './loopSupport.js';

const steps = loadGolden<StepCase>('diffusers_steps.json').filter((c) => c.class === 'EulerDiscreteScheduler');

describe('EulerDiscreteScheduler matches diffusers step for step', () => {
  test('the golden file covers every prediction type', () => {
    for (const p of ['epsilon', 'v_prediction', 'sample'])
      assert.ok(
        steps.some((c) => c.config.prediction_type === p),
        p,
      );
  });
  for (const c of steps) test(`one step: ${describeCase(c)}`, () => checkStepCase(c));
  for (const l of goldenLoops('EulerDiscreteScheduler')) test(l.name, l.check);
});

describe('EulerDiscreteScheduler behaviour', () => {
  test('an SDXL-style scheduler_config.json builds through createScheduler (leading + offset: init sigma sqrt(sigma_max^2 + 1))', () => {
    const s = createScheduler({
      _class_name: 'EulerDiscreteScheduler',
      beta_end: 0.012,
      beta_schedule: 'scaled_linear',
      beta_start: 0.00085,
      interpolation_type: 'linear',
      num_train_timesteps: 1000,
      prediction_type: 'epsilon',
      sample_max_value: 1.0,
      steps_offset: 1,
      timestep_spacing: 'leading',
      trained_betas: null,
      use_karras_sigmas: false,
    });
    assert.equal(s.className, 'EulerDiscreteScheduler');
    s.setTimesteps(4);
    assert.deepEqual(s.timesteps, [751, 501, 251, 1]);
    assert.ok(Math.abs(s.initNoiseSigma - Math.sqrt(s.sigmas[0] ** 2 + 1)) < 1e-5);
  });

  test("defaults are diffusers' (linspace spacing, final sigma 0, fractional timesteps)", () => {
    const s = createEulerDiscreteScheduler();
    assert.equal(s.config.timestep_spacing, 'linspace');
    assert.equal(s.config.final_sigmas_type, 'zero');
    s.setTimesteps(3);
    assert.deepEqual(s.timesteps, [999, 499.5, 0]);
    assert.equal(s.sigmas.length, 4);
    assert.equal(s.sigmas[3], 0);
    assert.equal(s.initNoiseSigma, s.sigmas[0]);
  });

  test('leading spacing starts from sqrt(sigma_max^2 + 1)', () => {
    const s = createEulerDiscreteScheduler({ timestep_spacing: 'leading' });
    s.setTimesteps(4);
    assert.ok(Math.abs(s.initNoiseSigma - Math.sqrt(s.sigmas[0] ** 2 + 1)) < 1e-5);
  });

  test('scaleModelInput divides by sqrt(sigma^2 + 1)', () => {
    const s = createEulerDiscreteScheduler();
    s.setTimesteps(10);
    const scaled = s.scaleModelInput(X, 2);
    const c = Math.sqrt(s.sigmas[2] ** 2 + 1);
    scaled.forEach((v, i) => assert.ok(Math.abs(v - X[i] / c) < 1e-6));
  });

  test('the last step lands exactly on the denoised estimate when the final sigma is 0', () => {
    const s = createEulerDiscreteScheduler();
    s.setTimesteps(5);
    const out = s.step(EPS, 4, X);
    out.prevSample.forEach((v, i) => assert.ok(Math.abs(v - out.denoised[i]) < 1e-6));
  });

  test('is deterministic: needs no noise source and repeats exactly', () => {
    const s = createEulerDiscreteScheduler();
    s.setTimesteps(5);
    assert.deepEqual(s.step(EPS, 1, X).prevSample, s.step(EPS, 1, X).prevSample);
  });

  test('unsupported sigma options and unknown names are rejected by field', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ use_exponential_sigmas: true }, 'use_exponential_sigmas'],
      [{ use_beta_sigmas: true }, 'use_beta_sigmas'],
      [{ interpolation_type: 'log_linear' }, 'interpolation_type'],
      [{ timestep_type: 'continuous' }, 'timestep_type'],
      [{ final_sigmas_type: 'one' }, 'final_sigmas_type'],
      [{ timestep_spacing: 'karras' }, 'timestep_spacing'],
      [{ prediction_type: 'flow_prediction' }, 'prediction_type'],
      [{ beta_schedule: 'quadratic' }, 'beta_schedule'],
    ];
    for (const [cfg, field] of cases) {
      assert.throws(
        () => createEulerDiscreteScheduler(cfg),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
        field,
      );
    }
  });

  test('bad step counts and NaN model outputs throw typed errors', () => {
    const s = createEulerDiscreteScheduler();
    for (const bad of [0, -2, 3.5, NaN, 1001]) {
      assert.throws(
        () => s.setTimesteps(bad),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === 'numInferenceSteps',
        String(bad),
      );
    }
    s.setTimesteps(3);
    const bad = EPS.slice();
    bad[15] = NaN;
    assert.throws(
      () => s.step(bad, 0, X),
      (e: unknown) => e instanceof NumericalError && e.component === 'modelOutput',
    );
  });
});
