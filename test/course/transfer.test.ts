import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { InvalidArgumentError } from '../../src/core/errors.js';
import {
  canonicalMethod,
  compareTradeoffs,
  isDistilledMethod,
  modelEvalStepScores,
  publishedStepScores,
  type StepScore,
} from '../../src/course/transfer.js';
import { readPublishedResults } from '../../src/published/index.js';
import { readModelEval } from '../../src/evaluation/recorded.js';

const root = path.resolve(__dirname, '..', '..', '..');
const invalid = (field: string) => (e: unknown) => e instanceof InvalidArgumentError && e.field === field;
const row = (
  method: string,
  steps: number,
  value: number,
  distilled: boolean,
  interval?: [number, number],
): StepScore => ({ method, steps, value, distilled, ...(interval ? { interval } : {}) });

// A small measured side and a published side; every expectation below is worked out by hand in the comments.
const measured = [
  row('DDIM', 1, 80, false),
  row('DDIM', 2, 20, false),
  row('DDIM', 4, 10, false),
  row('DDIM', 8, 9, false),
  row('LCM', 1, 40, true),
  row('LCM', 2, 12, true),
  row('LCM', 4, 11, true),
  row('DPM-Solver++', 4, 12, false),
];
const published = [
  row('DDIM', 1, 180, false),
  row('DDIM', 2, 80, false),
  row('DDIM', 4, 22, false),
  row('DDIM', 8, 14, false),
  row('DPM++', 4, 18, false),
  row('LCM', 1, 35, true),
  row('LCM', 2, 13, true),
  row('LCM', 4, 11, true),
  row('LCM', 8, 12, true),
];

describe('compareTradeoffs', () => {
  const c = compareTradeoffs(measured, published);

  test('the shape: gain per doubling of steps over the first and the last interval of each curve of 3+ points', () => {
    const ddim = c.measured.curves.find((x) => x.method === 'DDIM')!;
    assert.equal(ddim.firstGain, 80 / 20); // 1 -> 2 steps is one doubling
    assert.ok(Math.abs(ddim.lastGain - 10 / 9) < 1e-12); // 4 -> 8
    const lcm = c.published.curves.find((x) => x.method === 'LCM')!;
    assert.ok(Math.abs(lcm.firstGain - 35 / 13) < 1e-12);
    assert.ok(Math.abs(lcm.lastGain - 11 / 12) < 1e-12); // worse at 8 than at 4: still flatter than the start
    assert.deepEqual(c.published.curves.map((x) => x.method).sort(), ['DDIM', 'LCM'], 'DPM++ has one point: no curve');
    assert.equal(c.shapeTransfers, true);
  });

  test('distillation below 4 steps: best distilled vs best solver at the same step count, on both sides', () => {
    assert.deepEqual(
      c.measured.belowPivot.map((b) => [b.steps, b.distilled.method, b.solver.method, b.ratio]),
      [
        [1, 'LCM', 'DDIM', 2],
        [2, 'LCM', 'DDIM', 20 / 12],
      ],
    );
    assert.deepEqual(
      c.published.belowPivot.map((b) => b.steps),
      [1, 2],
    );
    assert.equal(c.distillationTransfers, true);
    // Fewest steps within 2x the best (measured best DDIM 8 = 9, target 18): LCM at 2, DDIM at 4.
    assert.equal(c.measured.target, 18);
    assert.deepEqual([c.measured.distilled.steps, c.measured.solvers.steps], [2, 4]);
  });

  test('the winner at 4 steps, over the methods both sides ran, and the pairs whose order is reversed', () => {
    assert.deepEqual(
      c.measured.ranking.map((r) => r.method),
      ['DDIM', 'LCM', 'DPM-Solver++'],
    );
    assert.deepEqual(
      c.published.ranking.map((r) => r.method),
      ['LCM', 'DPM-Solver++', 'DDIM'],
      "'DPM++' is matched as DPM-Solver++",
    );
    assert.equal(c.winnerAgrees, false);
    assert.deepEqual(c.swappedPairs, [
      ['DDIM', 'LCM'],
      ['DDIM', 'DPM-Solver++'],
    ]);
    assert.match(c.lines[2], /does not transfer/);
    assert.match(c.lines[2], /DDIM 10\.0 < LCM 11\.0 measured here, but LCM < DDIM published/);
  });

  test('side-by-side rows: every row by steps then value, ranked within its step count', () => {
    assert.deepEqual(
      c.measuredRows.filter((r) => r.steps === 4).map((r) => [r.method, r.rank, r.kind]),
      [
        ['DDIM', 1, 'solver'],
        ['LCM', 2, 'distilled'],
        ['DPM-Solver++', 3, 'solver'],
      ],
    );
    assert.equal(c.publishedRows.length, published.length);
  });

  test('an order within overlapping intervals is reported as within noise', () => {
    const noisy = measured.map((r) =>
      r.steps === 4 && r.method === 'DDIM'
        ? { ...r, interval: [9, 11.5] as const }
        : r.steps === 4 && r.method === 'LCM'
          ? { ...r, interval: [10, 12] as const }
          : r,
    );
    assert.match(
      compareTradeoffs(noisy, published).lines[2],
      /DDIM and LCM are within noise \(10\.0 vs 11\.0, intervals overlap\)/,
    );
  });

  test('undecided when a side has no curve, or no step count below 4 with both kinds', () => {
    const onlyFour = [row('LCM-LoRA', 4, 23.6, true), row('DPM++', 4, 22.4, false), row('UniPC', 4, 19.6, false)];
    const u = compareTradeoffs(measured, onlyFour);
    assert.equal(u.shapeTransfers, null);
    assert.equal(u.distillationTransfers, null);
    assert.match(u.lines[1], /undecided/);
  });

  test('bad input is refused, naming the field', () => {
    assert.throws(() => compareTradeoffs([], published), invalid('measured'));
    assert.throws(() => compareTradeoffs([row('DDIM', 0, 1, false)], published), invalid('measured[0].steps'));
    assert.throws(
      () => compareTradeoffs(measured, [{ method: 'x', steps: 1, value: 2 } as never]),
      invalid('published[0].distilled'),
    );
    assert.throws(() => compareTradeoffs(measured, published, { tolerance: 0.5 }), invalid('tolerance'));
  });
});

describe('rows from the data files', () => {
  test('method names: solvers vs distilled, and published aliases', () => {
    for (const name of ['DDIM', 'teacher DDIM', 'DPM-Solver++', 'DPM++', 'UniPC', 'SD 1.5 + PNDM'])
      assert.equal(isDistilledMethod(name), false, name);
    for (const name of ['LCM', 'LCM-LoRA', 'PD', 'Guided-Distill', 'DMD', 'InstaFlow-0.9B', 'ADD-M'])
      assert.equal(isDistilledMethod(name), true, name);
    assert.equal(canonicalMethod('DPM++'), 'DPM-Solver++');
    assert.equal(canonicalMethod('teacher DDIM'), 'DDIM');
  });

  test('the SD 1.5 table ranks LCM-LoRA 4 below DPM-Solver++ 4 and UniPC 4: a tiny model that ranks it above is reported as reversed', () => {
    const pub = publishedStepScores(
      readPublishedResults(path.join(root, 'data', 'published-results.json')).rows,
      'dmd-coco2014-30k-512-g3',
    );
    assert.match(pub.citation, /Yin et al/);
    const ours = [row('LCM-LoRA', 4, 12.5, true), row('DPM-Solver++', 4, 14, false), row('DDIM', 4, 15, false)];
    const cmp = compareTradeoffs(ours, pub.scores);
    assert.deepEqual(
      cmp.published.ranking.map((r) => r.method),
      ['UniPC', 'DPM-Solver++', 'LCM-LoRA'],
    );
    assert.equal(cmp.winnerAgrees, false);
    assert.deepEqual(cmp.swappedPairs, [['LCM-LoRA', 'DPM-Solver++']]);
  });

  test('model-eval rows become step scores named by method ("teacher DDIM 4" is DDIM at 4 steps)', () => {
    const scores = modelEvalStepScores(readModelEval(path.join(root, 'data', 'model-eval.json')));
    const ddim4 = scores.find((s) => s.method === 'teacher DDIM' && s.steps === 4)!;
    assert.equal(ddim4.distilled, false);
    assert.ok(scores.some((s) => s.method === 'LCM-LoRA' && s.distilled));
    assert.throws(() => publishedStepScores([], 'no-such-table'), invalid('table'));
  });
});
