import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { collectDenoisedPreviews } from '../../src/onnx/previews.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { DPM_SOLVER_PP_TRAILING } from '../../src/evaluation/method.js';
import { loadPipeline } from '../../src/onnx/pipeline.js';

const root = path.resolve(__dirname, '..', '..', '..');
const isArg = (field: string) => (e: unknown) => e instanceof InvalidArgumentError && e.field === field;

describe('collectDenoisedPreviews', () => {
  const fixture = (name: string) => loadPipeline(path.join(root, 'models', 'fixtures', name), { log: () => {} });

  test('gives one PNG preview and one timestep per step, timesteps decreasing; for LCM the last preview is the finished image', async () => {
    const pipe = await fixture('tiny-lcm');
    const r = await collectDenoisedPreviews(pipe, { prompt: 'a cat', steps: 4, seed: 0 });
    assert.equal(r.previews.length, 4);
    assert.equal(r.timesteps.length, 4);
    for (const p of r.previews) assert.equal(p.subarray(1, 4).toString(), 'PNG');
    assert.ok(
      r.timesteps.every((t, i) => i === 0 || t < r.timesteps[i - 1]),
      `${r.timesteps}`,
    );
    // LCM's multistep sampling (Luo et al. 2023, Alg. 3) returns the last step's consistency estimate itself.
    assert.ok(r.image.equals(r.previews[3]));
    await pipe.release();
  });

  test('works with a scheduler override (DPM-Solver++ on the SD fixture) and refuses a caller callback or previews: false', async () => {
    const pipe = await fixture('tiny-sd');
    const r = await collectDenoisedPreviews(pipe, {
      prompt: 'a cat',
      steps: 5,
      seed: 0,
      scheduler: DPM_SOLVER_PP_TRAILING,
    });
    assert.equal(r.previews.length, 5);
    await assert.rejects(collectDenoisedPreviews(pipe, { steps: 2, callback: () => {} }), isArg('callback'));
    await assert.rejects(collectDenoisedPreviews(pipe, { steps: 2, previews: false }), isArg('previews'));
    await pipe.release();
  });
});
