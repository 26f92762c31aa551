/** The conclusions of notebook 07 (summary and exercises), checked on its structured result. */
import assert from 'node:assert/strict';
import type { Notebook } from '../../../src/runner/index.js';
import { coursePlan } from '../../../src/course/plan.js';
import { paretoMethods } from '../../../src/course/paretoSweep.js';
import { methodId } from '../../../src/evaluation/method.js';
import { figure, repoRoot, structuredResult, textOf, type ResultInterval, type ResultSummary } from '../support.js';

/** What notebook 07 emits (fs.emitResult). */
export interface Result07 {
  notebook: '07';
  fixture: boolean;
  metric: 'frechet' | 'psnr';
  images: number;
  results: ResultSummary[];
  front: string[];
  knee: string;
  diminishing: { family: string; steps: number[]; point: number; bestSteps: number; withinNoiseFrom: number }[];
  verdicts: { a: string; b: string; verdict: string; text: string }[];
  measuredRecommendations: { goal: string; use: string }[];
  publishedRecommendations: { goal: string; use: string; source: string }[];
  disagreements: { goal: string; measured: string; published: string; verdict: string; interval: string }[];
  transfer: { table: string; shape: boolean | null; winner: boolean | null; swapped: [string, string][] }[];
  techniques: { technique: string; stepsHere: string }[];
  lcmTraining: { stages: string[]; minutes: number } | null;
}

/**
 * What holds on any plan: the rows are notebook 05's sweep (the same Method ids as
 * paretoMethods, computed here from the plan), each with its interval and IQR; the knee lies on the
 * front; every verdict matches its intervals (checked independently: "within noise" exactly when the
 * 95% intervals overlap); each point of diminishing returns is the fewest steps within 10% of the
 * family's best value; a "DISAGREE" is never printed for a comparison within noise.
 */
export function checkResult07(r: Result07, env: Record<string, string | undefined>): void {
  const plan = coursePlan({ env, root: repoRoot });
  assert.deepEqual(
    r.results.map((x) => x.id),
    paretoMethods(plan).map(methodId),
    "the summary's rows are notebook 05's sweep (same Method ids)",
  );
  const interval = (x: ResultSummary | undefined): ResultInterval | undefined =>
    r.metric === 'frechet' ? x?.quality?.frechet : x?.quality?.psnrDb;
  for (const x of r.results) {
    const i = interval(x);
    assert.ok(i && i.low <= i.value && i.value <= i.high, `${x.name}: quality with its interval`);
    assert.ok(x.time && x.time.q1Ms <= x.time.medianMs && x.time.medianMs <= x.time.q3Ms, `${x.name}: time with its IQR`);
  }
  assert.ok(r.front.includes(r.knee), `the knee ${r.knee} lies on the front ${r.front.join(', ')}`);
  const at = (name: string) => r.results.find((x) => x.name === name);
  const lower = r.metric === 'frechet';
  for (const v of r.verdicts) {
    const a = interval(at(v.a));
    const b = interval(at(v.b));
    assert.ok(a && b, `${v.a} and ${v.b} have intervals`);
    const overlap = a.low <= b.high && b.low <= a.high;
    const aBetter = lower ? a.high < b.low : a.low > b.high;
    assert.equal(v.verdict, overlap ? 'within noise' : aBetter ? 'first better' : 'second better', v.text);
  }
  for (const d of r.diminishing) {
    const rows = d.steps.map((s) => interval(r.results.find((x) => x.family === d.family && x.steps === s))!.value);
    const best = lower ? Math.min(...rows) : Math.max(...rows);
    const ok = rows.map((v) => (lower ? v <= best + 0.1 * Math.abs(best) : v >= best - 0.1 * Math.abs(best)));
    assert.equal(d.point, d.steps[ok.indexOf(true)], `${d.family}: the fewest steps within 10% of the best`);
  }
  for (const d of r.disagreements) {
    if (d.verdict === 'DISAGREE') assert.doesNotMatch(d.interval, /within noise/, `${d.goal}: ${d.interval}`);
    if (/within noise/.test(d.interval)) assert.equal(d.verdict, 'within noise', `${d.goal}: ${d.interval}`);
  }
}

/**
 * Asserts what notebook 07 concludes on the shipped scenes family, from its structured result: the
 * summary shows notebook 05's 21 configurations (Turbo 1/2/4 and Lightning 1/2/4 among them) with FD intervals; LCM 4 runs in under half the time
 * of DDIM 25 (about 10x on a quiet machine; the margin is for shared machines); the knee is a
 * distilled configuration; the quality pick has the lowest FD of the table; LCM's training counts the
 * LCM-LoRA stage it was initialised from (3.0 + 10.0 = 13.0 min, models/scenes-training.json); both
 * published tables are compared, and the one whose 4-step order differs from ours is named with our
 * intervals; the four starters stop at their TODO.
 */
export function checkShipped07(nb: Notebook): void {
  const r = structuredResult<Result07>(nb, '07');
  assert.equal(r.fixture, false, 'this check is for the shipped models, not the fixture');
  assert.equal(r.metric, 'frechet');
  checkResult07(r, {});
  const text = textOf(nb);
  assert.doesNotMatch(text, /conclusion:/, 'the starters do not compute the answers');
  assert.equal(r.results.length, 21);
  const ms = (name: string) => r.results.find((x) => x.name === name)!.time!.medianMs;
  assert.ok(ms('LCM 4') < ms('DDIM 25') / 2, `LCM 4 ${ms('LCM 4')} ms vs DDIM 25 ${ms('DDIM 25')} ms`);
  assert.match(r.knee, /^(LCM|LCM-LoRA|PD|Turbo|Lightning) /, `the knee is distilled: ${r.knee}`);
  const quality = r.measuredRecommendations.find((x) => x.goal === 'quality');
  const lowest = r.results
    .filter((x) => !x.id.includes('"timestep_spacing":"leading"'))
    .reduce((a, b) => (b.quality!.frechet!.value < a.quality!.frechet!.value ? b : a));
  assert.equal(quality?.use, lowest.name, 'the quality pick has the lowest FD');
  const claim = r.measuredRecommendations.find((x) => x.goal === 'Turbo/Lightning at 4 steps (the course claim)');
  const adv4 = r.results
    .filter((x) => x.name === 'Turbo 4' || x.name === 'Lightning 4')
    .reduce((a, b) => (b.quality!.frechet!.value < a.quality!.frechet!.value ? b : a));
  assert.equal(claim?.use, adv4.name, 'the course claim is checked with the better of Turbo 4 and Lightning 4');
  assert.ok(r.lcmTraining && Math.abs(r.lcmTraining.minutes - 13.0) < 0.05, `LCM training ${r.lcmTraining?.minutes} min`);
  assert.match(text, /lora 3\.0 min \+ lcm 10\.0 min = 13\.0 min/);
  assert.deepEqual(
    r.transfer.map((t) => t.table),
    ['lcm-laion-aes6-512-g8', 'dmd-coco2014-30k-512-g3'],
  );
  assert.ok(
    r.transfer.some((t) => t.swapped.length > 0),
    'our small model and published SD rank some 4-step methods differently, and the notebook names them',
  );
  // The key-techniques table mirrors KEY_TECHNIQUES: the seven families of the shipped sweep have measured rows.
  assert.equal(r.techniques.length, 9);
  for (const name of ['DDIM', 'DPM-Solver++', 'Progressive distillation', 'LCM', 'LCM-LoRA', 'Turbo (ADD)', 'Lightning']) {
    const t = r.techniques.find((x) => x.technique === name);
    assert.ok(t && /^\d/.test(t.stepsHere), `${name} measured here: ${t?.stepsHere}`);
  }
  assert.ok(r.verdicts.length >= 6, `${r.verdicts.length} interval comparisons`);
  assert.equal(figure(nb, 'Summary: Pareto front').fig.layout.meta?.provenance, 'measured');
  for (let i = 1; i <= 4; i++) assert.match(text, new RegExp(`TODO \\(exercise ${i}\\)\\. Solution: notebooks/solutions/ex${i}-`));
}
