import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPipeline } from '../../src/onnx/pipeline.js';
import { runnableSchedulerConfig } from '../../src/onnx/schedulerFallback.js';
import { createScheduler } from '../../src/samplers/registry.js';

/**
 * SD 1.5 and SD 2.1 base ship scheduler/scheduler_config.json with `"_class_name": "PNDMScheduler"`
 * (the values below are those of runwayml/stable-diffusion-v1-5's file). Before this fallback, loading
 * such a folder worked but generate() threw `_class_name = "PNDMScheduler" is not allowed`.
 */
const SD15_PNDM = {
  _class_name: 'PNDMScheduler',
  _diffusers_version: '0.6.0',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
  clip_sample: false,
};

describe('a PNDMScheduler config runs as DDIM on the same schedule and grid', () => {
  test('keeps the training schedule, prediction type and grid keys; no clipping; says so', () => {
    const { config, note } = runnableSchedulerConfig({ ...SD15_PNDM, prediction_type: 'v_prediction' });
    assert.equal(config._class_name, 'DDIMScheduler');
    assert.equal(config.clip_sample, false);
    assert.equal(config.set_alpha_to_one, false);
    assert.equal(config.steps_offset, 1);
    assert.equal(config.prediction_type, 'v_prediction');
    assert.equal(config.beta_schedule, 'scaled_linear');
    assert.match(note ?? '', /PNDMScheduler.*DDIMScheduler/);
  });

  test('the DDIM timesteps are the PNDM (skip_prk_steps) timesteps: leading spacing + steps_offset, 25 steps -> 961 ... 1', () => {
    const s = createScheduler(runnableSchedulerConfig(SD15_PNDM).config);
    s.setTimesteps(25);
    // diffusers PNDMScheduler.set_timesteps, "leading": _timesteps = arange(0, 25) * (1000 // 25) + steps_offset;
    // with skip_prk_steps it runs them from the top (evaluating 921 twice to start its multistep).
    const pndm = Array.from({ length: 25 }, (_, k) => k * 40 + 1).reverse();
    assert.deepEqual(s.timesteps, pndm);
  });

  test('other configs are returned as they are', () => {
    const ddim = { _class_name: 'DDIMScheduler', clip_sample: true };
    assert.equal(runnableSchedulerConfig(ddim).config, ddim);
    assert.equal(runnableSchedulerConfig(ddim).note, undefined);
  });

  test('a model folder that ships PNDMScheduler generates (fails before the fallback)', async () => {
    const src = path.resolve(__dirname, '..', '..', '..', 'models', 'fixtures', 'tiny-sd');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-pndm-'));
    fs.cpSync(src, dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'scheduler', 'scheduler_config.json'), JSON.stringify(SD15_PNDM));
    const lines: string[] = [];
    const pipe = await loadPipeline(dir, { device: 'cpu', log: (l) => lines.push(l), warn: () => {} });
    try {
      const r = await pipe.generate({ prompt: 'a photo of a cat', steps: 3, seed: 1 });
      assert.equal(r.images.length, 1);
      assert.ok(lines.some((l) => l.includes('PNDMScheduler')));
    } finally {
      await pipe.release();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
