import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync } from 'node:fs';
import { readModelEval } from '../../src/evaluation/recorded.js';
import { runNotebook, type Notebook } from '../../src/runner/index.js';
import { checkCommon, figure, fixtureEnv, notebookPath, textOf } from './support.js';

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

  test('runs on the fixture models: the measured and published tables of the shipped family, the latency skipped with a message, four starters that stop at a TODO', async () => {
    const { notebook: nb } = await runNotebook(notebookPath(NB07), { cellTimeoutS: 90, kernel: { env: fixtureEnv } });
    checkCommon(nb, 1, 0);
    const text = textOf(nb);
    assert.match(text, /TEST FIXTURE/);
    // Numbers read from data/model-eval.json are recorded (its date and machine), never "this machine".
    const recorded = readModelEval();
    const machine = `${recorded.machine.cpu}, ${recorded.machine.cores} cores`;
    assert.ok(
      text.includes(`[recorded ${recorded.date.slice(0, 10)} on ${machine}: data/model-eval.json`),
      'the recorded label of data/model-eval.json',
    );
    assert.doesNotMatch(text, /this machine/);
    assert.match(text, /\[published: the citation of each row \(data\/published-results\.json\)\]/);
    assert.match(text, /skipped: latency of the shipped methods/);
    const scatter = figure(nb, 'Shipped family: Frechet distance vs UNet rows per image');
    assert.equal(scatter.fig.layout.meta?.provenance, 'recorded');
    assert.equal(scatter.fig.layout.meta?.date, recorded.date);
    assert.equal(scatter.fig.layout.meta?.machine, machine);
    // The takeaways are computed (numbers present), and each exercise has its TODO and solution pointer.
    assert.match(text, /\*\*Latency\.\*\* eval:models recorded \d+\.\d ms for LCM 4/);
    assert.match(text, /\*\*Training cost\.\*\*/);
    // LCM was initialised from teacher + LCM-LoRA: its training cost counts both stages (3.0 + 10.0 min).
    assert.match(text, /lora 3\.0 min \+ lcm 10\.0 min = 13\.0 min/);
    // Measured and published recommendations side by side, and reconciled from the rows.
    assert.match(text, /\*\*Against lcm-laion-aes6-512-g8\*\* .*: shape transfers/);
    assert.match(text, /\*\*Against dmd-coco2014-30k-512-g3\*\*/);
    for (const [i, name] of SOLUTIONS.entries()) {
      assert.match(text, new RegExp(`TODO \\(exercise ${i + 1}\\)\\. Solution: notebooks/solutions/${name}\\.ipynb`));
    }
    assert.match(text, /teacher: .*tiny-sd\nLoRA: none \(skipped on this model\)/);
    assert.match(text, /LCM: native 32 px; sizes to try: 16, 32, 48, 64 px/);
    assert.doesNotMatch(text, /conclusion:/, 'the starters do not compute the answers');
  });
});
