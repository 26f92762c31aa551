import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { runNotebook } from '../../src/runner/index.js';
import { checkCommon, figure, fixtureEnv, repoRoot, structuredResult, textOf, type ResultSummary } from './support.js';
import { checkEx2Consistent, checkEx3Consistent, type ResultEx2, type ResultEx3 } from './shippedChecks/solutions.js';

const solutionPath = (name: string) => path.join(repoRoot, 'notebooks', 'solutions', `${name}.ipynb`);
const run = async (name: string) => (await runNotebook(solutionPath(name), { cellTimeoutS: 90, kernel: { env: fixtureEnv } })).notebook;

describe('worked solutions of the exercises (notebooks/solutions/)', { timeout: 300_000 }, () => {
  test('exercise 1 runs on the fixtures: times LCM and teacher DDIM at 1-8 steps through the session, skips the LoRA and the quality with messages, emits its result', async () => {
    const nb = await run('ex1-lcm-lora');
    checkCommon(nb, 1, 1);
    const text = textOf(nb);
    assert.match(text, /skipped: LCM-LoRA/);
    assert.match(text, /skipped: quality/);
    assert.match(text, /conclusion: skipped/);
    const timing = figure(nb, 'Time per image vs steps');
    for (const name of ['LCM student', 'teacher + DDIM']) {
      assert.deepEqual(timing.series(name).x, [1, 2, 4, 8]);
      assert.ok(timing.series(name).y.every((ms) => ms > 0));
    }
    // The structured result: every configuration timed through the session (median within its quartiles), no quality, no verdicts.
    const r = structuredResult<{ fixture: boolean; evaluator: boolean; results: ResultSummary[]; verdicts: unknown[] }>(nb, 'ex1');
    assert.equal(r.fixture, true);
    assert.equal(r.evaluator, false);
    assert.deepEqual(r.results.map((x) => x.name), ['LCM 1', 'LCM 2', 'LCM 4', 'LCM 8', 'DDIM 1', 'DDIM 2', 'DDIM 4', 'DDIM 8']);
    for (const x of r.results) {
      assert.ok(x.time && x.time.q1Ms <= x.time.medianMs && x.time.medianMs <= x.time.q3Ms, `${x.name}: time with its quartiles`);
      assert.equal(x.quality, undefined, `${x.name}: no quality without the evaluator`);
    }
    assert.match(r.results.find((x) => x.name === 'DDIM 4')!.id, /"timestep_spacing":"trailing"/);
    assert.deepEqual(r.verdicts, []);
  });

  test('exercise 2 runs on the fixtures: times every (size, steps) pair around the native size, applies the budget, skips the quality', async () => {
    const nb = await run('ex2-resolution-vs-steps');
    checkCommon(nb, 1, 1);
    const text = textOf(nb);
    assert.match(text, /native 32 px; sizes 16, 32, 48, 64 px; steps 1, 2, 4, 8/);
    assert.match(text, /skipped: quality/);
    assert.match(text, /conclusion: skipped \(needs the scene evaluator\); \d+ pairs fit/);
    const heat = figure(nb, 'Median time per image (ms) by resolution and steps').fig;
    assert.equal((heat.data[0] as { type?: string }).type, 'heatmap');
    const r = structuredResult<ResultEx2>(nb, 'ex2');
    checkEx2Consistent(r);
    assert.equal(r.pairs.length, 16);
    assert.equal(r.best, null);
  });

  test('exercise 3 runs fully on the fixtures: time per image and images per minute for batches 1-16 with a verdict each', async () => {
    const nb = await run('ex3-batch-size');
    checkCommon(nb, 2, 0);
    const r = structuredResult<ResultEx3>(nb, 'ex3');
    checkEx3Consistent(r);
    assert.deepEqual(
      r.methods.map((m) => m.name),
      ['LCM 4', 'DPM-Solver++ 25'],
    );
    for (const m of r.methods) {
      assert.deepEqual(
        m.points.map((p) => p.batch),
        [1, 2, 4, 8, 16],
      );
      assert.ok(textOf(nb).includes(`conclusion: ${m.text}`));
    }
    const perImage = figure(nb, 'Time per image vs batch size');
    for (const name of ['LCM 4', 'DPM-Solver++ 25']) assert.ok(perImage.series(name).y.every((ms) => ms > 0));
    figure(nb, 'Images per minute vs batch size');
  });

  test('exercise 4 runs on the fixtures: shows the prompt sets by complexity and skips the adherence with a message', async () => {
    const nb = await run('ex4-prompt-complexity');
    checkCommon(nb, 0, 0);
    const text = textOf(nb);
    assert.match(text, /4 attributes +4 +a beautiful/);
    assert.match(text, /6-7 attributes +6, 7 +a beautiful/);
    assert.match(text, /skipped: adherence/);
    assert.match(text, /conclusion: skipped/);
    const r = structuredResult<{ fixture: boolean; points: unknown[]; levels: string[] }>(nb, 'ex4');
    assert.equal(r.fixture, true);
    assert.deepEqual(r.levels, ['4 attributes', '5 attributes', '6-7 attributes']);
    assert.deepEqual(r.points, []);
  });
});
