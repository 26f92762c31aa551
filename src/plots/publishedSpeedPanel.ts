/** Panels of published speed figures: one chart per source table and metric, labelled 'published' with the citation. */
import { InvalidArgumentError } from '../core/errors.js';
import { citationText, type PublishedResult } from '../published/index.js';
import { groupedBarChart } from './barChart.js';
import type { PlotlyFigure } from './figure.js';

/**
 * One chart per published table and metric: grouped bars, one category per method (with its step
 * count when the table has several), one group per hardware, titled with the paper and protocol and
 * labelled 'published' with the citation. Never mixes tables or metrics.
 */
export function publishedSpeedPanel(rows: readonly PublishedResult[], table: string, metric?: string): PlotlyFigure {
  if (!Array.isArray(rows))
    throw new InvalidArgumentError('rows', rows, 'expected the rows of data/published-results.json');
  const inTable = rows.filter((r) => r.table === table);
  if (inTable.length === 0)
    throw new InvalidArgumentError(
      'table',
      table,
      `a table id of the rows (have: ${[...new Set(rows.map((r) => r.table))].join(', ')})`,
    );
  const metrics = [...new Set(inTable.map((r) => r.metric))];
  if (metric === undefined && metrics.length > 1)
    throw new InvalidArgumentError('metric', metric, `one of ${metrics.join(', ')} (table ${table} has several)`);
  const chosen = metric ?? metrics[0];
  const picked = inTable.filter((r) => r.metric === chosen);
  if (picked.length === 0) throw new InvalidArgumentError('metric', metric, `one of ${metrics.join(', ')}`);
  const stepCounts = new Set(picked.map((r) => r.steps));
  const category = (r: PublishedResult) =>
    stepCounts.size > 1 ? `${r.method}, ${r.steps} step${r.steps === 1 ? '' : 's'}` : r.method;
  const categories = [...new Set(picked.map(category))];
  const hardware = [...new Set(picked.map((r) => r.hardware ?? 'unspecified hardware'))];
  const groups = hardware.map((hw) => ({
    name: hw,
    values: categories.map((cat) => {
      const hit = picked.filter((r) => (r.hardware ?? 'unspecified hardware') === hw && category(r) === cat);
      return hit.length > 0 ? hit[0].value : NaN;
    }),
  }));
  const first = picked[0];
  return groupedBarChart({
    title: `${first.paper}: ${chosen} (${first.unit}); ${first.protocol}`,
    categories,
    groups,
    yTitle: `${chosen} (${first.unit})`,
    provenance: 'published',
    source: citationText(first),
  });
}
