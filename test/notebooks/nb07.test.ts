import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync } from 'node:fs';
import { runNotebook, type Notebook } from '../../src/runner/index.js';
import { checkCommon, figure, fixtureEnv, notebookPath, structuredResult, textOf } from './support.js';
import { checkResult07, type Result07 } from './shippedChecks/nb07.js';

const NB07 = '07-summary-and-exercises';
const SOLUTIONS = ['ex1-lcm-lora', 'ex2-resolution-vs-steps', 'ex3-batch-size', 'ex4-prompt-complexity'];

describe('course notebook 07 (summary and exercises)', { timeout: 240_000 }, () => {
  test('the markdown types no measured numbers: every number of the summary comes from a code cell', () => {
    const nb = JSON.parse(readFileSync(notebookPath(NB07), 'utf8')) as Notebook;
    const markdown = nb.cells.filter((c) => c.cell_type === 'markdown').map((c) => [c.source].flat().join('')).join('\n');
    // Allowed numbers: section and exercise numbers, step counts and attribute counts of the task statements, "64 px", "2-core", "4 x".
    const decimals = markdown.match(/\b\d+\.\d+\b/g) ?? [];
    assert.deepEqual(decimals, [], `decimal numbers typed into markdown: ${decimals.join(', ')}`);
    assert.doesNotMatch(markdown, /\bFID \d|\bFD \d|\d+ ?ms\b/, 'a measured value typed into markdown');
  });

  test('runs on the fixture models: notebook 05 sweep rows with intervals (PSNR), the knee, the recommendations side by side, four starters that stop at a TODO', async () => {
    const { notebook: nb } = await runNotebook(notebookPath(NB07), { cellTimeoutS: 90, kernel: { env: fixtureEnv } });
    checkCommon(nb, 1, 0);
    const text = textOf(nb);
    assert.match(text, /TEST FIXTURE/);
    const r = structuredResult<Result07>(nb, '07');
    assert.equal(r.fixture, true);
    assert.equal(r.metric, 'psnr');
    checkResult07(r, fixtureEnv);
    assert.equal(r.lcmTraining, null, 'training costs are the shipped family only');
    assert.match(text, /\[published: the citation of each row \(data\/published-results\.json\)\]/);
    assert.match(text, /skipped: the curve comparison needs Frechet distances/);
    assert.equal(figure(nb, 'Summary: Pareto front').fig.layout.meta?.provenance, 'measured');
    for (const [i, name] of SOLUTIONS.entries()) {
      assert.match(text, new RegExp(`TODO \\(exercise ${i + 1}\\)\\. Solution: notebooks/solutions/${name}\\.ipynb`));
    }
    // The starters list the methods they set up (the fixture plan has no LoRA: no LCM-LoRA method).
    assert.match(text, /DDIM 1 \(DDIM, guidance [\d.]+\); .*LCM 1 \(LCM, guidance/);
    assert.doesNotMatch(text, /LCM-LoRA 1 \(/);
    assert.match(text, /LCM 4 x1, LCM 4 x2, .*DPM-Solver\+\+ 25 x16/);
    assert.match(text, /LCM: native 32 px; sizes to try: 16, 32, 48, 64 px/);
    assert.doesNotMatch(text, /conclusion:/, 'the starters do not compute the answers');
  });
});
