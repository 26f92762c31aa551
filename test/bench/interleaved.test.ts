import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { benchmarkInterleaved } from '../../src/bench/interleaved.js';
import { InvalidArgumentError } from '../../src/core/errors.js';

const isArg = (field: string) => (e: unknown) => e instanceof InvalidArgumentError && e.field === field;

describe('benchmarkInterleaved', () => {
  test('runs the warm-up round, then times every entry once per round, in entry order', async () => {
    const calls: string[] = [];
    const result = await benchmarkInterleaved(
      [
        { id: 'a', run: () => calls.push('a') },
        {
          id: 'b',
          run: async () => {
            await Promise.resolve();
            calls.push('b');
          },
        },
      ],
      { warmup: 1, repeats: 3 },
    );
    assert.deepEqual(calls, ['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b']);
    assert.deepEqual(
      result.map((r) => r.id),
      ['a', 'b'],
    );
    for (const r of result) {
      assert.equal(r.stats.n, 3);
      assert.equal(r.samplesMs.length, 3);
      assert.ok(r.samplesMs.every((ms) => ms >= 0));
    }
    assert.deepEqual(result[0].results, [3, 5, 7], "what run returned in the timed rounds (calls.push's new length)");
  });

  test('with minTimeMs, keeps timing only the entries whose timed runs add up to less, up to maxRepeats (fake clock)', async () => {
    let t = 0;
    const now = () => t;
    const result = await benchmarkInterleaved(
      [
        {
          id: 'cheap',
          run: () => {
            t += 10;
          },
        },
        {
          id: 'dear',
          run: () => {
            t += 100;
          },
        },
      ],
      { warmup: 0, repeats: 2, minTimeMs: 60, maxRepeats: 10, now },
    );
    assert.deepEqual(
      result.map((r) => r.samplesMs.length),
      [6, 2],
      'cheap: 6 x 10 ms reaches 60 ms; dear: 2 x 100 ms already does',
    );
    assert.equal(result[0].stats.medianMs, 10);
    const capped = await benchmarkInterleaved(
      [
        {
          id: 'c',
          run: () => {
            t += 1;
          },
        },
      ],
      { warmup: 0, repeats: 2, minTimeMs: 1e9, maxRepeats: 4, now },
    );
    assert.equal(capped[0].samplesMs.length, 4);
  });

  test('awaits an async entry inside its timed region (the next entry starts after it settles)', async () => {
    const order: string[] = [];
    await benchmarkInterleaved(
      [
        {
          id: 'slow',
          run: () =>
            new Promise<void>((resolve) =>
              setTimeout(() => {
                order.push('slow done');
                resolve();
              }, 2),
            ),
        },
        { id: 'next', run: () => order.push('next') },
      ],
      { warmup: 0, repeats: 1 },
    );
    assert.deepEqual(order, ['slow done', 'next']);
  });

  test('rejects empty sweeps, duplicate or empty ids, non-function runs and bad round counts, naming the field', async () => {
    const ok = { id: 'a', run: () => 0 };
    await assert.rejects(benchmarkInterleaved([]), isArg('entries'));
    await assert.rejects(benchmarkInterleaved([ok, { id: 'a', run: () => 1 }]), isArg('entries[1].id'));
    await assert.rejects(benchmarkInterleaved([{ id: '', run: () => 0 }]), isArg('entries[0].id'));
    await assert.rejects(
      benchmarkInterleaved([{ id: 'x', run: 3 as unknown as () => unknown }]),
      isArg('entries[0].run'),
    );
    await assert.rejects(benchmarkInterleaved([ok], { repeats: 0 }), isArg('repeats'));
    await assert.rejects(benchmarkInterleaved([ok], { warmup: -1 }), isArg('warmup'));
    await assert.rejects(benchmarkInterleaved([ok], { repeats: 1.5 }), isArg('repeats'));
    await assert.rejects(benchmarkInterleaved([ok], { repeats: 5, maxRepeats: 3 }), isArg('maxRepeats'));
    await assert.rejects(benchmarkInterleaved([ok], { minTimeMs: -1 }), isArg('minTimeMs'));
  });
});
