import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { readPublishedResults } from '../../src/published/index.js';
import {
  publishedLatencyFidTables,
  publishedLatencyFront,
  type PublishedFrontRow,
} from '../../src/pareto/publishedFront.js';

const throwsField = (fn: () => unknown, field: string) =>
  assert.throws(
    fn,
    (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
    `expected InvalidArgumentError naming ${field}`,
  );
const citation = { source: 'A et al. 2024', table: 'Table 1' };
const row = (method: string, steps: number | null, metric: string, value: number, extra = {}): PublishedFrontRow => ({
  table: 't',
  method,
  steps,
  metric,
  value,
  unit: metric === 'latency' ? 's' : 'FID',
  citation,
  ...(metric === 'latency' ? { hardware: 'A100' } : {}),
  ...extra,
});

describe('publishedLatencyFront', () => {
  test('joins latency and FID by method and steps; front and knee worked by hand', () => {
    // (latency, FID): a (1, 10), b (2, 6), c (3, 7) dominated by b, d (4, 2), e (8, 1.5).
    // Front a, b, d, e. Normalised (latency by 7, quality -FID by 8.5): a (0, 0), b (1/7, 4/8.5),
    // d (3/7, 8/8.5), e (1, 1); Kneedle q' - c': b 0.328, d 0.513 -> knee d.
    const rows = [
      ['a', 1, 1, 10],
      ['b', 2, 2, 6],
      ['c', 2, 3, 7],
      ['d', 4, 4, 2],
      ['e', 50, 8, 1.5],
    ].flatMap(([m, s, lat, fid]) => [
      row(m as string, s as number, 'latency', lat as number),
      row(m as string, s as number, 'FID', fid as number),
    ]);
    rows.push(row('f', 1, 'FID', 30)); // no latency: unmatched
    const f = publishedLatencyFront(rows, 't');
    assert.deepEqual(
      f.points.map((p) => [p.label, p.latency, p.fid]),
      [
        ['a, 1 step', 1, 10],
        ['b, 2 steps', 2, 6],
        ['c, 2 steps', 3, 7],
        ['d, 4 steps', 4, 2],
        ['e, 50 steps', 8, 1.5],
      ],
    );
    assert.deepEqual(
      f.frontIndices.map((i) => f.points[i].method),
      ['a', 'b', 'd', 'e'],
    );
    assert.equal(f.kneeIndex, 3);
    assert.deepEqual(f.dominated, ['c, 2 steps']);
    assert.deepEqual(f.unmatched, ['f, 1 step']);
    assert.equal(f.hardware, 'A100');
    assert.equal(f.latencyUnit, 's');
    assert.deepEqual(f.citation, citation);
  });

  test('on the shipped data: DMD (Yin et al.) and ADD (Sauer et al.) are the tables with both; their fronts', () => {
    const rows = readPublishedResults().rows;
    assert.deepEqual(publishedLatencyFidTables(rows).sort(), ['add-coco2017-5k', 'dmd-coco2014-30k-512-g3']);
    // DMD Table 3 (A100): DMD 1 step (0.09 s, FID 11.49) beats InstaFlow at the same latency and every
    // 4-step method; only the 50-step teacher (2.59 s, 8.78) has a better FID.
    const dmd = publishedLatencyFront(rows, 'dmd-coco2014-30k-512-g3');
    assert.deepEqual(
      dmd.frontIndices.map((i) => dmd.points[i].label),
      ['DMD, 1 step', 'SD 1.5 + PNDM, 50 steps'],
    );
    assert.equal(dmd.points.length, 6);
    assert.equal(dmd.kneeIndex, undefined);
    assert.match(dmd.citation.source, /Yin et al/);
    // ADD Table 2: ADD-M at 1 step (0.09 s, 19.7) is at least as fast and better than every row with a latency.
    const add = publishedLatencyFront(rows, 'add-coco2017-5k');
    assert.deepEqual(
      add.frontIndices.map((i) => add.points[i].label),
      ['ADD-M, 1 step'],
    );
    assert.deepEqual(add.unmatched, [
      'Progressive Distillation, 1 step',
      'Progressive Distillation, 2 steps',
      'Progressive Distillation, 4 steps',
    ]);
    assert.equal(add.secondary, true);
  });

  test('refuses a table without two joined methods, duplicate values and mixed hardware, naming the field', () => {
    const rows = readPublishedResults().rows;
    throwsField(() => publishedLatencyFront(rows, 'lcm-laion-aes6-512-g8'), 'table');
    throwsField(() => publishedLatencyFront(rows, 'no-such-table'), 'table');
    const dup = [row('a', 1, 'latency', 1), row('a', 1, 'latency', 2), row('a', 1, 'FID', 3), row('b', 2, 'FID', 1)];
    throwsField(() => publishedLatencyFront(dup, 't'), 'rows');
    const mixed = [
      row('a', 1, 'latency', 1),
      row('a', 1, 'FID', 3),
      row('b', 2, 'latency', 2, { hardware: 'T4' }),
      row('b', 2, 'FID', 1),
    ];
    throwsField(() => publishedLatencyFront(mixed, 't'), 'rows');
    throwsField(() => publishedLatencyFront(null as unknown as PublishedFrontRow[], 't'), 'rows');
  });
});
