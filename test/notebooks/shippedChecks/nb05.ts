/** The conclusions of notebook 05 ("Quality-speed Pareto analysis"), checked on its run with the shipped models. */
import assert from 'node:assert/strict';
import type { Notebook } from '../../../src/runner/index.js';
import { figure, figuresOf, textOf } from '../support.js';

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
  const front = paretoTrace(nb, 'Pareto front');
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

/**
 * Asserts what notebook 05 concludes on the shipped scenes family: all five method families are
 * measured; the drawn front is exactly the non-dominated set, sorted, with the knee on it; it holds
 * distilled configurations (LCM, LCM-LoRA or PD) at its fast end, while the best Frechet distance
 * belongs to the teacher (the distillation's quality gap); PD 4 and LCM-LoRA 4 beat the teacher's
 * DDIM at 4 steps on FD; PD 4 runs over 2x faster than DDIM 25 (4 unguided UNet evaluations against
 * 25 guided ones: about 7x on an idle 2-core CPU by the per-evaluation costs in data/model-eval.json,
 * so the margin covers noisy machines, not a machine at a load average of 10); the distilled models add over 10% to the hypervolume of the teacher's samplers; our
 * 200-image FDs rank the configurations as the 500-image eval:models run does and sit at or above
 * (>= 0.9x) its values; the published panels are one per table, each cited.
 */
export function checkShipped05(nb: Notebook): void {
  const text = textOf(nb);
  assert.doesNotMatch(text, /TEST FIXTURE/, 'this check is for the shipped models, not the fixture');
  assert.match(fig(nb).layout.title?.text ?? '', /Frechet distance/);
  const { all, front } = checkFrontDrawn(nb, false);
  const families = new Set(all.map((p) => p.label.replace(/ \d+$/, '')));
  for (const f of ['DDIM', 'DPM-Solver++', 'LCM', 'LCM-LoRA', 'PD']) assert.ok(families.has(f), `${f} measured (${[...families].join(', ')})`);
  assert.ok(all.length >= 12, `${all.length} configurations`);

  assert.ok(front.some((p) => /^(LCM|LCM-LoRA|PD) /.test(p.label)), `a distilled configuration on the front: ${front.map((p) => p.label).join(', ')}`);
  assert.ok(!isTeacher(front[0].label), `the fastest front point is distilled, not ${front[0].label}`);
  const best = all.reduce((a, b) => (b.y < a.y ? b : a));
  assert.ok(isTeacher(best.label), `the lowest FD belongs to a teacher sampler (quality gap), not ${best.label} (${best.y})`);

  const at = (label: string) => {
    const p = all.find((q) => q.label === label);
    assert.ok(p, `${label} measured`);
    return p;
  };
  for (const distilled of ['PD 4', 'LCM-LoRA 4']) {
    assert.ok(at(distilled).y < at('DDIM 4').y, `${distilled} FD ${at(distilled).y} < teacher DDIM 4 FD ${at('DDIM 4').y}`);
  }
  // About 6x on a quiet machine; 2x leaves room for a shared CI machine's noise.
  assert.ok(at('DDIM 25').ms > 2 * at('PD 4').ms, `PD 4 (${at('PD 4').ms} ms) over 2x faster than DDIM 25 (${at('DDIM 25').ms} ms)`);
  // The printed verdicts agree with the chart.
  const lcm = at('LCM 4');
  assert.match(text, new RegExp(`LCM 4 vs DDIM 4: .* LCM 4 is ${lcm.y < at('DDIM 4').y ? 'better' : 'worse'}`));
  assert.match(text, /knee: /);

  const hv = /hypervolume, teacher samplers only: ([\d.]+); all methods: ([\d.]+)/.exec(text);
  assert.ok(hv, 'the hypervolume line is printed');
  assert.ok(Number(hv[2]) > 1.1 * Number(hv[1]), `distilled models add over 10% to the hypervolume: ${hv[0]}`);

  const rho = /Spearman rank correlation of the two FD columns over (\d+) configurations: ([-\d.]+)/.exec(text);
  assert.ok(rho, 'the rank correlation with eval:models is printed');
  assert.ok(Number(rho[1]) >= 8 && Number(rho[2]) >= 0.8, `FD ranks agree with eval:models: ${rho[0]}`);
  const scatter = figure(nb, 'Frechet distance: 200 images here vs 500 images').fig;
  for (const t of scatter.data) {
    (t.x ?? []).forEach((x, i) => {
      const y = t.y?.[i];
      if (typeof y === 'number') assert.ok(y >= 0.9 * x, `${t.name}: FD ${y} on 200 images is below 0.9x the 500-image ${x} (the small-sample bias is upward)`);
    });
  }

  const published = figuresOf(nb).filter((f) => f.layout.meta?.provenance === 'published');
  const tables = ['lcm-laion-aes6-512-g8', 'dmd-coco2014-30k-512-g3', 'dmd-coco2014-30k-512-g8', 'add-coco2017-5k', 'ddim-cifar10-fid50k', 'pd-cifar10-fid', 'cm-cifar10-fid'];
  assert.deepEqual(published.map((f) => (f.layout.title?.text ?? '').split(':')[0]), tables, 'one published panel per table');
  for (const f of published) assert.match(f.layout.title?.text ?? '', /published: .*(19|20)\d\d/, 'each panel cites its paper');
  assert.deepEqual(figure(nb, 'lcm-laion-aes6-512-g8').series('LCM').x, [1, 2, 4, 8]);
}
