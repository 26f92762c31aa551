import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { InvalidArgumentError, MissingResourceError, NumericalError } from '../../src/core/errors.js';
import { createScheduler } from '../../src/samplers/registry.js';
import type { Scheduler, StepOptions } from '../../src/samplers/types.js';
import { loadPipeline, type TextToImagePipeline } from '../../src/onnx/pipeline.js';
import type { OnnxFeed } from '../../src/onnx/session.js';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'models', 'fixtures');
const quiet = { device: 'cpu' as const, log: () => {}, warn: () => {} };
const load = (variant: string) => loadPipeline(path.join(FIXTURES, variant), quiet);

/** Records the feeds of every UNet call. */
function spyUnet(pipe: TextToImagePipeline): Array<Record<string, OnnxFeed>> {
  const calls: Array<Record<string, OnnxFeed>> = [];
  const original = pipe.unet.run.bind(pipe.unet);
  pipe.unet.run = async (feeds) => {
    calls.push(feeds);
    return original(feeds);
  };
  return calls;
}

describe('text-to-image pipeline on the tiny fixtures', () => {
  const pipes: Record<string, TextToImagePipeline> = {};
  before(async () => {
    for (const v of ['tiny-sd', 'tiny-lcm', 'tiny-turbo', 'tiny-sd-int64', 'tiny-sd-fp16']) pipes[v] = await load(v);
  });
  after(async () => {
    for (const p of Object.values(pipes)) await p.release();
  });

  test('detects the family from model_index.json, the UNet inputs and the scheduler config', () => {
    assert.equal(pipes['tiny-sd'].family, 'sd');
    assert.equal(pipes['tiny-lcm'].family, 'lcm');
    assert.equal(pipes['tiny-turbo'].family, 'turbo');
    assert.equal(pipes['tiny-sd'].nativeSize, 32);
    assert.equal(pipes['tiny-sd'].scalingFactor, 0.18215);
    assert.equal(pipes['tiny-lcm'].timeCondDim, 256);
  });

  for (const variant of ['tiny-sd', 'tiny-lcm', 'tiny-turbo', 'tiny-sd-int64', 'tiny-sd-fp16']) {
    test(`${variant}: the same seed gives the same PNG bytes, another seed another image`, async () => {
      const pipe = pipes[variant];
      const opts = { prompt: 'a photo of a cat', steps: 3, guidance: 2 };
      const a = await pipe.generate({ ...opts, seed: 42 });
      const b = await pipe.generate({ ...opts, seed: 42 });
      const c = await pipe.generate({ ...opts, seed: 43 });
      assert.equal(a.images.length, 1);
      assert.ok(a.images[0].equals(b.images[0]));
      assert.ok(!a.images[0].equals(c.images[0]));
      const meta = await sharp(a.images[0]).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height, meta.channels], ['png', 32, 32, 3]);
      assert.deepEqual(a.seeds, [42]);
      assert.equal(a.provider, 'cpu');
      assert.equal(a.timings.unetMs.length, 3);
    });
  }

  test('classifier-free guidance runs the UNet once per step on a 2b batch: [negative, prompt] embeddings', async () => {
    const pipe = pipes['tiny-sd'];
    const calls = spyUnet(pipe);
    await pipe.generate({ prompts: ['a cat', 'a dog'], negativePrompt: 'blurry', steps: 2, guidance: 7.5, seed: 1 });
    assert.equal(calls.length, 2);
    for (const f of calls) {
      assert.deepEqual(f.sample.dims, [4, 4, 4, 4]);
      assert.deepEqual(f.encoder_hidden_states.dims, [4, 77, 16]);
      // The two halves of the sample are the same latents.
      const s = f.sample.data as Float32Array;
      assert.deepEqual(s.subarray(0, 128), s.subarray(128));
    }
    calls.length = 0;
    await pipe.generate({ prompts: ['a cat', 'a dog'], steps: 2, guidance: 1, seed: 1 });
    assert.deepEqual(
      calls.map((f) => f.sample.dims[0]),
      [2, 2],
    );
  });

  test('the guidance changes an SD image only through CFG (guidance 0 and 1 both mean no CFG, same image)', async () => {
    const pipe = pipes['tiny-sd'];
    const g0 = await pipe.generate({ prompt: 'a cat', steps: 2, guidance: 0, seed: 5 });
    const g1 = await pipe.generate({ prompt: 'a cat', steps: 2, guidance: 1, seed: 5 });
    const g7 = await pipe.generate({ prompt: 'a cat', steps: 2, guidance: 7, seed: 5 });
    assert.ok(g0.images[0].equals(g1.images[0]));
    assert.ok(!g0.images[0].equals(g7.images[0]));
  });

  test('LCM: one b-batch UNet call per step with timestep_cond [b, 256] from w = guidance - 1, int64 timestep', async () => {
    const pipe = pipes['tiny-lcm'];
    const calls = spyUnet(pipe);
    const a = await pipe.generate({ prompt: 'a cat', steps: 4, guidance: 8.5, seed: 3, batchSize: 2 });
    assert.equal(calls.length, 4);
    for (const f of calls) {
      assert.deepEqual(f.sample.dims, [2, 4, 4, 4]);
      assert.deepEqual(f.timestep_cond.dims, [2, 256]);
      assert.ok(f.timestep.data instanceof BigInt64Array);
    }
    // diffusers' get_guidance_scale_embedding: the first half is sin(1000 w f_k), f_0 = 1, the second half cos.
    const cond = calls[0].timestep_cond.data as Float32Array;
    assert.ok(Math.abs(cond[0] - Math.sin(7500)) < 1e-3);
    assert.ok(Math.abs(cond[128] - Math.cos(7500)) < 1e-3);
    const b = await pipe.generate({ prompt: 'a cat', steps: 4, guidance: 2, seed: 3, batchSize: 2 });
    assert.ok(!a.images[0].equals(b.images[0]));
  });

  test('the timestep dtype follows the UNet metadata: float32 for tiny-sd, int64 for tiny-sd-int64', async () => {
    const f32 = spyUnet(pipes['tiny-sd']);
    await pipes['tiny-sd'].generate({ prompt: 'a', steps: 1, guidance: 0, seed: 0 });
    assert.ok(f32[0].timestep.data instanceof Float32Array);
    assert.deepEqual(f32[0].timestep.dims, [1]);
    const i64 = spyUnet(pipes['tiny-sd-int64']);
    await pipes['tiny-sd-int64'].generate({ prompt: 'a', steps: 1, guidance: 0, seed: 0 });
    assert.ok(i64[0].timestep.data instanceof BigInt64Array);
  });

  test('a batch gets one seed per image: seed, seed + 1, ... or the given seeds; images differ', async () => {
    const pipe = pipes['tiny-lcm'];
    const r = await pipe.generate({ prompt: 'a cat', steps: 2, seed: 10, batchSize: 3 });
    assert.deepEqual(r.seeds, [10, 11, 12]);
    assert.equal(new Set(r.images.map((b) => b.toString('base64'))).size, 3);
    const s = await pipe.generate({ prompt: 'a cat', steps: 2, seeds: [10, 11, 12] });
    assert.ok(s.images.every((b, i) => b.equals(r.images[i])));
  });

  test('the callback sees every step with latents, denoised and elapsed time; previews decode denoised', async () => {
    const pipe = pipes['tiny-lcm'];
    const seen: Array<{ step: number; timestep: number; n: number; previews: number }> = [];
    const r = await pipe.generate({
      prompt: 'a cat',
      steps: 3,
      seed: 1,
      batchSize: 2,
      previews: true,
      callback: (info) => {
        seen.push({
          step: info.step,
          timestep: info.timestep,
          n: info.latents.length,
          previews: info.previews?.length ?? 0,
        });
        assert.equal(info.denoised.length, 128);
        assert.ok(info.elapsedMs >= 0);
      },
    });
    assert.deepEqual(
      seen.map((s) => s.step),
      [0, 1, 2],
    );
    assert.ok(seen.every((s) => s.n === 2 * 4 * 4 * 4 && s.previews === 2));
    assert.ok(r.timings.previewMs > 0);
    // LCM's last step returns denoised itself, so the last preview is the final image.
  });

  test("scheduler: a config override or a Scheduler object replaces the model's scheduler", async () => {
    const pipe = pipes['tiny-sd'];
    const ddim = await pipe.generate({ prompt: 'a cat', steps: 3, guidance: 0, seed: 2 });
    const euler = await pipe.generate({
      prompt: 'a cat',
      steps: 3,
      guidance: 0,
      seed: 2,
      scheduler: { _class_name: 'EulerDiscreteScheduler' },
    });
    const eulerObj = await pipe.generate({
      prompt: 'a cat',
      steps: 3,
      guidance: 0,
      seed: 2,
      scheduler: createScheduler({ ...pipe.schedulerConfig, _class_name: 'EulerDiscreteScheduler' }),
    });
    assert.ok(!ddim.images[0].equals(euler.images[0]));
    assert.ok(euler.images[0].equals(eulerObj.images[0]));
  });

  test('width and height other than native work when they are multiples of 8 in range', async () => {
    const r = await pipes['tiny-turbo'].generate({ prompt: 'a', steps: 1, seed: 0, width: 48, height: 16 });
    const meta = await sharp(r.images[0]).metadata();
    assert.deepEqual([meta.width, meta.height], [48, 16]);
  });

  test('bad options throw InvalidArgumentError naming the field', async () => {
    const pipe = pipes['tiny-sd'];
    const bad: Array<[string, Record<string, unknown>]> = [
      ['width', { width: 12 }],
      ['width', { width: 256 }],
      ['height', { height: 0 }],
      ['steps', { steps: 0 }],
      ['steps', { steps: 1001 }],
      ['steps', { steps: 2.5 }],
      ['guidance', { guidance: -1 }],
      ['guidance', { guidance: NaN }],
      ['batchSize', { batchSize: 0 }],
      ['prompts', { prompts: ['a', 'b'], batchSize: 3 }],
      ['prompts', { prompts: [] }],
      ['prompts', { prompt: 'a', prompts: ['a'] }],
      ['seeds', { seeds: [1, 2], batchSize: 3, seed: undefined }],
      ['seeds[1]', { seeds: [1, -2], seed: undefined }],
      ['seed', { seeds: [1, 2], seed: 1 }],
      ['seed', { seed: 1.5 }],
      ['negativePrompt', { negativePrompt: ['x', 'y'], batchSize: 3 }],
      ['scheduler', { scheduler: 'DDIM' }],
    ];
    for (const [field, opts] of bad) {
      await assert.rejects(
        pipe.generate({ prompt: 'a', steps: 1, seed: 0, ...opts }),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
        `${field} ${JSON.stringify(opts)}`,
      );
    }
  });

  test('NaN out of the UNet throws NumericalError naming the unet and suggesting fp32', async () => {
    const pipe = pipes['tiny-sd'];
    const base = createScheduler(pipe.schedulerConfig as Record<string, unknown>);
    const poisoned: Scheduler = Object.assign(Object.create(base) as Scheduler, {
      scaleModelInput: (sample: Float32Array) => sample.map(() => NaN),
    });
    await assert.rejects(
      pipe.generate({ prompt: 'a', steps: 2, guidance: 0, seed: 0, scheduler: poisoned }),
      (e: unknown) => e instanceof NumericalError && e.component === 'unet' && /fp32/.test(e.message),
    );
  });

  test('NaN reaching the VAE throws NumericalError naming the vae_decoder', async () => {
    const pipe = pipes['tiny-sd'];
    const base = createScheduler(pipe.schedulerConfig as Record<string, unknown>);
    const poisoned: Scheduler = Object.assign(Object.create(base) as Scheduler, {
      step: (modelOutput: Float32Array, i: number, sample: Float32Array, o?: StepOptions) => {
        const out = base.step.call(poisoned, modelOutput, i, sample, o);
        return { ...out, prevSample: out.prevSample.map(() => Infinity) };
      },
    });
    await assert.rejects(
      pipe.generate({ prompt: 'a', steps: 1, guidance: 0, seed: 0, scheduler: poisoned }),
      (e: unknown) => e instanceof NumericalError && e.component === 'vae_decoder',
    );
  });
});

describe('loadPipeline on broken model folders', () => {
  function copyFixture(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-model-'));
    fs.cpSync(path.join(FIXTURES, 'tiny-sd'), dir, { recursive: true });
    return dir;
  }

  test('a missing folder throws MissingResourceError with the fetch-model hint', async () => {
    await assert.rejects(
      loadPipeline(path.join(FIXTURES, 'no-such-model'), quiet),
      (e: unknown) => e instanceof MissingResourceError && /npm run fetch-model -- <repo>/.test(e.message),
    );
  });

  for (const rel of [
    'model_index.json',
    path.join('scheduler', 'scheduler_config.json'),
    path.join('unet', 'model.onnx'),
    path.join('text_encoder', 'model.onnx'),
    path.join('vae_decoder', 'model.onnx'),
    path.join('tokenizer', 'vocab.json'),
  ]) {
    test(`a missing ${rel} throws MissingResourceError naming it`, async () => {
      const dir = copyFixture();
      fs.rmSync(path.join(dir, rel));
      await assert.rejects(
        loadPipeline(dir, quiet),
        (e: unknown) =>
          e instanceof MissingResourceError &&
          e.path === path.join(dir, rel) &&
          e.message.includes(rel.split(path.sep).pop()!),
      );
    });
  }

  test('family "lcm" on a UNet without timestep_cond is refused', async () => {
    await assert.rejects(
      loadPipeline(path.join(FIXTURES, 'tiny-sd'), { ...quiet, family: 'lcm' }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'family',
    );
  });
});
