import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { loadPipeline, type TextToImagePipeline } from '../../src/onnx/pipeline.js';
import { OnnxModel } from '../../src/onnx/session.js';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'models', 'fixtures');
const quiet = { device: 'cpu' as const, log: () => {}, warn: () => {} };

/** Counts the text encoder's run() calls. */
function countTextEncoderRuns(pipe: TextToImagePipeline): { n: number } {
  const count = { n: 0 };
  const original = pipe.textEncoder.run.bind(pipe.textEncoder);
  pipe.textEncoder.run = async (feeds) => {
    count.n++;
    return original(feeds);
  };
  return count;
}

describe('pipeline caches (text embeddings, tokenizations, schedulers)', () => {
  const pipes: Record<string, TextToImagePipeline> = {};
  before(async () => {
    pipes.sdCached = await loadPipeline(path.join(FIXTURES, 'tiny-sd'), { ...quiet, textEmbeddingCache: 8 });
    pipes.sdUncached = await loadPipeline(path.join(FIXTURES, 'tiny-sd'), { ...quiet, textEmbeddingCache: 0 });
    pipes.lcmCached = await loadPipeline(path.join(FIXTURES, 'tiny-lcm'), { ...quiet, textEmbeddingCache: 8 });
    pipes.lcmUncached = await loadPipeline(path.join(FIXTURES, 'tiny-lcm'), { ...quiet, textEmbeddingCache: 0 });
  });
  after(async () => {
    for (const p of Object.values(pipes)) await p.release();
  });

  test('a repeated prompt list skips the text encoder and gives the same PNG bytes as with the cache off', async () => {
    for (const [cached, uncached] of [
      [pipes.sdCached, pipes.sdUncached],
      [pipes.lcmCached, pipes.lcmUncached],
    ]) {
      const runs = countTextEncoderRuns(cached);
      const opts = { prompts: ['a cat', 'a dog'], negativePrompt: 'blurry', steps: 3, guidance: 4, seed: 21 };
      const first = await cached.generate(opts);
      const second = await cached.generate(opts);
      const reference = await uncached.generate(opts);
      assert.equal(runs.n, 1);
      assert.equal(first.timings.textEmbeddingCached, false);
      assert.equal(second.timings.textEmbeddingCached, true);
      for (const r of [first, second]) assert.ok(r.images.every((png, i) => png.equals(reference.images[i])));
      assert.equal(reference.timings.textEmbeddingCached, false);
    }
  });

  test('the key is the whole prompt list the encoder sees: another prompt, negative prompt or batch runs it again', async () => {
    const pipe = pipes.sdCached;
    pipe.clearCaches();
    const runs = countTextEncoderRuns(pipe);
    await pipe.generate({ prompt: 'a cat', steps: 1, guidance: 3, seed: 1 });
    await pipe.generate({ prompt: 'a cat', steps: 1, guidance: 5, seed: 2 });
    assert.equal(runs.n, 1, 'guidance 3 and 5 both run CFG on [negative, prompt]');
    await pipe.generate({ prompt: 'a cat', steps: 1, guidance: 3, seed: 1, negativePrompt: 'ugly' });
    await pipe.generate({ prompt: 'a cow', steps: 1, guidance: 3, seed: 1 });
    await pipe.generate({ prompt: 'a cat', steps: 1, guidance: 0, seed: 1 });
    await pipe.generate({ prompt: 'a cat', steps: 1, guidance: 3, seed: 1, batchSize: 2 });
    assert.equal(runs.n, 5);
  });

  test('the cache keeps the most recently used entries up to its size; size 0 runs the encoder every call', async () => {
    const pipe = pipes.lcmCached;
    pipe.clearCaches();
    pipe.textEmbeddingCacheSize = 2;
    const runs = countTextEncoderRuns(pipe);
    for (const prompt of ['a', 'b', 'a', 'c', 'b', 'c']) await pipe.generate({ prompt, steps: 1, seed: 0 });
    // a, b miss; a hits; c misses and evicts b; b misses and evicts a; c hits.
    assert.equal(runs.n, 4);
    pipe.textEmbeddingCacheSize = 0;
    await pipe.generate({ prompt: 'c', steps: 1, seed: 0 });
    await pipe.generate({ prompt: 'c', steps: 1, seed: 0 });
    assert.equal(runs.n, 6);
    pipe.textEmbeddingCacheSize = 8;
  });

  test('a truncated prompt warns on every call, cached or not', async () => {
    const warnings: string[] = [];
    const pipe = await loadPipeline(path.join(FIXTURES, 'tiny-lcm'), { ...quiet, warn: (w) => warnings.push(w) });
    try {
      for (let i = 0; i < 3; i++) await pipe.generate({ prompt: 'cat '.repeat(100), steps: 1, seed: i });
      assert.equal(warnings.length, 3);
      assert.match(warnings[0], /truncated/);
    } finally {
      await pipe.release();
    }
  });

  test('unknown words handed back are copies: changing them does not change the next result', async () => {
    const pipe = pipes.lcmCached;
    const a = await pipe.generate({ prompt: 'a qqq', steps: 1, seed: 0 });
    a.unknownWords[0].push('changed');
    const b = await pipe.generate({ prompt: 'a qqq', steps: 1, seed: 0 });
    assert.ok(!b.unknownWords[0].includes('changed'));
  });

  test('concurrent calls with different step counts give the images of sequential calls (no shared scheduler state)', async () => {
    const pipe = pipes.sdCached;
    const solo2 = await pipes.sdUncached.generate({ prompt: 'a cat', steps: 2, guidance: 0, seed: 4 });
    const solo5 = await pipes.sdUncached.generate({ prompt: 'a cat', steps: 5, guidance: 0, seed: 4 });
    const [c2, c5] = await Promise.all([
      pipe.generate({ prompt: 'a cat', steps: 2, guidance: 0, seed: 4 }),
      pipe.generate({ prompt: 'a cat', steps: 5, guidance: 0, seed: 4 }),
    ]);
    assert.ok(c2.images[0].equals(solo2.images[0]));
    assert.ok(c5.images[0].equals(solo5.images[0]));
    assert.equal(c5.timings.unetMs.length, 5);
  });

  test('the text-embedding cache is off unless asked for, so timings stay end to end', async () => {
    const pipe = await loadPipeline(path.join(FIXTURES, 'tiny-lcm'), quiet);
    try {
      assert.equal(pipe.textEmbeddingCacheSize, 0);
      const request = { prompt: 'a beautiful sunset over mountains', steps: 2, seed: 1 };
      await pipe.generate(request);
      const again = await pipe.generate(request);
      assert.equal(again.timings.textEmbeddingCached, false);
    } finally {
      await pipe.release();
    }
  });

  test('textEmbeddingCache must be an integer in [0, 1024]', async () => {
    for (const bad of [-1, 1.5, 2000, NaN]) {
      await assert.rejects(
        loadPipeline(path.join(FIXTURES, 'tiny-lcm'), { ...quiet, textEmbeddingCache: bad }),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === 'textEmbeddingCache',
      );
      assert.throws(
        () => {
          pipes.lcmCached.textEmbeddingCacheSize = bad;
        },
        (e: unknown) => e instanceof InvalidArgumentError && e.field === 'textEmbeddingCacheSize',
      );
    }
    assert.equal(pipes.lcmCached.textEmbeddingCacheSize, 8);
  });
});

describe('OnnxModel time accounting', () => {
  test('runMs counts the session.run calls alone; building tensors and fp16 conversions go to convertMs', async () => {
    const vae = await OnnxModel.open(path.join(FIXTURES, 'tiny-sd-fp16', 'vae_decoder', 'model.onnx'), {
      device: 'cpu',
      component: 'vae_decoder',
      log: () => {},
    });
    try {
      const t0 = performance.now();
      await vae.run({ latent_sample: { data: new Float32Array(64).fill(0.25), dims: [1, 4, 4, 4] } });
      const wall = performance.now() - t0;
      assert.equal(vae.runs, 1);
      assert.ok(vae.runMs > 0 && vae.convertMs > 0);
      assert.equal(vae.lastRunMs, vae.runMs);
      assert.ok(vae.runMs + vae.convertMs <= wall);
    } finally {
      await vae.release();
    }
  });
});
