import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { InvalidArgumentError, MissingResourceError } from '../../src/core/errors.js';
import { OnnxModel, resetCudaHint, type OnnxFeed } from '../../src/onnx/session.js';
import { cudaProviderLibrary } from '../../src/onnx/providers.js';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'models', 'fixtures');
const open = (variant: string, part: string) =>
  OnnxModel.open(path.join(FIXTURES, variant, part, 'model.onnx'), { device: 'cpu', component: part, log: () => {} });

function unetFeeds(batch: number, ehsBatch = batch): Record<string, OnnxFeed> {
  return {
    sample: { data: new Float32Array(batch * 4 * 4 * 4).fill(0.5), dims: [batch, 4, 4, 4] },
    timestep: { data: new Float32Array([500]), dims: [1] },
    encoder_hidden_states: { data: new Float32Array(ehsBatch * 77 * 16).fill(0.1), dims: [ehsBatch, 77, 16] },
  };
}

describe('OnnxModel', () => {
  test('reads input and output names, dtypes and shapes from the session metadata', async () => {
    const unet = await open('tiny-sd', 'unet');
    assert.deepEqual(
      unet.inputs.map((s) => [s.name, s.type, s.shape]),
      [
        ['sample', 'float32', ['batch', 4, 'height', 'width']],
        ['timestep', 'float32', ['steps']],
        ['encoder_hidden_states', 'float32', ['batch', 77, 16]],
      ],
    );
    assert.deepEqual(
      unet.outputs.map((s) => s.name),
      ['out_sample'],
    );
    assert.equal(unet.provider, 'cpu');
    const lcm = await open('tiny-lcm', 'unet');
    assert.equal(lcm.input('timestep').type, 'int64');
    assert.deepEqual(lcm.input('timestep_cond').shape, ['batch', 256]);
  });

  test('runs valid feeds and counts the time spent in session.run', async () => {
    const unet = await open('tiny-sd', 'unet');
    const out = await unet.run(unetFeeds(2));
    assert.deepEqual(out.out_sample.dims, [2, 4, 4, 4]);
    assert.ok(out.out_sample.data instanceof Float32Array);
    assert.equal(unet.runs, 1);
    assert.ok(unet.runMs > 0);
  });

  test('a missing input is rejected, listing every expected name, dtype and shape', async () => {
    const unet = await open('tiny-sd', 'unet');
    const feeds = unetFeeds(1);
    delete feeds.timestep;
    await assert.rejects(
      unet.run(feeds),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        e.field === 'unet.timestep' &&
        /sample: float32 \[batch, 4, height, width\]; timestep: float32 \[steps\]; encoder_hidden_states: float32 \[batch, 77, 16\]/.test(
          e.message,
        ),
    );
  });

  test('an unexpected input name, a wrong dtype, a wrong fixed dimension or an inconsistent batch is rejected', async () => {
    const unet = await open('tiny-sd', 'unet');
    await assert.rejects(
      unet.run({ ...unetFeeds(1), timestep_cond: { data: new Float32Array(256), dims: [1, 256] } }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'unet.timestep_cond',
    );
    await assert.rejects(
      unet.run({ ...unetFeeds(1), sample: { data: new Int32Array(64), dims: [1, 4, 4, 4] } }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'unet.sample' && /int32/.test(e.message),
    );
    await assert.rejects(
      unet.run({ ...unetFeeds(1), sample: { data: new Float32Array(48), dims: [1, 3, 4, 4] } }),
      /dimension 1 must be 4/,
    );
    await assert.rejects(unet.run(unetFeeds(2, 1)), /"batch" = 2 elsewhere/);
    await assert.rejects(
      unet.run({ ...unetFeeds(1), sample: { data: new Float32Array(10), dims: [1, 4, 4, 4] } }),
      InvalidArgumentError,
    );
  });

  test('int64 inputs accept Int32Array ids and fp16 models take and give float32', async () => {
    const te = await open('tiny-sd-int64', 'text_encoder');
    const out = await te.run({ input_ids: { data: new Int32Array(77).fill(5), dims: [1, 77] } });
    assert.deepEqual(out.last_hidden_state.dims, [1, 77, 16]);
    const vae = await open('tiny-sd-fp16', 'vae_decoder');
    assert.equal(vae.inputs[0].type, 'float16');
    const img = await vae.run({ latent_sample: { data: new Float32Array(64).fill(0.25), dims: [1, 4, 4, 4] } });
    assert.ok(img.sample.data instanceof Float32Array);
    assert.equal(img.sample.type, 'float16');
    assert.deepEqual(img.sample.dims, [1, 3, 32, 32]);
    assert.ok(Array.from(img.sample.data as Float32Array).every(Number.isFinite));
  });

  test('a missing model file throws MissingResourceError with the fetch-model hint', async () => {
    await assert.rejects(
      OnnxModel.open(path.join(FIXTURES, 'nope', 'model.onnx'), { device: 'cpu' }),
      (e: unknown) => e instanceof MissingResourceError && /npm run fetch-model/.test(e.message),
    );
  });
});

describe('the CUDA hint on a CPU-only machine (issue 11 item 15)', () => {
  test(
    'is said once per process, as information; each model then says only where it runs',
    { skip: cudaProviderLibrary().present ? 'the CUDA provider is installed here' : false },
    async () => {
      resetCudaHint();
      const lines: string[] = [];
      for (const part of ['unet', 'vae_decoder', 'unet']) {
        await OnnxModel.open(path.join(FIXTURES, 'tiny-sd', part, 'model.onnx'), {
          device: 'auto',
          component: part,
          log: (l) => lines.push(l),
        });
      }
      assert.deepEqual(
        lines.filter((l) => !l.includes('(info)')),
        ['onnx: unet on cpu', 'onnx: vae_decoder on cpu', 'onnx: unet on cpu'],
      );
      const info = lines.filter((l) => l.includes('(info)'));
      assert.equal(info.length, 1);
      assert.match(info[0], /npm run setup:cuda/);
      assert.doesNotMatch(lines.join('\n'), /not in|error|failed/i);
    },
  );
});
