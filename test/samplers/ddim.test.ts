import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError, NumericalError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { createDDIMScheduler } from '../../src/samplers/ddim.js';
import { createScheduler } from '../../src/samplers/registry.js';
import { EPS, X, checkStepCase, describeCase, loadGolden, type StepCase } from './goldenSupport.js';
import { goldenLoops } from './loopSupport.js';

const steps = loadGolden<StepCase>('diffusers_steps.json').filter((c) => c.class === 'DDIMScheduler');

describe('DDIMScheduler matches diffusers step for step', () => {
  test('the golden file covers every prediction type, eta 0 and eta 1', () => {
    for (const p of ['epsilon', 'v_prediction', 'sample']) {
      for (const eta of [0, 1])
        assert.ok(
          steps.some((c) => c.config.prediction_type === p && c.eta === eta),
          `${p} eta ${eta}`,
        );
    }
  });
  for (const c of steps) test(`one step: ${describeCase(c)}`, () => checkStepCase(c));
  for (const l of goldenLoops('DDIMScheduler')) test(l.name, l.check);
});

describe('DDIMScheduler behaviour', () => {
  test('a Stable Diffusion scheduler_config.json builds through createScheduler, unknown keys ignored', () => {
    const s = createScheduler({
      _class_name: 'DDIMScheduler',
      _diffusers_version: '0.8.0',
      beta_end: 0.012,
      beta_schedule: 'scaled_linear',
      beta_start: 0.00085,
      clip_sample: false,
      num_train_timesteps: 1000,
      prediction_type: 'epsilon',
      set_alpha_to_one: false,
      skip_prk_steps: true,
      steps_offset: 1,
      trained_betas: null,
    });
    assert.equal(s.className, 'DDIMScheduler');
    s.setTimesteps(50);
    assert.deepEqual(s.timesteps.slice(0, 3), [981, 961, 941]);
    assert.equal(s.timesteps[49], 1);
  });

  test("defaults are diffusers' (leading spacing, clip_sample on, set_alpha_to_one on, eta 0)", () => {
    const s = createDDIMScheduler();
    assert.equal(s.className, 'DDIMScheduler');
    assert.equal(s.config.timestep_spacing, 'leading');
    assert.equal(s.config.clip_sample, true);
    assert.equal(s.config.set_alpha_to_one, true);
    assert.equal(s.config.eta, 0);
    assert.equal(s.initNoiseSigma, 1);
    assert.equal(s.sigmas.length, 0);
    s.setTimesteps(10);
    assert.deepEqual(s.timesteps, [900, 800, 700, 600, 500, 400, 300, 200, 100, 0]);
  });

  test('eta 0 is deterministic and needs no noise source', () => {
    const s = createDDIMScheduler({ clip_sample: false });
    s.setTimesteps(10);
    const a = s.step(EPS, 3, X);
    const b = s.step(EPS, 3, X);
    assert.deepEqual(a.prevSample, b.prevSample);
  });

  test('a step is a pure function of its arguments (no hidden step counter)', () => {
    const s = createDDIMScheduler({ clip_sample: false });
    s.setTimesteps(10);
    const first = s.step(EPS, 5, X).prevSample;
    s.step(EPS, 0, X);
    s.step(EPS, 9, X);
    assert.deepEqual(s.step(EPS, 5, X).prevSample, first);
  });

  test('eta > 0 without options.noise throws InvalidArgumentError naming noise', () => {
    const s = createDDIMScheduler({ eta: 1 });
    s.setTimesteps(4);
    assert.throws(
      () => s.step(EPS, 0, X),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'noise',
    );
    assert.doesNotThrow(() => s.step(EPS, 0, X, { noise: new Rng(1) }));
  });

  test('the same seed gives the same stochastic step', () => {
    const s = createDDIMScheduler({ eta: 1 });
    s.setTimesteps(4);
    assert.deepEqual(
      s.step(EPS, 1, X, { noise: new Rng(7) }).prevSample,
      s.step(EPS, 1, X, { noise: new Rng(7) }).prevSample,
    );
    assert.notDeepEqual(
      s.step(EPS, 1, X, { noise: new Rng(7) }).prevSample,
      s.step(EPS, 1, X, { noise: new Rng(8) }).prevSample,
    );
  });

  test('clip_sample clamps the denoised estimate to clip_sample_range', () => {
    const s = createDDIMScheduler({ clip_sample: true, clip_sample_range: 0.5 });
    s.setTimesteps(10);
    const { denoised } = s.step(EPS, 0, X);
    assert.ok(denoised.every((v) => Math.abs(v) <= 0.5));
    assert.ok(denoised.some((v) => Math.abs(v) === 0.5));
  });

  test('NaN in the model output throws NumericalError naming modelOutput', () => {
    const s = createDDIMScheduler();
    s.setTimesteps(4);
    const bad = EPS.slice();
    bad[3] = NaN;
    assert.throws(
      () => s.step(bad, 0, X),
      (e: unknown) => e instanceof NumericalError && e.component === 'modelOutput',
    );
  });

  test('a model output of the wrong length throws InvalidArgumentError', () => {
    const s = createDDIMScheduler();
    s.setTimesteps(4);
    assert.throws(() => s.step(EPS.subarray(0, 5), 0, X), InvalidArgumentError);
  });

  test('step before setTimesteps and step indices outside the grid throw InvalidArgumentError naming stepIndex', () => {
    const s = createDDIMScheduler();
    assert.throws(
      () => s.step(EPS, 0, X),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'stepIndex',
    );
    s.setTimesteps(4);
    for (const bad of [-1, 4, 1.5, NaN]) {
      assert.throws(
        () => s.step(EPS, bad, X),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === 'stepIndex',
        String(bad),
      );
    }
  });

  test('numInferenceSteps must be an integer in [1, num_train_timesteps]', () => {
    const s = createDDIMScheduler();
    for (const bad of [0, -3, 2.5, NaN, 1001, Infinity]) {
      assert.throws(
        () => s.setTimesteps(bad),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === 'numInferenceSteps',
        String(bad),
      );
    }
    s.setTimesteps(1000);
    assert.equal(s.timesteps.length, 1000);
  });

  test('unknown beta_schedule, timestep_spacing, prediction_type and unsupported thresholding are rejected by name', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ beta_schedule: 'cosine' }, 'beta_schedule'],
      [{ timestep_spacing: 'uniform' }, 'timestep_spacing'],
      [{ prediction_type: 'flow' }, 'prediction_type'],
      [{ thresholding: true }, 'thresholding'],
      [{ eta: -1 }, 'eta'],
      [{ steps_offset: 1.5 }, 'steps_offset'],
      [{ clip_sample: 'yes' }, 'clip_sample'],
    ];
    for (const [cfg, field] of cases) {
      assert.throws(
        () => createDDIMScheduler(cfg),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
        field,
      );
    }
  });

  test('a steps_offset that pushes leading timesteps past the schedule throws naming steps_offset', () => {
    const s = createDDIMScheduler({ steps_offset: 1 });
    assert.throws(
      () => s.setTimesteps(1000),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'steps_offset',
    );
  });
});
