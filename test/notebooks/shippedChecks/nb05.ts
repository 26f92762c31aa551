/** The conclusions of notebook 05 ("Quality-speed Pareto analysis"), checked on its run with the shipped models. */
import assert from 'node:assert/strict';
import type { Notebook } from '../../../src/runner/index.js';
import { figure, figuresOf, structuredResult, textOf, type ResultSummary } from '../support.js';
import { checkPublishedFronts } from './nb05published.js';

/** One configuration as the Pareto chart draws it. */
export interface ChartPoint {
  label: string;
  ms: number;
  /** Frechet distance (or PSNR on a fixture). */
  y: number;
}

/** The points of a trace of the notebook's Pareto chart (labels from the trace text). */
export function paretoTrace(nb: Notebook, name: string): ChartPoint[] {
  const fig = figure(nb, 'Pareto front').fig;
  const trace = fig.data.find((d) => d.name === name) as { x: number[]; y: number[]; text: string[] } | undefined;
  assert.ok(trace, `no trace "${name}" in the Pareto chart; traces: ${fig.data.map((d) => d.name).join(', ')}`);
  return trace.x.map((ms, i) => ({ label: trace.text[i], ms, y: trace.y[i] }));
}

/**
 * The front drawn is exactly the set of non-dominated points (checked here by brute force, lower
 * time and lower y better, or higher y when `higherIsBetter`), sorted by ascending time.
 */
export function checkFrontDrawn(nb: Notebook, higherIsBetter: boolean): { all: ChartPoint[]; front: ChartPoint[] } {
  const all = paretoTrace(nb, 'all configurations');
  // The front trace leaves crowded labels hover-only (empty text): name its points by their coordinates in `all`.
  const front = paretoTrace(nb, 'Pareto front').map((p) => {
    const same = all.find((q) => q.ms === p.ms && q.y === p.y);
    assert.ok(same, `front point (${p.ms} ms, ${p.y}) is one of the configurations`);
    return same;
  });
  assert.ok(front.length > 0, 'the front is not empty');
  const better = (a: number, b: number) => (higherIsBetter ? a > b : a < b);
  const dominates = (p: ChartPoint, q: ChartPoint) => p.ms <= q.ms && !better(q.y, p.y) && (p.ms < q.ms || better(p.y, q.y));
  for (let i = 1; i < front.length; i++) {
    assert.ok(front[i].ms > front[i - 1].ms, `front sorted by time: ${front.map((p) => p.label).join(', ')}`);
    assert.ok(better(front[i].y, front[i - 1].y), `quality improves along the front: ${front.map((p) => `${p.label} ${p.y}`).join(', ')}`);
  }
  const onFront = new Set(front.map((p) => p.label));
  for (const q of all) {
    const dominated = all.some((p) => dominates(p, q));
    assert.equal(!dominated, onFront.has(q.label), `${q.label} (${q.ms} ms, ${q.y}) is ${dominated ? 'dominated' : 'non-dominated'}`);
  }
  const knee = fig(nb).data.find((d) => String(d.name).startsWith('knee: '));
  assert.ok(knee, 'the knee is marked');
  assert.ok(onFront.has(String(knee.name).slice('knee: '.length)), `the knee ${knee.name} lies on the front`);
  return { all, front };
}

const fig = (nb: Notebook) => figure(nb, 'Pareto front').fig;
const isTeacher = (label: string) => /^(DDIM|DPM-Solver\+\+) /.test(label);

/** What notebook 05 emits (fs.emitResult). */
export interface Result05 {
  notebook: '05';
  metric: 'frechet' | 'psnr';
  images: number;
  fixture: boolean;
  results: ResultSummary[];
  front: string[];
  knee: string;
  dominated: number;
  hypervolume: { teacher: number; all: number };
  spearmanWithEvalModels: number | null;
  verdicts: { a: string; b: string; verdict: string; text: string }[];
  /** DPM-Solver++ 4 at first order (not a sweep row) against DDIM 4 and the 2M solver at 4 steps. */
  firstOrderCheck: { result: ResultSummary; vsDdim4: string; vsSecondOrder: string } | null;
}

/**
 * Every printed verdict agrees with the intervals it compares (checked here independently: "within
 * noise" exactly when the 95% intervals overlap, else the side whose interval is better).
 */
export function checkVerdicts(r: Result05): void {
  const at = (name: string) => r.results.find((x) => x.name === name);
  for (const v of r.verdicts) {
    const a = r.metric === 'frechet' ? at(v.a)?.quality?.frechet : at(v.a)?.quality?.psnrDb;
    const b = r.metric === 'frechet' ? at(v.b)?.quality?.frechet : at(v.b)?.quality?.psnrDb;
    assert.ok(a && b, `${v.a} and ${v.b} have intervals`);
    const overlap = a.low <= b.high && b.low <= a.high;
    const aBetter = r.metric === 'frechet' ? a.high < b.low : a.low > b.high;
    assert.equal(v.verdict, overlap ? 'within noise' : aBetter ? 'first better' : 'second better', v.text);
    assert.ok(a.low <= a.value && a.value <= a.high && b.low <= b.value && b.value <= b.high, `${v.text}: each estimate lies in its interval`);
  }
}

/**
 * Asserts what notebook 05 concludes on the shipped scenes family, from its structured result: all
 * seven method families are measured (Turbo and Lightning too), the teacher's DDIM and DPM-Solver++ with trailing spacing
 * (plus the one leading-spacing DDIM 4 shown for contrast, kept off the front) and a many-step
 * DPM-Solver++ point; the drawn front is exactly the non-dominated set with the knee on it; its
 * fast end is distilled while the best Frechet distance belongs to a teacher sampler; every verdict
 * matches its intervals ("within noise" when they overlap); PD 4 runs over 2x faster than DDIM 25 (4
 * unguided UNet evaluations against 25 guided ones: about 6x on an idle 2-core CPU); the distilled
 * models add over 10% to the hypervolume; our 200-image FDs rank the distilled configurations as
 * the 500-image eval:models run does; the published panels are one per table, each cited.
 */
export function checkShipped05(nb: Notebook): void {
  const r = structuredResult<Result05>(nb, '05');
  assert.equal(r.fixture, false, 'this check is for the shipped models, not the fixture');
  checkPublishedFronts(nb);
  assert.doesNotMatch(textOf(nb), /TEST FIXTURE/, 'this check is for the shipped models, not the fixture');
  assert.equal(r.metric, 'frechet');
  assert.match(fig(nb).layout.title?.text ?? '', /Frechet distance/);
  const { all, front } = checkFrontDrawn(nb, false);
  assert.deepEqual(front.map((p) => p.label), r.front, 'the chart draws the front the notebook reports');
  const families = new Set(r.results.map((x) => x.family));
  for (const f of ['DDIM', 'DPM-Solver++', 'LCM', 'LCM-LoRA', 'PD', 'Turbo', 'Lightning']) assert.ok(families.has(f), `${f} measured (${[...families].join(', ')})`);
  assert.ok(all.length >= 12, `${all.length} configurations`);
  for (const x of r.results.filter((y) => y.family === 'DDIM' || y.family === 'DPM-Solver++')) {
    assert.match(x.id, /"timestep_spacing":"trailing"/, `${x.name} uses trailing spacing`);
  }
  const leading = r.results.filter((x) => /"timestep_spacing":"leading"/.test(x.id));
  assert.deepEqual(leading.map((x) => x.name), ['DDIM 4 (leading)'], 'the leading spacing is shown once');
  assert.ok(!all.some((p) => p.label === 'DDIM 4 (leading)'), 'the leading-spacing demonstration is not a Pareto candidate');
  assert.ok(r.results.some((x) => x.family === 'DPM-Solver++' && x.steps >= 15), 'a many-step DPM-Solver++ point');
  for (const x of r.results) {
    const q = x.quality?.frechet;
    assert.ok(q && q.low <= q.value && q.value <= q.high && q.low >= 0, `${x.name}: FD with a 95% interval`);
    assert.ok(x.time && x.time.q1Ms <= x.time.medianMs && x.time.medianMs <= x.time.q3Ms, `${x.name}: time with its IQR`);
  }

  assert.ok(front.some((p) => /^(LCM|LCM-LoRA|PD|Turbo|Lightning) /.test(p.label)), `a distilled configuration on the front: ${r.front.join(', ')}`);
  assert.ok(!isTeacher(r.front[0]), `the fastest front point is distilled, not ${r.front[0]}`);
  const best = all.reduce((a, b) => (b.y < a.y ? b : a));
  assert.ok(isTeacher(best.label), `the lowest FD belongs to a teacher sampler (quality gap), not ${best.label} (${best.y})`);
  checkVerdicts(r);
  assert.ok(r.verdicts.length >= 6, 'the summary compares the 4-step methods and the two spacings');

  // The 2M solver's 4-step deficit is its second-order step: at first order it is DDIM (within noise of
  // DDIM 4's interval) and better than the 2M solver (intervals apart), checked here from the intervals.
  const fo = r.firstOrderCheck;
  assert.ok(fo, 'the first-order DPM-Solver++ check ran');
  assert.match(fo.result.id, /"solver_order":1/, 'the check row is first order');
  assert.ok(!r.results.some((x) => x.name === fo.result.name), 'the first-order row is not a sweep row');
  const fd = (name: string) => {
    const q = (name === fo.result.name ? fo.result : r.results.find((x) => x.name === name))?.quality?.frechet;
    assert.ok(q, `${name}: FD measured`);
    return q;
  };
  const [f1, d4, p4] = [fd(fo.result.name), fd('DDIM 4'), fd('DPM-Solver++ 4')];
  assert.ok(f1.low <= d4.high && d4.low <= f1.high, `first order ${JSON.stringify(f1)} overlaps DDIM 4 ${JSON.stringify(d4)}`);
  assert.equal(fo.vsDdim4, 'within noise');
  assert.ok(f1.high < p4.low, `first order ${JSON.stringify(f1)} below the 2M solver ${JSON.stringify(p4)}`);
  assert.equal(fo.vsSecondOrder, 'first better');

  const t = (name: string) => {
    const x = r.results.find((y) => y.name === name);
    assert.ok(x?.time, `${name} timed`);
    return x.time.medianMs;
  };
  // About 6x on a quiet machine; 2x leaves room for a shared CI machine's noise.
  assert.ok(t('DDIM 25') > 2 * t('PD 4'), `PD 4 (${t('PD 4')} ms) over 2x faster than DDIM 25 (${t('DDIM 25')} ms)`);
  assert.ok(r.hypervolume.all > 1.1 * r.hypervolume.teacher, `distilled models add over 10% to the hypervolume: ${JSON.stringify(r.hypervolume)}`);
  assert.ok(r.spearmanWithEvalModels !== null && r.spearmanWithEvalModels >= 0.8, `FD ranks agree with eval:models: ${r.spearmanWithEvalModels}`);
  const scatter = figure(nb, 'Frechet distance: 200 images here vs 500 images').fig;
  for (const tr of scatter.data) {
    (tr.x ?? []).forEach((x, i) => {
      const y = tr.y?.[i];
      if (typeof y === 'number') assert.ok(y >= 0.9 * x, `${tr.name}: FD ${y} on 200 images is below 0.9x the 500-image ${x} (the small-sample bias is upward)`);
    });
  }

  // The papers' own latency-vs-FID fronts (checkPublishedFronts) come after the per-table panels.
  const published = figuresOf(nb).filter(
    (f) => f.layout.meta?.provenance === 'published' && !/: FID vs latency/.test(f.layout.title?.text ?? ''),
  );
  const tables = ['lcm-laion-aes6-512-g8', 'dmd-coco2014-30k-512-g3', 'dmd-coco2014-30k-512-g8', 'add-coco2017-5k', 'ddim-cifar10-fid50k', 'pd-cifar10-fid', 'cm-cifar10-fid'];
  assert.deepEqual(published.map((f) => (f.layout.title?.text ?? '').split(':')[0]), tables, 'one published panel per table');
  for (const f of published) assert.match(f.layout.title?.text ?? '', /published: .*(19|20)\d\d/, 'each panel cites its paper');
  assert.deepEqual(figure(nb, 'lcm-laion-aes6-512-g8').series('LCM').x, [1, 2, 4, 8]);
}
