import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { benchmark, benchmarkSync } from '../../src/bench/benchmark.js';

describe('benchmark / benchmarkSync (call counts and options; no timing assertions)', () => {
  test('runs warmup untimed calls, then exactly `repeats` timed calls when minTimeMs is 0', async () => {
    let calls = 0;
    const stats = await benchmark(() => void calls++, { warmup: 3, repeats: 4 });
    assert.equal(calls, 7);
    assert.equal(stats.n, 4);
    assert.equal(stats.samplesMs.length, 4);
    for (const s of stats.samplesMs) assert.ok(s >= 0 && Number.isFinite(s));
    assert.ok(
      stats.minMs <= stats.q1Ms &&
        stats.q1Ms <= stats.medianMs &&
        stats.medianMs <= stats.q3Ms &&
        stats.q3Ms <= stats.maxMs,
    );
  });

  test('awaits an async function inside each run: runs never overlap', async () => {
    let active = 0;
    let maxActive = 0;
    let done = 0;
    await benchmark(
      async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setImmediate(r));
        active--;
        done++;
      },
      { warmup: 2, repeats: 3 },
    );
    assert.equal(maxActive, 1);
    assert.equal(done, 5);
  });

  test('minTimeMs adds runs until their total reaches it, capped by maxRepeats', () => {
    const capped = benchmarkSync(() => 0, { warmup: 0, repeats: 2, minTimeMs: 1e9, maxRepeats: 9 });
    assert.equal(capped.n, 9);
    const filled = benchmarkSync(() => Math.sqrt(2), { warmup: 0, repeats: 1, minTimeMs: 0.5, maxRepeats: 1_000_000 });
    const total = filled.samplesMs.reduce((a, b) => a + b, 0);
    assert.ok(total >= 0.5, `stopped at ${filled.n} runs with total ${total} ms`);
  });

  test('defaults: one warmup and five timed runs', () => {
    let calls = 0;
    const stats = benchmarkSync(() => void calls++);
    assert.equal(calls, 6);
    assert.equal(stats.n, 5);
  });

  test('benchmarkSync refuses a function that returns a promise', () => {
    assert.throws(
      () => benchmarkSync(async () => 1, { warmup: 0, repeats: 1 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'fn',
    );
  });

  test('bad options throw InvalidArgumentError naming the option', async () => {
    await assert.rejects(
      benchmark(() => 0, { repeats: 0 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'repeats',
    );
    await assert.rejects(
      benchmark(() => 0, { warmup: 1.5 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'warmup',
    );
    await assert.rejects(
      benchmark(() => 0, { minTimeMs: -1 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'minTimeMs',
    );
    await assert.rejects(
      benchmark(() => 0, { repeats: 5, maxRepeats: 2 }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'maxRepeats',
    );
    await assert.rejects(
      benchmark(42 as unknown as () => void),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'fn',
    );
  });
});
