import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { createScheduler, SCHEDULER_CLASSES } from '../../src/samplers/registry.js';

/** Defaults of each diffusers class (read from diffusers' __init__ signatures), a few telling keys each. */
const EXPECTED_DEFAULTS: Record<string, Record<string, unknown>> = {
  DDPMScheduler: { num_train_timesteps: 1000, beta_schedule: 'linear', prediction_type: 'epsilon' },
  DDIMScheduler: { num_train_timesteps: 1000, beta_schedule: 'linear', prediction_type: 'epsilon' },
  EulerDiscreteScheduler: { num_train_timesteps: 1000, beta_schedule: 'linear', prediction_type: 'epsilon' },
  EulerAncestralDiscreteScheduler: { num_train_timesteps: 1000, beta_schedule: 'linear', prediction_type: 'epsilon' },
  DPMSolverMultistepScheduler: {
    solver_order: 2,
    algorithm_type: 'dpmsolver++',
    solver_type: 'midpoint',
    final_sigmas_type: 'zero',
    timestep_spacing: 'linspace',
  },
  LCMScheduler: {
    beta_schedule: 'scaled_linear',
    beta_start: 0.00085,
    beta_end: 0.012,
    original_inference_steps: 50,
    timestep_scaling: 10,
  },
  CMStochasticIterativeScheduler: { num_train_timesteps: 40, sigma_min: 0.002, sigma_max: 80, rho: 7, sigma_data: 0.5 },
};

describe('createScheduler picks the sampler by _class_name', () => {
  test('the registry knows the seven diffusers classes of the course', () => {
    assert.deepEqual([...SCHEDULER_CLASSES].sort(), Object.keys(EXPECTED_DEFAULTS).sort());
  });

  for (const [name, defaults] of Object.entries(EXPECTED_DEFAULTS)) {
    test(`${name}: builds from {_class_name} alone, with diffusers' defaults, and runs setTimesteps(4)`, () => {
      const s = createScheduler({ _class_name: name });
      assert.equal(s.className, name);
      for (const [k, v] of Object.entries(defaults)) assert.equal(s.config[k], v, `${name}.${k}`);
      s.setTimesteps(4);
      assert.equal(s.timesteps.length, 4);
      assert.equal(s.numInferenceSteps, 4);
    });
  }

  test('config keys override defaults and unknown keys (e.g. _diffusers_version) are kept but ignored', () => {
    const s = createScheduler({
      _class_name: 'DPMSolverMultistepScheduler',
      _diffusers_version: '0.27.0',
      solver_order: 1,
      clip_sample: false,
    });
    assert.equal(s.config.solver_order, 1);
    assert.equal(s.config._diffusers_version, '0.27.0');
  });

  test('a Stable Diffusion LCM scheduler_config.json builds an LCMScheduler with its 4-step timesteps', () => {
    const s = createScheduler({
      _class_name: 'LCMScheduler',
      _diffusers_version: '0.22.0.dev0',
      beta_end: 0.012,
      beta_schedule: 'scaled_linear',
      beta_start: 0.00085,
      clip_sample: false,
      num_train_timesteps: 1000,
      original_inference_steps: 50,
      prediction_type: 'epsilon',
      set_alpha_to_one: true,
      steps_offset: 1,
      timestep_spacing: 'leading',
      trained_betas: null,
    });
    s.setTimesteps(4);
    assert.deepEqual(s.timesteps, [999, 759, 499, 259]);
  });

  for (const name of ['PNDMScheduler', 'lcmscheduler', '', undefined, 42, 'constructor', '__proto__']) {
    test(`_class_name ${JSON.stringify(name)} throws InvalidArgumentError naming _class_name`, () => {
      assert.throws(
        () => createScheduler({ _class_name: name as string }),
        (e: unknown) =>
          e instanceof InvalidArgumentError && e.field === '_class_name' && e.message.includes('LCMScheduler'),
      );
    });
  }
});
