import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runNotebook } from '../../src/runner/index.js';
import { checkCommon, figure, figuresOf, fixtureEnv, notebookPath, textOf } from './support.js';
import { thisMachine } from '../../src/plots/provenance.js';
import { checkFrontDrawn, checkShipped05, checkVerdicts, type Result05 } from './shippedChecks/nb05.js';
import { checkPublishedFronts } from './shippedChecks/nb05published.js';
import { structuredResult } from './support.js';

const NB05 = '05-pareto-analysis';

describe('course notebook 05 (quality-speed Pareto analysis)', { timeout: 240_000 }, () => {
  test('runs on the fixture models: PSNR instead of FD, skipped LoRA/PD/eval lines, a sorted Pareto front with its knee, and one panel per published table', async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), 'fewstep-nb05-cache-'));
    const { notebook: nb } = await runNotebook(notebookPath(NB05), { cellTimeoutS: 90, kernel: { env: { ...fixtureEnv, FEWSTEP_CACHE_DIR: cache } } });
    checkCommon(nb, 8, 1);
    const text = textOf(nb);
    assert.match(text, /TEST FIXTURE/);
    for (const skipped of [/skipped: LCM-LoRA/, /skipped: progressive-distillation students/, /skipped: Frechet distance and adherence/, /skipped: comparison with npm run eval:models/]) {
      assert.match(text, skipped);
    }
    assert.match(text, /quality: PSNR on 6 images per method/);
    assert.match(text, /9 configurations measured/);
    const r = structuredResult<Result05>(nb, '05');
    assert.equal(r.fixture, true);
    assert.equal(r.metric, 'psnr');
    assert.equal(r.results.length, 9);
    checkVerdicts(r);
    const pareto = figure(nb, 'Pareto front: time per image vs PSNR');
    assert.equal(pareto.fig.layout.meta?.provenance, 'measured');
    // Measured now: the label names this machine (os.cpus()), no hard-coded "CPU".
    assert.ok(String(pareto.fig.layout.meta?.machine).startsWith(thisMachine()), 'the Pareto chart names this machine (and its provider)');
    assert.doesNotMatch(String(pareto.fig.layout.meta?.source), /CPU/);
    const { all, front } = checkFrontDrawn(nb, true);
    assert.equal(all.length, 8, 'the leading-spacing DDIM 4 is not a Pareto candidate');
    assert.ok(all.every((p) => Number.isFinite(p.y) && p.y > 0 && p.ms > 0));
    assert.deepEqual(front.map((p) => p.label), r.front);
    const hover = (pareto.fig.data[0] as { customdata?: string[] }).customdata ?? [];
    assert.ok(hover.length === 8 && hover.every((h) => /\d+ steps?, guidance .*time .* ms\/image.*PSNR/.test(h)), 'hover: method, steps, time, quality');
    assert.equal(figuresOf(nb).filter((f) => f.layout.meta?.provenance === 'published').length, 9);
    checkPublishedFronts(nb);
    assert.match(text, /knee: /);
    assert.match(text, /LCM 4 \(PSNR [\d.]+ \[[\d.]+, [\d.]+\]\) vs DDIM 4 \(PSNR .*\): (within noise|LCM 4 is better|DDIM 4 is better)/);
    // The dominated share is computed from the front, not asserted.
    const dominated = /\*\*(\d+) of (\d+)\*\* configurations \(\d+%\) are dominated/.exec(text);
    assert.ok(dominated, 'the dominated share is printed');
    assert.deepEqual([Number(dominated[1]), Number(dominated[2])], [all.length - front.length, all.length]);
    assert.match(text, /skipped: needs Frechet distances/);
    // The shipped conclusions cannot hold on random weights: the check must reject this run.
    assert.throws(() => checkShipped05(nb), /shipped models/);
  });
});
