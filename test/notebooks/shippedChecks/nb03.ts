/** The conclusions of notebook 03 ("Generating images with fewer steps"), checked on its structured result. */
import assert from 'node:assert/strict';
import type { Notebook } from '../../../src/runner/index.js';
import { figure, structuredResult, type ResultInterval, type ResultSummary } from '../support.js';

const STEP_COUNTS = [1, 2, 4, 8, 15, 25, 50];

/** What notebook 03 emits (fs.emitResult). */
export interface Result03 {
  notebook: '03';
  fixture: boolean;
  metric: 'frechet' | 'psnr';
  stepCounts: number[];
  /** Every line of the plan at every step count, timed. */
  times: ResultSummary[];
  /** The course's method per step count (the grid). */
  grid: { name: string; family: string; steps: number }[];
  fits: { family: string; msPerStep: number; fixedMs: number }[];
  previews: { name: string; count: number; shownSteps: number[]; edges: number[] }[];
  referenceEdge: number;
  fewStepEdges: { steps: number[]; teacherDdim: number[]; fewStep: number[] } | null;
  quality: ResultSummary[];
  verdicts: { a: string; b: string; verdict: string; text: string }[];
  catchUp: { steps: number | null; against: string; text: string } | null;
  publishedDdimOverLcmAt4: number | null;
}

/** Least-squares slope of y on x (an independent derivation of the fitted time per step). */
function slope(x: number[], y: number[]): number {
  const mx = x.reduce((a, b) => a + b, 0) / x.length;
  const my = y.reduce((a, b) => a + b, 0) / y.length;
  let sxy = 0;
  let sxx = 0;
  x.forEach((xi, i) => {
    sxy += (xi - mx) * (y[i] - my);
    sxx += (xi - mx) ** 2;
  });
  return sxy / sxx;
}

const intervalOf = (r: Result03, x: ResultSummary | undefined): ResultInterval | undefined =>
  r.metric === 'frechet' ? x?.quality?.frechet : x?.quality?.psnrDb;

/**
 * What holds on any model (fixture or shipped): every line timed at every step count with its IQR;
 * the grid takes the plan's method per step count; every verdict matches its intervals (checked
 * here independently: "within noise" exactly when the 95% intervals overlap); the catch-up point is
 * the fewest teacher DDIM steps whose interval is not worse than the few-step model's at 4 steps.
 */
export function checkResult03(r: Result03): void {
  assert.deepEqual(r.stepCounts, STEP_COUNTS);
  for (const x of r.times) {
    assert.ok(x.time && x.time.q1Ms <= x.time.medianMs && x.time.medianMs <= x.time.q3Ms, `${x.name}: time with its IQR`);
  }
  const families = [...new Set(r.times.map((x) => x.family))];
  for (const f of families) {
    assert.deepEqual(
      r.times.filter((x) => x.family === f).map((x) => x.steps),
      STEP_COUNTS,
      `${f} timed at every step count`,
    );
  }
  assert.deepEqual(
    r.grid.map((g) => g.steps),
    STEP_COUNTS,
  );
  const better = (a: ResultInterval, b: ResultInterval) => (r.metric === 'frechet' ? a.high < b.low : a.low > b.high);
  const at = (name: string) => r.quality.find((x) => x.name === name);
  for (const v of r.verdicts) {
    const a = intervalOf(r, at(v.a));
    const b = intervalOf(r, at(v.b));
    assert.ok(a && b, `${v.a} and ${v.b} have intervals`);
    assert.ok(a.low <= a.value && a.value <= a.high && b.low <= b.value && b.value <= b.high, v.text);
    const overlap = a.low <= b.high && b.low <= a.high;
    assert.equal(v.verdict, overlap ? 'within noise' : better(a, b) ? 'first better' : 'second better', v.text);
    if (overlap) assert.match(v.text, /within noise/);
  }
  if (r.catchUp) {
    const target = intervalOf(r, at(r.catchUp.against));
    assert.ok(target, `${r.catchUp.against} measured`);
    const ddim = r.quality.filter((x) => x.family === 'DDIM').sort((a, b) => a.steps - b.steps);
    assert.deepEqual(
      ddim.map((x) => x.steps),
      [1, 2, 4, 8],
    );
    const notWorse = ddim.filter((x) => {
      const i = intervalOf(r, x)!;
      return !better(target, i);
    });
    assert.equal(r.catchUp.steps, notWorse.length > 0 ? notWorse[0].steps : null, r.catchUp.text);
  }
}

/**
 * Asserts what notebook 03 concludes on the shipped scenes family, from its structured result:
 * time grows with steps within each line (counts 8x apart, 50 vs 1, a positive fitted slope); the
 * plan uses LCM up to 8 steps and DPM-Solver++ above; LCM at 4 steps takes under half of
 * DPM-Solver++ at 25 (about 7x on a quiet machine: the margin is for shared machines); the preview
 * strips hold one image per step; the teacher's denoised estimate starts blurred and sharpens while
 * LCM's first estimate and 1-step image are already sharp (deterministic: same seed and provider,
 * same bytes; thresholds leave about 25%); quality is the Frechet distance with intervals, and the
 * teacher's 1-step DDIM is worse than LCM 1 beyond noise.
 */
export function checkShipped03(nb: Notebook): void {
  const r = structuredResult<Result03>(nb, '03');
  assert.equal(r.fixture, false, 'this check is for the shipped models, not the fixture');
  assert.equal(r.metric, 'frechet');
  checkResult03(r);
  const timing = figure(nb, 'Measured time per image vs steps');
  assert.equal(timing.fig.layout.meta?.provenance, 'measured');

  const ms = (family: string) => STEP_COUNTS.map((s) => r.times.find((x) => x.family === family && x.steps === s)!.time!.medianMs);
  for (const family of ['LCM', 'DPM-Solver++']) {
    const y = ms(family);
    // Counts at least 8x apart (2.5x or more apart in time on a quiet machine) with a 20% allowance for
    // a busy machine; 50 steps against 1 step (more than 4x on a quiet machine) with a 2x margin.
    STEP_COUNTS.forEach((a, i) =>
      STEP_COUNTS.forEach((b, j) => {
        if (b >= 8 * a) assert.ok(y[j] > 0.8 * y[i], `${family}: ${b} steps ${y[j]} ms vs ${a} steps ${y[i]} ms`);
      }),
    );
    assert.ok(y[6] > 2 * y[0], `${family}: 50 steps ${y[6]} ms is not well above 1 step ${y[0]} ms`);
    assert.ok(slope(STEP_COUNTS, y) > 0, `${family}: time does not grow with steps: ${y}`);
  }
  assert.deepEqual(
    r.grid.map((g) => g.family),
    ['LCM', 'LCM', 'LCM', 'LCM', 'DPM-Solver++', 'DPM-Solver++', 'DPM-Solver++'],
    'the plan uses LCM up to 8 steps and DPM-Solver++ above',
  );
  const lcm4 = ms('LCM')[2];
  const dpm25 = ms('DPM-Solver++')[5];
  assert.ok(lcm4 < dpm25 / 2, `LCM 4 ${lcm4} ms is not under half of DPM-Solver++ 25 ${dpm25} ms (about 7x on a quiet machine)`);

  const [lcmP, dpmP] = r.previews;
  assert.equal(lcmP.name, 'LCM, 4 steps');
  assert.deepEqual([lcmP.count, lcmP.shownSteps], [4, [1, 2, 3, 4]]);
  assert.equal(dpmP.name, 'DPM-Solver++, 25 steps');
  assert.deepEqual([dpmP.count, dpmP.shownSteps], [25, [1, 5, 9, 13, 17, 21, 25]]);
  const reference = r.referenceEdge;
  // The teacher's first estimate is blurred (measured: 44% of its last one's edge energy) and sharpens ...
  assert.ok(dpmP.edges[0] < 0.6 * dpmP.edges[24], `DPM-Solver++ first estimate ${dpmP.edges[0]} vs last ${dpmP.edges[24]}`);
  assert.ok(dpmP.edges[24] > 0.8 * reference, `DPM-Solver++ 25 last estimate ${dpmP.edges[24]} vs the 50-step image ${reference}`);
  // ... while LCM's first estimate is already sharp (measured: 1.9x the teacher's first).
  assert.ok(lcmP.edges[0] > 1.4 * dpmP.edges[0], `LCM first estimate ${lcmP.edges[0]} vs DPM-Solver++ first ${dpmP.edges[0]}`);

  // Why distil: one DDIM step of the teacher is blurred (measured: 45% of the reference), LCM's is not.
  const e = r.fewStepEdges;
  assert.ok(e, 'the teacher-vs-LCM comparison ran');
  assert.ok(e.teacherDdim[0] < 0.6 * reference, `teacher DDIM 1 step ${e.teacherDdim[0]} vs reference ${reference}`);
  assert.ok(e.fewStep[0] > 1.5 * e.teacherDdim[0], `LCM 1 step ${e.fewStep[0]} vs teacher DDIM 1 step ${e.teacherDdim[0]}`);

  // Quality: FD with intervals for LCM 1-4 and DDIM 1-8; one DDIM step is far worse than one LCM step.
  assert.equal(r.quality.length, 7);
  const v1 = r.verdicts.find((v) => v.a === 'DDIM 1' && v.b === 'LCM 1');
  assert.equal(v1?.verdict, 'second better', v1?.text);
  assert.ok(r.catchUp && r.catchUp.against === 'LCM 4', 'the catch-up point is computed against LCM 4');
  assert.ok(r.publishedDdimOverLcmAt4 !== null && r.publishedDdimOverLcmAt4 > 1, 'published: DDIM 4 FID above LCM 4');
}
