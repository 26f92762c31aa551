import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { loadPipeline } from '../../src/onnx/pipeline.js';
import { createScheduler } from '../../src/samplers/registry.js';
import { betasFor } from '../../src/schedules/betas.js';
import { karrasSigmas } from '../../src/schedules/sigmas.js';

const invalid = (field: string) => (e: unknown) => e instanceof InvalidArgumentError && e.field === field;
const linear = (betaStart: number, betaEnd: number, betaSchedule = 'linear') => ({
  numTrainTimesteps: 1000,
  betaStart,
  betaEnd,
  betaSchedule,
});
const SD = { beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear' };

describe('beta schedules: every beta strictly inside (0, 1), beta_start <= beta_end', () => {
  test('beta_end = 1 (alphaBar would reach 0 and sigma infinity) is rejected by name, for both linear schedules', () => {
    assert.throws(() => betasFor(linear(0.0001, 1)), invalid('beta_end'));
    assert.throws(() => betasFor(linear(0.0001, 1, 'scaled_linear')), invalid('beta_end'));
  });

  test('beta_start = 0, negative or >= 1 betas, and beta_start > beta_end are rejected by name', () => {
    assert.throws(() => betasFor(linear(0, 0.02)), invalid('beta_start'));
    assert.throws(() => betasFor(linear(-0.1, 0.02)), invalid('beta_start'));
    assert.throws(
      () => betasFor(linear(0.02, 0.0001)),
      (e: unknown) => invalid('beta_start')(e) && /beta_start <= beta_end/.test((e as Error).message),
    );
    assert.throws(
      () => betasFor({ ...linear(0, 0), trainedBetas: [0.5, 1], numTrainTimesteps: 2 }),
      invalid('trained_betas[1]'),
    );
  });

  test('Stable Diffusion betas and beta_start = beta_end still build', () => {
    assert.equal(betasFor(linear(0.00085, 0.012, 'scaled_linear')).length, 1000);
    const flat = betasFor(linear(0.01, 0.01));
    assert.ok(flat.every((b) => b === Math.fround(0.01)));
  });

  test('every scheduler class rejects beta_end = 1 from its config instead of sampling with NaN', () => {
    for (const cls of [
      'DDPMScheduler',
      'DDIMScheduler',
      'EulerDiscreteScheduler',
      'EulerAncestralDiscreteScheduler',
      'DPMSolverMultistepScheduler',
      'LCMScheduler',
    ]) {
      assert.throws(() => createScheduler({ _class_name: cls, ...SD, beta_end: 1 }), invalid('beta_end'), cls);
    }
  });
});

describe('Karras sigmas: 0 <= sigma_min <= sigma_max', () => {
  test('sigma_min > sigma_max is rejected naming sigma_min (the ramp would add noise)', () => {
    assert.throws(() => karrasSigmas(14.6, 0.03, 5), invalid('sigma_min'));
    assert.throws(() => karrasSigmas(-1, 0.03, 5), invalid('sigma_min'));
    assert.throws(() => karrasSigmas(0.03, Number.POSITIVE_INFINITY, 5), invalid('sigma_max'));
  });

  test('an Euler config with use_karras_sigmas and sigma_min > sigma_max is rejected when built', () => {
    const cfg = { _class_name: 'EulerDiscreteScheduler', ...SD, use_karras_sigmas: true, sigma_min: 10, sigma_max: 1 };
    assert.throws(() => createScheduler(cfg), invalid('sigma_min'));
  });

  test("an explicit sigma_min above the schedule's own sigma_max is rejected at setTimesteps", () => {
    const s = createScheduler({
      _class_name: 'EulerDiscreteScheduler',
      ...SD,
      use_karras_sigmas: true,
      sigma_min: 100,
    });
    assert.throws(() => s.setTimesteps(4), invalid('sigma_min'));
  });
});

describe('Euler: timesteps stay inside the training range', () => {
  test('leading spacing with a steps_offset that pushes the first timestep past num_train_timesteps - 1 is rejected', () => {
    for (const cls of ['EulerDiscreteScheduler', 'EulerAncestralDiscreteScheduler']) {
      const s = createScheduler({ _class_name: cls, ...SD, timestep_spacing: 'leading', steps_offset: 300 });
      // leading, 4 steps of 1000: 750 + 300 = 1050 > 999
      assert.throws(() => s.setTimesteps(4), invalid('steps_offset'), cls);
    }
  });

  test('the largest offset that fits is accepted: 750 + 249 = 999', () => {
    const s = createScheduler({
      _class_name: 'EulerDiscreteScheduler',
      ...SD,
      timestep_spacing: 'leading',
      steps_offset: 249,
    });
    s.setTimesteps(4);
    assert.equal(s.timesteps[0], 999);
  });
});

describe('a model folder whose scheduler_config.json is bad', () => {
  test('generate names the file and the key, not the model', { timeout: 60_000 }, async () => {
    const src = path.resolve(__dirname, '..', '..', '..', 'models', 'scenes-teacher');
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'fewstep-badsched-'));
    await fsp.cp(src, dir, { recursive: true });
    const file = path.join(dir, 'scheduler', 'scheduler_config.json');
    const cfg = JSON.parse(await fsp.readFile(file, 'utf8'));
    await fsp.writeFile(file, JSON.stringify({ ...cfg, beta_end: 1 }));
    const pipe = await loadPipeline(dir, { device: 'cpu', log: () => {} });
    await assert.rejects(pipe.generate({ prompt: 'a red circle', steps: 2, seed: 0 }), (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError, String(e));
      assert.equal(e.field, `${file} beta_end`);
      assert.match(
        e.message,
        /scheduler_config\.json beta_end = 1 is not allowed: expected a number strictly between 0 and 1/,
      );
      return true;
    });
    await fsp.rm(dir, { recursive: true, force: true });
  });
});
