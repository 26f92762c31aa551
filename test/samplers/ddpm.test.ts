import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError, NumericalError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { createDDPMScheduler } from '../../src/samplers/ddpm.js';
import { EPS, FixedNoise, X, checkStepCase, describeCase, loadGolden, type StepCase } from './goldenSupport.js';
import { goldenLoops } from './loopSupport.js';

const steps = loadGolden<StepCase>('diffusers_steps.json').filter((c) => c.class === 'DDPMScheduler');

describe('DDPMScheduler matches diffusers step for step', () => {
  test('the golden file covers every prediction type with and without clip_sample', () => {
    for (const p of ['epsilon', 'v_prediction', 'sample']) {
      for (const clip of [true, false])
        assert.ok(
          steps.some((c) => c.config.prediction_type === p && c.config.clip_sample === clip),
          `${p} ${clip}`,
        );
    }
  });
  for (const c of steps) test(`one step: ${describeCase(c)}`, () => checkStepCase(c));
  for (const l of goldenLoops('DDPMScheduler')) test(l.name, l.check);
});

describe('DDPMScheduler behaviour', () => {
  test("defaults are diffusers' (linear betas, fixed_small variance, clip_sample on, leading spacing)", () => {
    const s = createDDPMScheduler();
    assert.equal(s.className, 'DDPMScheduler');
    assert.equal(s.config.variance_type, 'fixed_small');
    assert.equal(s.config.clip_sample, true);
    assert.equal(s.numTrainTimesteps, 1000);
    assert.equal(s.alphasCumprod.length, 1000);
    s.setTimesteps(4);
    assert.deepEqual(s.timesteps, [750, 500, 250, 0]);
  });

  test('noise is drawn on every step whose timestep is above 0, and only there', () => {
    const s = createDDPMScheduler();
    s.setTimesteps(4);
    const noise = new FixedNoise();
    for (let i = 0; i < 4; i++) s.step(EPS, i, X, { noise });
    assert.equal(noise.calls, 3);
    // the last step (t = 0) is deterministic: no noise source needed
    assert.doesNotThrow(() => s.step(EPS, 3, X));
  });

  test('a stochastic step without options.noise throws InvalidArgumentError naming noise', () => {
    const s = createDDPMScheduler();
    s.setTimesteps(4);
    assert.throws(
      () => s.step(EPS, 0, X),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'noise',
    );
  });

  test('fixed_large uses beta_t as the variance, so it adds more noise than fixed_small', () => {
    const small = createDDPMScheduler({ clip_sample: false });
    const large = createDDPMScheduler({ clip_sample: false, variance_type: 'fixed_large' });
    small.setTimesteps(10);
    large.setTimesteps(10);
    const zero = new Float32Array(X.length);
    const base = small.step(EPS, 2, zero, { noise: { normal: (n) => new Float32Array(n) } }).prevSample;
    const spread = (s: typeof small) => {
      const out = s.step(EPS, 2, zero, { noise: { normal: (n) => new Float32Array(n).fill(1) } }).prevSample;
      return out[0] - base[0];
    };
    assert.ok(spread(large) > spread(small) && spread(small) > 0);
  });

  test('the same seed gives the same sample', () => {
    const s = createDDPMScheduler();
    s.setTimesteps(10);
    assert.deepEqual(
      s.step(EPS, 4, X, { noise: new Rng(3) }).prevSample,
      s.step(EPS, 4, X, { noise: new Rng(3) }).prevSample,
    );
  });

  test('learned variances are rejected by name (they need a split model output)', () => {
    for (const v of ['learned', 'learned_range', 'fixed_small_log', 'huge']) {
      assert.throws(
        () => createDDPMScheduler({ variance_type: v }),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === 'variance_type',
        v,
      );
    }
  });

  test('bad configs and step counts throw InvalidArgumentError naming the field', () => {
    assert.throws(
      () => createDDPMScheduler({ beta_schedule: 'sigmoid' }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'beta_schedule',
    );
    assert.throws(
      () => createDDPMScheduler({ prediction_type: 'x0' }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'prediction_type',
    );
    assert.throws(
      () => createDDPMScheduler({ num_train_timesteps: 0 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'num_train_timesteps',
    );
    assert.throws(
      () => createDDPMScheduler({ trained_betas: [0.1, 0.2] }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'trained_betas',
    );
    const s = createDDPMScheduler();
    for (const bad of [0, -1, 0.5, NaN, 1001]) {
      assert.throws(
        () => s.setTimesteps(bad),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === 'numInferenceSteps',
        String(bad),
      );
    }
  });

  test('Inf in the model output throws NumericalError naming modelOutput', () => {
    const s = createDDPMScheduler();
    s.setTimesteps(4);
    const bad = EPS.slice();
    bad[0] = Infinity;
    assert.throws(
      () => s.step(bad, 3, X),
      (e: unknown) => e instanceof NumericalError && e.component === 'modelOutput',
    );
  });
});
