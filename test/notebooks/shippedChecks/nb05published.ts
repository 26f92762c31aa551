/** Notebook 05's published latency-vs-FID fronts (section 5): they do not depend on the model, so fixture and shipped runs check them alike. */
import assert from 'node:assert/strict';
import type { Notebook } from '../../../src/runner/index.js';
import { figure, textOf } from '../support.js';

/**
 * One panel per source (DMD, ADD), labelled 'published' with the paper's citation, whose drawn front
 * is the one worked out by hand from data/published-results.json (see test/pareto/publishedFront.test.ts).
 */
export function checkPublishedFronts(nb: Notebook): void {
  for (const [title, citation, front] of [
    ['dmd-coco2014-30k-512-g3: FID vs latency', /Yin et al\., CVPR 2024, Table 3/, [0.09, 2.59]],
    ['add-coco2017-5k: FID vs latency', /Sauer, Lorenz, Blattmann, Rombach, 2023, Table 2/, [0.09]],
  ] as const) {
    const { fig, series } = figure(nb, title);
    assert.equal(fig.layout.meta?.provenance, 'published', title);
    assert.match(String(fig.layout.meta?.source), citation, title);
    assert.deepEqual(series('Pareto front').x, [...front], `${title}: front latencies`);
  }
  const text = textOf(nb);
  assert.match(text, /front \(fastest first\): DMD, 1 step -> SD 1\.5 \+ PNDM, 50 steps/);
  assert.match(text, /\*\*ADD-M, 1 step\*\* is both the fastest and the best/);
}
