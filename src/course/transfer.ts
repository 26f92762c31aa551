/**
 * What transfers from the course's tiny model to Stable Diffusion, computed from the rows: our
 * measured quality-vs-steps rows against one published table (one protocol), side by side.
 * Two properties are compared: the shape of the trade-off (quality improves steeply over the first
 * steps, then flattens) and the need for distillation at few steps (distilled methods reach a given
 * quality in fewer steps than the solvers); and one property that need not transfer: which method
 * wins at a given step count (4 by default).
 */
import { InvalidArgumentError, requireFinite, requireInteger } from '../core/errors.js';
import type { ModelEvalFile } from '../evaluation/recorded.js';
import { citationText, type PublishedResult } from '../published/index.js';

/** One (method, steps) quality number, lower is better (a Frechet distance, an FID). */
export interface StepScore {
  method: string;
  steps: number;
  value: number;
  /** True for a distilled model (LCM, LCM-LoRA, PD, DMD...), false for a sampler of the teacher (DDIM, DPM-Solver++...). */
  distilled: boolean;
  /** An interval on `value` (e.g. a bootstrap 95% interval), when measured. */
  interval?: readonly [number, number];
}

/** How one method's quality changes with steps: the gain per doubling of steps over the first and the last interval. */
export interface CurveShape {
  method: string;
  steps: number[];
  values: number[];
  /** value(s0) / value(s1), per doubling of steps, over the first interval (> 1: improving). */
  firstGain: number;
  /** The same over the last interval. */
  lastGain: number;
  /** The first interval gains more per doubling than the last one. */
  steepThenFlat: boolean;
}

/** The fewest steps at which a kind of method gets within `tolerance` x the best value of its side. */
export interface FewestSteps {
  steps: number | null;
  method: string | null;
  /** True when that is the smallest step count measured for the kind, so fewer might do too. */
  atSmallestMeasured: boolean;
}

/** One side (measured or published) of the comparison. */
export interface TradeoffSide {
  best: StepScore;
  target: number;
  curves: CurveShape[];
  solvers: FewestSteps;
  distilled: FewestSteps;
  /** The rows at the pivot step count, best first. */
  ranking: StepScore[];
  /** All rows, by steps then value. */
  rows: StepScore[];
  /** Below the pivot, at every step count with both kinds: the best solver's value over the best distilled one's (> 1: distillation wins). */
  belowPivot: { steps: number; solver: StepScore; distilled: StepScore; ratio: number }[];
}

/** A row of a side-by-side table: a method at a step count, its value and its rank among that side's rows at the same step count. */
export interface RankedRow {
  method: string;
  steps: number;
  value: number;
  rank: number;
  kind: 'distilled' | 'solver';
}

export interface TradeoffComparison {
  pivotSteps: number;
  tolerance: number;
  measured: TradeoffSide;
  published: TradeoffSide;
  /** Every curve with three or more step counts, on both sides, is steep then flat. */
  shapeTransfers: boolean | null;
  /**
   * On both sides, at every step count below the pivot where a solver and a distilled method were
   * both run, the distilled one is better (null: a side has no such step count).
   */
  distillationTransfers: boolean | null;
  /** Among the methods at the pivot on both sides, the same one is best (null: fewer than two such methods). */
  winnerAgrees: boolean | null;
  /** Methods at the pivot present on both sides whose order differs between the sides: [better here, better there]. */
  swappedPairs: [string, string][];
  /** The two tables to show side by side: every row, by steps then value, ranked within its step count. */
  measuredRows: RankedRow[];
  publishedRows: RankedRow[];
  /** The comparison in sentences, computed from the rows (markdown list items). */
  lines: string[];
}

/** Published names of the course's methods, for matching rows across the two sides. */
const METHOD_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  'DPM++': 'DPM-Solver++',
  'teacher DDIM': 'DDIM',
  'teacher DPM-Solver++': 'DPM-Solver++',
  'DDIM (eta=0)': 'DDIM',
});

/** The name used to match a method across the two sides ('DPM++' and 'DPM-Solver++' are one method). */
export function canonicalMethod(name: string): string {
  return METHOD_ALIASES[name] ?? name;
}

function checkRows(field: string, rows: readonly StepScore[]): StepScore[] {
  if (!Array.isArray(rows) || rows.length === 0)
    throw new InvalidArgumentError(field, rows, 'a non-empty array of {method, steps, value, distilled}');
  return rows.map((r, i) => {
    if (r === null || typeof r !== 'object' || typeof r.method !== 'string' || r.method === '') {
      throw new InvalidArgumentError(`${field}[${i}]`, r, 'a {method, steps, value, distilled} row');
    }
    requireInteger(`${field}[${i}].steps`, r.steps, 1);
    requireFinite(`${field}[${i}].value`, r.value, 0);
    if (typeof r.distilled !== 'boolean')
      throw new InvalidArgumentError(`${field}[${i}].distilled`, r.distilled, 'true or false');
    return { ...r, method: canonicalMethod(r.method) };
  });
}

/** Gain per doubling of steps between two points of a curve (lower values are better). */
function gainPerDoubling(s0: number, v0: number, s1: number, v1: number): number {
  return (v0 / Math.max(v1, Number.MIN_VALUE)) ** (1 / Math.log2(s1 / s0));
}

function curvesOf(rows: readonly StepScore[]): CurveShape[] {
  const byMethod = new Map<string, StepScore[]>();
  for (const r of rows) byMethod.set(r.method, [...(byMethod.get(r.method) ?? []), r]);
  const out: CurveShape[] = [];
  for (const [method, list] of byMethod) {
    const sorted = [...list].sort((a, b) => a.steps - b.steps);
    if (sorted.length < 3) continue;
    const n = sorted.length;
    const firstGain = gainPerDoubling(sorted[0].steps, sorted[0].value, sorted[1].steps, sorted[1].value);
    const lastGain = gainPerDoubling(
      sorted[n - 2].steps,
      sorted[n - 2].value,
      sorted[n - 1].steps,
      sorted[n - 1].value,
    );
    out.push({
      method,
      steps: sorted.map((r) => r.steps),
      values: sorted.map((r) => r.value),
      firstGain,
      lastGain,
      steepThenFlat: firstGain > lastGain,
    });
  }
  return out;
}

function fewestSteps(rows: readonly StepScore[], distilled: boolean, target: number): FewestSteps {
  const kind = rows.filter((r) => r.distilled === distilled).sort((a, b) => a.steps - b.steps || a.value - b.value);
  const hit = kind.find((r) => r.value <= target);
  if (!hit) return { steps: null, method: null, atSmallestMeasured: false };
  return { steps: hit.steps, method: hit.method, atSmallestMeasured: hit.steps === kind[0].steps };
}

function belowPivotOf(rows: readonly StepScore[], pivot: number): TradeoffSide['belowPivot'] {
  const steps = [...new Set(rows.filter((r) => r.steps < pivot).map((r) => r.steps))].sort((a, b) => a - b);
  const out: TradeoffSide['belowPivot'] = [];
  for (const s of steps) {
    const at = rows.filter((r) => r.steps === s).sort((a, b) => a.value - b.value);
    const solver = at.find((r) => !r.distilled);
    const distilled = at.find((r) => r.distilled);
    if (solver && distilled) out.push({ steps: s, solver, distilled, ratio: solver.value / distilled.value });
  }
  return out;
}

function sideOf(rows: StepScore[], pivot: number, tolerance: number): TradeoffSide {
  const best = rows.reduce((a, b) => (b.value < a.value ? b : a));
  const target = tolerance * best.value;
  return {
    best,
    target,
    curves: curvesOf(rows),
    solvers: fewestSteps(rows, false, target),
    distilled: fewestSteps(rows, true, target),
    ranking: rows.filter((r) => r.steps === pivot).sort((a, b) => a.value - b.value),
    rows: [...rows].sort((a, b) => a.steps - b.steps || a.value - b.value),
    belowPivot: belowPivotOf(rows, pivot),
  };
}

function ranked(side: TradeoffSide): RankedRow[] {
  return side.rows.map((r) => ({
    method: r.method,
    steps: r.steps,
    value: r.value,
    kind: r.distilled ? 'distilled' : 'solver',
    rank: 1 + side.rows.filter((q) => q.steps === r.steps && q.value < r.value).length,
  }));
}

/** "A beats B" at the pivot, or "A and B are within noise" when their intervals overlap. */
function orderText(a: StepScore, b: StepScore): string {
  const overlap = a.interval && b.interval && a.interval[0] <= b.interval[1] && b.interval[0] <= a.interval[1];
  return overlap
    ? `${a.method} and ${b.method} are within noise (${fmt(a.value)} vs ${fmt(b.value)}, intervals overlap)`
    : `${a.method} ${fmt(a.value)} < ${b.method} ${fmt(b.value)}`;
}

function fmt(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function reachText(f: FewestSteps, what: string): string {
  if (f.steps === null) return `${what}: never within the target`;
  return `${what}: ${f.atSmallestMeasured ? `already at ${f.steps} (the fewest measured)` : f.steps} (${f.method})`;
}

/**
 * Compares measured rows with one published table (lower values better on both sides, on their own
 * scales): the shape of each quality-vs-steps curve with three or more points (gain per doubling of
 * steps, first interval vs last), the fewest steps at which solvers and distilled methods come within
 * `tolerance` x the best value of their side, and the ranking at `pivotSteps`. Everything in the
 * result, including the sentences in `lines`, is computed from the rows.
 */
export function compareTradeoffs(
  measured: readonly StepScore[],
  published: readonly StepScore[],
  options: { pivotSteps?: number; tolerance?: number; measuredName?: string; publishedName?: string } = {},
): TradeoffComparison {
  const pivot = requireInteger('pivotSteps', options.pivotSteps ?? 4, 1);
  const tolerance = requireFinite('tolerance', options.tolerance ?? 2, 1);
  const here = options.measuredName ?? 'measured here';
  const there = options.publishedName ?? 'published';
  const m = sideOf(checkRows('measured', measured), pivot, tolerance);
  const p = sideOf(checkRows('published', published), pivot, tolerance);

  const allCurves = [...m.curves, ...p.curves];
  const shapeTransfers = m.curves.length > 0 && p.curves.length > 0 ? allCurves.every((c) => c.steepThenFlat) : null;
  const distilledWins = (s: TradeoffSide): boolean | null =>
    s.belowPivot.length === 0 ? null : s.belowPivot.every((b) => b.ratio > 1);
  const fm = distilledWins(m);
  const fp = distilledWins(p);
  const distillationTransfers = fm === null || fp === null ? null : fm && fp;
  const shared = m.ranking.filter((r) => p.ranking.some((q) => q.method === r.method)).map((r) => r.method);
  const winnerAgrees =
    shared.length < 2 ? null : shared[0] === p.ranking.filter((r) => shared.includes(r.method))[0].method;
  const swappedPairs: [string, string][] = [];
  for (let i = 0; i < shared.length; i++) {
    for (let j = i + 1; j < shared.length; j++) {
      const pi = p.ranking.findIndex((r) => r.method === shared[i]);
      const pj = p.ranking.findIndex((r) => r.method === shared[j]);
      if (pj < pi) swappedPairs.push([shared[i], shared[j]]);
    }
  }

  const curveText = (c: CurveShape) =>
    `${c.method} ${c.steps.map((s, i) => `${s}: ${fmt(c.values[i])}`).join(', ')} (x${c.firstGain.toFixed(2)} per doubling at first, x${c.lastGain.toFixed(2)} at the end)`;
  const lines: string[] = [];
  lines.push(
    `**Shape of the trade-off** (${shapeTransfers === null ? 'undecided: a side has no curve of 3+ step counts' : shapeTransfers ? 'transfers' : 'does not transfer'}): ` +
      `${here}: ${m.curves.map(curveText).join('; ') || 'no curve of 3+ step counts'}. ${there}: ${p.curves.map(curveText).join('; ') || 'no curve of 3+ step counts'}.`,
  );
  const below = (s: TradeoffSide) =>
    s.belowPivot
      .map(
        (b) =>
          `${b.steps} step${b.steps === 1 ? '' : 's'}: ${b.distilled.method} ${fmt(b.distilled.value)} vs ${b.solver.method} ${fmt(b.solver.value)} (x${b.ratio.toFixed(1)})`,
      )
      .join(', ') || `no step count below ${pivot} with both a solver and a distilled method`;
  lines.push(
    `**Distillation below ${pivot} steps** (${distillationTransfers === null ? 'undecided: a side did not run both kinds below ' + pivot + ' steps' : distillationTransfers ? 'transfers' : 'does not transfer'}): ` +
      `best distilled vs best solver at the same step count; ${here}: ${below(m)}; ${there}: ${below(p)}. ` +
      `Fewest steps within ${tolerance}x the best value of the side: ${here} (best ${m.best.method} ${m.best.steps}: ${fmt(m.best.value)}) ` +
      `${reachText(m.distilled, 'distilled')}, ${reachText(m.solvers, 'solvers')}; ${there} (best ${p.best.method} ${p.best.steps}: ${fmt(p.best.value)}) ` +
      `${reachText(p.distilled, 'distilled')}, ${reachText(p.solvers, 'solvers')}.`,
  );
  const order = (s: TradeoffSide) =>
    s.ranking.map((r) => `${r.method} ${fmt(r.value)}`).join(' < ') || `no row at ${pivot} steps`;
  const swaps = swappedPairs.map(([a, b]) => {
    const ma = m.ranking.find((r) => r.method === a)!;
    const mb = m.ranking.find((r) => r.method === b)!;
    return `${orderText(ma, mb)} ${here}, but ${b} < ${a} ${there}`;
  });
  lines.push(
    `**Which method wins at ${pivot} steps** (${winnerAgrees === null ? 'undecided: fewer than two methods on both sides' : winnerAgrees ? 'the same winner among the methods on both sides' : 'does not transfer'}): ` +
      `${here}: ${order(m)}; ${there}: ${order(p)}.` +
      (swaps.length
        ? ` Order reversed: ${swaps.join('; ')}.`
        : shared.length > 1
          ? ' The methods on both sides keep their order.'
          : ''),
  );
  return {
    pivotSteps: pivot,
    tolerance,
    measured: m,
    published: p,
    shapeTransfers,
    distillationTransfers,
    winnerAgrees,
    swappedPairs,
    measuredRows: ranked(m),
    publishedRows: ranked(p),
    lines,
  };
}

/** Samplers of an undistilled model (DDIM, DPM-Solver++, UniPC, PNDM...); everything else counts as distilled. */
const SOLVER = /^(teacher )?(DDIM|DDPM|DPM-Solver|DPM\+\+|UniPC|PNDM|Euler|Heun|SD 1\.5 \+)/;

/** True for a distilled method's name (LCM, LCM-LoRA, PD, Guided-Distill, DMD, ADD...), false for a solver's. */
export function isDistilledMethod(name: string): boolean {
  if (typeof name !== 'string' || name === '') throw new InvalidArgumentError('name', name, 'a method name');
  return !SOLVER.test(name);
}

/** The rows of one published table as step scores (rows without a step count are left out); lower must be better. */
export function publishedStepScores(
  rows: readonly PublishedResult[],
  table: string,
  metric = 'FID',
): { scores: StepScore[]; citation: string } {
  const picked = rows.filter((r) => r.table === table && r.metric === metric);
  if (picked.length === 0)
    throw new InvalidArgumentError('table', table, `a table of data/published-results.json with ${metric} rows`);
  if (picked.some((r) => r.better === 'higher'))
    throw new InvalidArgumentError('metric', metric, 'a metric where lower is better (FID)');
  const scores = picked
    .filter((r) => r.steps !== null)
    .map((r) => ({
      method: r.method,
      steps: r.steps as number,
      value: r.value,
      distilled: isDistilledMethod(r.method),
    }));
  return {
    scores,
    citation: `${citationText(picked[0])}${picked[0].secondary ? ' (secondary)' : ''}; ${picked[0].protocol}`,
  };
}

/** The rows of a model-eval file (data/model-eval.json) as step scores by Frechet distance; "teacher DDIM 4" is method DDIM. */
export function modelEvalStepScores(evalFile: ModelEvalFile): StepScore[] {
  // The leading-spacing DDIM row is a demonstration of diffusers' default, not a method to rank.
  return evalFile.rows
    .filter((r) => r.scheduler?.timestep_spacing !== 'leading')
    .map((r) => {
      const method = r.name.replace(/ \d+$/, '');
      return { method, steps: r.steps, value: r.frechet, distilled: isDistilledMethod(method) };
    });
}
