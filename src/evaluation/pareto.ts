/**
 * Measured results as a speed/quality Pareto analysis: points (median time, quality), the front
 * and its knee, a chart with the uncertainty of every point (bootstrap interval of the quality,
 * interquartile range of the time), and the hypervolume the front dominates.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { paretoFrontIndices } from '../pareto/front.js';
import { hypervolume2d } from '../pareto/hypervolume.js';
import { kneePoint } from '../pareto/knee.js';
import type { PlotlyFigure } from '../plots/figure.js';
import { paretoChart } from '../plots/paretoChart.js';
import { compareIntervals, formatInterval, type Interval, type IntervalComparison } from './bootstrap.js';
import { originProvenance, type MethodResult } from './result.js';

/** Which quality a speed/quality analysis uses: Frechet distance (lower is better) or PSNR (higher is better). */
export type QualityMetric = 'frechet' | 'psnr';

/** A result as a Pareto point: cost = median ms per image, quality = -FD (or PSNR), so that both are "more is better" for quality. */
export interface ResultPoint {
  cost: number;
  quality: number;
  result: MethodResult;
}

/** The interval of the metric of a result (undefined when it was not measured). */
export function metricInterval(r: MethodResult, metric: QualityMetric): Interval | undefined {
  return metric === 'frechet' ? r.quality?.frechet : r.quality?.psnrDb;
}

/** Pareto points of results with both a time and the metric. */
export function resultPoints(results: readonly MethodResult[], metric: QualityMetric): ResultPoint[] {
  if (!Array.isArray(results)) throw new InvalidArgumentError('results', results, 'an array of MethodResult');
  const out: ResultPoint[] = [];
  for (const r of results) {
    const q = metricInterval(r, metric);
    if (q === undefined || r.time === undefined) continue;
    out.push({ cost: r.time.medianMs, quality: metric === 'frechet' ? -q.value : q.value, result: r });
  }
  return out;
}

/** Hover text of a result: method, steps, time (median, IQR), quality with intervals. */
export function resultHover(r: MethodResult): string {
  const m = r.method;
  const f = (i: Interval, d = 2) => `${i.value.toFixed(d)} [${i.low.toFixed(d)}, ${i.high.toFixed(d)}]`;
  const parts = [`${m.family}, ${m.steps} step${m.steps === 1 ? '' : 's'}, guidance ${m.guidance}`];
  if (r.time) parts.push(`time ${r.time.medianMs.toFixed(2)} ms/image (IQR ${r.time.iqrMs.toFixed(2)})`);
  const q = r.quality;
  if (q?.frechet) parts.push(`FD ${f(q.frechet)} (${q.images} images, 95% bootstrap interval)`);
  if (q?.adherence)
    parts.push(
      `adherence ${(100 * q.adherence.value).toFixed(1)}% [${(100 * q.adherence.low).toFixed(1)}, ${(100 * q.adherence.high).toFixed(1)}]`,
    );
  if (q?.clipScore) parts.push(`CLIPScore ${clipScoreText(q.clipScore)}`);
  if (q?.psnrDb) parts.push(`PSNR ${f(q.psnrDb)} dB`);
  return parts.join('<br>');
}

/** Options of `resultParetoChart`. */
export interface ResultParetoChartOptions {
  title: string;
  metric: QualityMetric;
  /** Where the numbers come from (models, image count, machine). */
  source: string;
  logX?: boolean;
  logY?: boolean;
}

/**
 * The speed/quality chart of results: every configuration with error bars (quality: 95% bootstrap
 * interval; time: interquartile range), the Pareto front (minimise time and FD, or maximise PSNR)
 * as a staircase, the knee (Kneedle) as a star. Returns the figure, the front by ascending time and the knee.
 */
export function resultParetoChart(
  points: readonly ResultPoint[],
  o: ResultParetoChartOptions,
): { figure: PlotlyFigure; front: ResultPoint[]; knee: ResultPoint } {
  if (!Array.isArray(points) || points.length === 0)
    throw new InvalidArgumentError('points', points, 'at least one measured point (resultPoints)');
  const frontIdx = paretoFrontIndices(points);
  const knee = kneePoint(points);
  const yOf = (p: ResultPoint) => (o.metric === 'frechet' ? -p.quality : p.quality);
  const figure = paretoChart({
    title: o.title,
    points: points.map((p) => ({ x: p.cost, y: yOf(p), label: p.result.method.name })),
    frontIndices: frontIdx,
    kneeIndex: knee.index,
    xTitle: 'time per image, ms (median, batch 1; bars: IQR)',
    yTitle:
      o.metric === 'frechet'
        ? 'Frechet distance (lower is better; bars: 95% bootstrap interval)'
        : 'PSNR vs the 50-step reference, dB (higher is better; bars: 95% interval)',
    logX: o.logX ?? true,
    staircase: true,
    ...originProvenance(points.flatMap((p) => [p.result.provenance.quality, p.result.provenance.time])),
    source: o.source,
  });
  if (o.logY) figure.layout = { ...figure.layout, yaxis: { ...figure.layout.yaxis, type: 'log' } };
  const sortedFront = [...frontIdx].sort((a, b) => points[a].cost - points[b].cost || yOf(points[a]) - yOf(points[b]));
  const traceIndices = [points.map((_, i) => i), sortedFront, [knee.index]];
  figure.data.forEach((trace, k) => {
    const idx = traceIndices[k];
    if (idx === undefined) return;
    const t = trace as Record<string, unknown>;
    t.customdata = idx.map((i) => resultHover(points[i].result));
    t.hovertemplate = '<b>%{text}</b><br>%{customdata}<extra></extra>';
  });
  const all = figure.data[0] as Record<string, unknown>;
  const q = points.map((p) => metricInterval(p.result, o.metric)!);
  all.error_y = {
    type: 'data',
    symmetric: false,
    array: q.map((i) => i.high - i.value),
    arrayminus: q.map((i) => i.value - i.low),
    thickness: 1,
    width: 2,
  };
  all.error_x = {
    type: 'data',
    symmetric: false,
    thickness: 1,
    width: 2,
    array: points.map((p) => p.result.time!.q3Ms - p.result.time!.medianMs),
    arrayminus: points.map((p) => p.result.time!.medianMs - p.result.time!.q1Ms),
  };
  return { figure, front: frontIdx.map((i) => points[i]), knee: points[knee.index] };
}

/**
 * Hypervolume (Zitzler & Thiele 1998) of a set of points with time on a log10 scale, up to a
 * reference 10% slower than the slowest and 10% worse than the worst point of `all` (so that two
 * subsets of one sweep are measured against the same reference).
 */
export function logTimeHypervolume(subset: readonly ResultPoint[], all: readonly ResultPoint[]): number {
  if (!Array.isArray(all) || all.length === 0) throw new InvalidArgumentError('all', all, 'at least one point');
  if (subset.length === 0) return 0;
  const log = (p: ResultPoint) => ({ cost: Math.log10(p.cost), quality: p.quality });
  const worstQ = Math.min(...all.map((p) => p.quality));
  const ref = {
    cost: Math.max(...all.map((p) => Math.log10(p.cost))) + Math.log10(1.1),
    quality: worstQ - 0.1 * Math.abs(worstQ),
  };
  return hypervolume2d(subset.map(log), ref);
}

/** Column title of CLIPScore in result tables (scenes-clip, Hessel et al. 2021: 100 x max(cos, 0), mean over the images). */
export const CLIP_SCORE_COLUMN = 'CLIPScore [95% CI]';

/** What a CLIPScore cell says when the row has none: the session had no scenes-clip model. */
export const NO_CLIP_SCORE = 'not measured (no models/scenes-clip)';

/** "23.1 [22.4, 23.8]": a CLIPScore with its 95% interval (1 decimal), or NO_CLIP_SCORE when there is none. */
export function clipScoreText(i: Interval | undefined, digits = 1): string {
  return i === undefined ? NO_CLIP_SCORE : formatInterval(i, digits);
}

/**
 * "FD 12.10 [11.02, 13.40], adherence 85.0% [83.1, 86.9], CLIPScore 23.1 [22.4, 23.8]" (or "PSNR ...
 * dB"): a result's quality with its 95% intervals (CLIPScore only when measured; tables say when it is not).
 */
export function qualityText(r: MethodResult): string {
  const q = r.quality;
  if (!q) return 'quality not measured';
  const f = (i: Interval, d = 2) => `${i.value.toFixed(d)} [${i.low.toFixed(d)}, ${i.high.toFixed(d)}]`;
  const parts: string[] = [];
  if (q.frechet) parts.push(`FD ${f(q.frechet)}`);
  if (q.adherence)
    parts.push(
      `adherence ${(100 * q.adherence.value).toFixed(1)}% [${(100 * q.adherence.low).toFixed(1)}, ${(100 * q.adherence.high).toFixed(1)}]`,
    );
  if (q.clipScore) parts.push(`CLIPScore ${clipScoreText(q.clipScore)}`);
  if (q.psnrDb) parts.push(`PSNR ${f(q.psnrDb)} dB`);
  return parts.join(', ');
}

/**
 * Compares the quality of two results on `metric` (FD: lower is better; PSNR: higher): "within
 * noise" when their 95% bootstrap intervals overlap, else which is better; the text names both.
 */
export function compareResults(a: MethodResult, b: MethodResult, metric: QualityMetric): IntervalComparison {
  const ia = metricInterval(a, metric);
  const ib = metricInterval(b, metric);
  if (!ia || !ib)
    throw new InvalidArgumentError(
      'results',
      `${a.method.name}, ${b.method.name}`,
      `two results with ${metric} measured`,
    );
  return compareIntervals(ia, ib, metric === 'frechet' ? 'lower' : 'higher', {
    a: a.method.name,
    b: b.method.name,
    metric: metric === 'frechet' ? 'FD' : 'PSNR',
  });
}
