import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError, NumericalError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { ancestralStepSigmas, createEulerAncestralDiscreteScheduler } from '../../src/samplers/eulerAncestral.js';
import { EPS, FixedNoise, X, checkStepCase, describeCase, loadGolden, type StepCase } from './goldenSupport.js';
import { goldenLoops } from './loopSupport.js';

const steps = loadGolden<StepCase>('diffusers_steps.json').filter((c) => c.class === 'EulerAncestralDiscreteScheduler');

describe('EulerAncestralDiscreteScheduler matches diffusers step for step', () => {
  test('the golden file covers epsilon and v_prediction', () => {
    for (const p of ['epsilon', 'v_prediction'])
      assert.ok(
        steps.some((c) => c.config.prediction_type === p),
        p,
      );
  });
  for (const c of steps) test(`one step: ${describeCase(c)}`, () => checkStepCase(c));
  for (const l of goldenLoops('EulerAncestralDiscreteScheduler')) test(l.name, l.check);
});

describe('EulerAncestralDiscreteScheduler behaviour', () => {
  test('sigma_down^2 + sigma_up^2 = sigma_to^2, and sigma_up = 0 when stepping to 0', () => {
    for (const [from, to] of [
      [14.6, 7.3],
      [3, 2.9],
      [1, 0.01],
    ]) {
      const { sigmaUp, sigmaDown } = ancestralStepSigmas(from, to);
      assert.ok(Math.abs(sigmaUp ** 2 + sigmaDown ** 2 - to ** 2) < 1e-12 * Math.max(1, to ** 2));
      assert.ok(sigmaDown <= to && sigmaUp > 0);
    }
    assert.deepEqual(ancestralStepSigmas(2, 0), { sigmaUp: 0, sigmaDown: 0 });
  });

  test('draws one noise tensor per step, the last included, as diffusers does', () => {
    const s = createEulerAncestralDiscreteScheduler();
    s.setTimesteps(3);
    const noise = new FixedNoise();
    for (let i = 0; i < 3; i++) s.step(EPS, i, X, { noise });
    assert.equal(noise.calls, 3);
  });

  test('a step without options.noise throws InvalidArgumentError naming noise', () => {
    const s = createEulerAncestralDiscreteScheduler();
    s.setTimesteps(3);
    assert.throws(
      () => s.step(EPS, 0, X),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'noise',
    );
  });

  test('the same seed gives the same step, another seed a different one', () => {
    const s = createEulerAncestralDiscreteScheduler();
    s.setTimesteps(3);
    const a = s.step(EPS, 0, X, { noise: new Rng(11) }).prevSample;
    assert.deepEqual(s.step(EPS, 0, X, { noise: new Rng(11) }).prevSample, a);
    assert.notDeepEqual(s.step(EPS, 0, X, { noise: new Rng(12) }).prevSample, a);
  });

  test('prediction_type "sample" is rejected, as diffusers does', () => {
    assert.throws(
      () => createEulerAncestralDiscreteScheduler({ prediction_type: 'sample' }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'prediction_type',
    );
  });

  test('bad step counts, spacings and NaN outputs throw typed errors', () => {
    assert.throws(
      () => createEulerAncestralDiscreteScheduler({ timestep_spacing: 'even' }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'timestep_spacing',
    );
    const s = createEulerAncestralDiscreteScheduler();
    for (const bad of [0, -1, 1.25, NaN, 5000]) {
      assert.throws(
        () => s.setTimesteps(bad),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === 'numInferenceSteps',
        String(bad),
      );
    }
    s.setTimesteps(2);
    const bad = EPS.slice();
    bad[1] = NaN;
    assert.throws(
      () => s.step(bad, 0, X, { noise: new Rng(1) }),
      (e: unknown) => e instanceof NumericalError && e.component === 'modelOutput',
    );
  });
});
