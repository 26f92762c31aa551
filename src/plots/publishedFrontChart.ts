/**
 * The papers' own latency-vs-FID fronts (src/pareto/publishedFront.ts) as notebook 05 shows them: one
 * Pareto chart per table, labelled 'published' with its citation, a text summary of the front, and
 * one computed sentence per table. Published single numbers carry no intervals; the sentence says so.
 */
import type { PublishedFront } from '../pareto/publishedFront.js';
import { citationText } from '../published/index.js';
import type { PlotlyFigure } from './figure.js';
import { paretoChart } from './paretoChart.js';

/** The chart of one published front: FID against latency (log scale), front staircase and knee, with the table's citation. */
export function publishedFrontChart(pf: PublishedFront): PlotlyFigure {
  const transcribed = pf.secondary && !/transcription/.test(pf.citation.table);
  return paretoChart({
    title: `${pf.table}: FID vs latency per image (${pf.hardware})`,
    points: pf.points.map((p) => ({ x: p.latency, y: p.fid, label: p.label })),
    frontIndices: pf.frontIndices,
    kneeIndex: pf.kneeIndex,
    xTitle: `latency per image, ${pf.latencyUnit} (${pf.hardware}, log scale)`,
    yTitle: 'FID (lower is better)',
    logX: true,
    staircase: true,
    provenance: 'published',
    source: `${citationText(pf)}${transcribed ? ' (numbers read in a transcription of the table)' : ''}`,
  });
}

/** The front in words: protocol, front (fastest first), knee, dominated rows and rows without a latency. */
export function describePublishedFront(pf: PublishedFront): string {
  const knee =
    pf.kneeIndex === undefined ? ' (too few front points for a knee)' : `; knee: ${pf.points[pf.kneeIndex].label}`;
  return (
    `${pf.table}: ${pf.protocol}\n  front (fastest first): ${pf.frontIndices.map((i) => pf.points[i].label).join(' -> ')}` +
    knee +
    `\n  dominated: ${pf.dominated.join('; ') || 'none'}` +
    (pf.unmatched.length ? `\n  no latency in the table: ${pf.unmatched.join('; ')}` : '')
  );
}

/** One markdown bullet per front: how many methods are on it, the fastest, and what a better FID costs in time. */
export function publishedFrontsSummary(fronts: readonly PublishedFront[]): string {
  return fronts
    .map((pf) => {
      const front = pf.frontIndices.map((i) => pf.points[i]);
      const fastest = front[0];
      const best = front[front.length - 1];
      const head = `- **${pf.citation.source}** (${pf.table}): ${front.length} of ${pf.points.length} methods are on the front. `;
      const body =
        front.length === 1
          ? `**${fastest.label}** is both the fastest and the best (${fastest.latency} ${pf.latencyUnit}, FID ${fastest.fid}): it dominates every other row with a latency.`
          : `The fastest is **${fastest.label}** (${fastest.latency} ${pf.latencyUnit}, FID ${fastest.fid}); a better FID costs ` +
            `${(best.latency / fastest.latency).toFixed(1)}x the time (**${best.label}**, FID ${best.fid}).`;
      return (
        head +
        body +
        " Published single numbers: no intervals are given, so small FID differences may be within the papers' noise."
      );
    })
    .join('\n');
}
