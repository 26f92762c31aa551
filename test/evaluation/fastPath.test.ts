/**
 * The evaluation's fast paths give the same numbers as the paths they replace, to the last bit:
 * raw pixels instead of a PNG encode + decode, a FrechetReference reused across methods instead of
 * the plain reference features, text embeddings reused across methods instead of re-encoded, and
 * ONNX Runtime sessions that do not spin. (scripts/perf/bench-evaluate.mjs measures the time saved
 * and checks the same equalities on the notebooks' own methods and image counts.)
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { bootstrapFrechet, FrechetReference } from '../../src/evaluation/bootstrap.js';
import { pairScores, pixelPairScores } from '../../src/evaluation/session.js';
import { decodeImage } from '../../src/image/tensorPng.js';
import { frechetDistance } from '../../src/metrics/frechet.js';
import { generateImagePixels, generateImageSet } from '../../src/onnx/imageSet.js';
import { loadPipeline, type TextToImagePipeline } from '../../src/onnx/pipeline.js';
import { threadingOptions } from '../../src/onnx/session.js';
import { pngsToPixels, rawImagesToPixels, sceneReference } from '../../src/quality/sceneEvaluator.js';

const root = path.resolve(__dirname, '..', '..', '..');
const reference = sceneReference(6);

describe('evaluation fast paths', () => {
  let pipe: TextToImagePipeline | undefined;
  const open = async () =>
    (pipe ??= await loadPipeline(path.join(root, 'models', 'scenes-lcm'), { device: 'cpu', log: () => {} }));
  after(async () => pipe?.release());

  test('generateImagePixels gives the bytes that decoding generateImageSet PNGs gives, and the same evaluator input', async () => {
    const p = await open();
    const o = { steps: 2, width: 64, height: 64, batchSize: 4 };
    const pngs = await generateImageSet(p, reference.prompts, o);
    const raw = await generateImagePixels(p, reference.prompts, o);
    assert.equal(raw.length, pngs.length);
    for (let i = 0; i < pngs.length; i++) {
      const d = await decodeImage(pngs[i]);
      assert.equal(d.channels, 3);
      assert.deepEqual(raw[i], d, `image ${i}`);
    }
    assert.deepEqual(rawImagesToPixels(raw, 64), await pngsToPixels(pngs, 64));
    // PSNR/SSIM pairs: the same per-pair numbers from pixels as from PNGs (another seed as "reference").
    const other = { ...o, firstSeed: 2000 };
    const refPngs = await generateImageSet(p, reference.prompts, other);
    const refRaw = await generateImagePixels(p, reference.prompts, other);
    assert.deepEqual(pixelPairScores(raw, refRaw), await pairScores(pngs, refPngs));
  });

  test("generate refuses an output other than 'png' or 'pixels', naming the field", async () => {
    const p = await open();
    await assert.rejects(
      p.generate({ prompt: reference.prompts[0], seed: 1, steps: 1, output: 'jpeg' as 'png' }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'output',
    );
  });

  test('a reused text embedding gives the same images as a fresh text-encoder run', async () => {
    const p = await open();
    const o = { steps: 1, width: 64, height: 64 };
    p.textEmbeddingCacheSize = 0;
    const fresh = await generateImagePixels(p, reference.prompts, o);
    p.textEmbeddingCacheSize = 4;
    await generateImagePixels(p, reference.prompts, { ...o, steps: 2 });
    const reused = await p.generate({
      prompts: reference.prompts,
      seeds: [1000, 1001, 1002, 1003, 1004, 1005],
      ...o,
      output: 'pixels',
    });
    assert.equal(reused.timings.textEmbeddingCached, true, 'the second method on the model reuses the embeddings');
    assert.deepEqual(reused.pixels, fresh);
    p.textEmbeddingCacheSize = 0;
  });

  test('bootstrapFrechet with a FrechetReference reused across feature sets equals the plain-array result', () => {
    const dim = 6;
    const n = 30;
    const rng = new Rng(7);
    const real = rng.normal(n * dim);
    const sets = [rng.normal(n * dim), rng.normal(n * dim).map((v) => 1.5 * v + 0.3), rng.normal((n + 5) * dim)];
    const shared = new FrechetReference(real, dim);
    for (const [k, g] of sets.entries()) {
      const plain = bootstrapFrechet(g, real, dim, { reps: 25, seed: 0 });
      const reused = bootstrapFrechet(g, shared, dim, { reps: 25, seed: 0 });
      assert.deepEqual(reused, plain, `set ${k}`);
      assert.equal(plain.value, frechetDistance(g, real, dim), 'the value is the plain Frechet distance');
    }
  });

  test('FrechetReference refuses a dim that does not match the features', () => {
    const shared = new FrechetReference(new Float64Array(12), 3);
    assert.throws(() => bootstrapFrechet(new Float64Array(12), shared, 4), /reference\.dim/);
  });

  test('sessions do not spin unless FEWSTEP_ORT_SPINNING=1; FEWSTEP_ORT_THREADS is checked', () => {
    const saved = { ...process.env };
    try {
      delete process.env.FEWSTEP_ORT_SPINNING;
      delete process.env.FEWSTEP_ORT_THREADS;
      assert.deepEqual(threadingOptions(), {
        extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
      });
      process.env.FEWSTEP_ORT_SPINNING = '1';
      process.env.FEWSTEP_ORT_THREADS = '1';
      const o = threadingOptions();
      assert.equal(o.intraOpNumThreads, 1);
      assert.deepEqual(o.extra, { session: { intra_op: { allow_spinning: '1' }, inter_op: { allow_spinning: '1' } } });
      process.env.FEWSTEP_ORT_THREADS = 'two';
      assert.throws(() => threadingOptions(), /FEWSTEP_ORT_THREADS/);
    } finally {
      process.env.FEWSTEP_ORT_SPINNING = saved.FEWSTEP_ORT_SPINNING;
      process.env.FEWSTEP_ORT_THREADS = saved.FEWSTEP_ORT_THREADS;
      if (saved.FEWSTEP_ORT_SPINNING === undefined) delete process.env.FEWSTEP_ORT_SPINNING;
      if (saved.FEWSTEP_ORT_THREADS === undefined) delete process.env.FEWSTEP_ORT_THREADS;
    }
  });
});
