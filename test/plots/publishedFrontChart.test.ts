import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { publishedLatencyFront, type PublishedFrontRow } from '../../src/pareto/publishedFront.js';
import {
  describePublishedFront,
  publishedFrontChart,
  publishedFrontsSummary,
} from '../../src/plots/publishedFrontChart.js';

const citation = { source: 'A et al. 2024', table: 'Table 1' };
const row = (method: string, steps: number, metric: string, value: number): PublishedFrontRow => ({
  table: 't',
  method,
  steps,
  metric,
  value,
  unit: metric === 'latency' ? 's' : 'FID',
  citation,
  ...(metric === 'latency' ? { hardware: 'A100' } : {}),
});
// Hand-made table: fast (0.1 s, FID 30), slow (2 s, FID 10), bad (1 s, FID 40: dominated by fast), noLat (FID only).
const rows = [
  row('fast', 1, 'latency', 0.1),
  row('fast', 1, 'FID', 30),
  row('slow', 50, 'latency', 2),
  row('slow', 50, 'FID', 10),
  row('bad', 4, 'latency', 1),
  row('bad', 4, 'FID', 40),
  row('noLat', 8, 'FID', 20),
];

describe('published front charts', () => {
  const pf = publishedLatencyFront(rows, 't');

  test("the chart is 'published' with the citation, log latency axis, and the front in latency order", () => {
    const fig = publishedFrontChart(pf);
    const meta = (fig.layout as { meta?: { provenance?: string; source?: string } }).meta ?? {};
    assert.equal(meta.provenance, 'published');
    assert.match(String(meta.source), /A et al\. 2024/);
    assert.match(String((fig.layout.title as { text?: string }).text), /^t: FID vs latency per image \(A100\)/);
  });

  test('the description names the front, the dominated row and the row without a latency', () => {
    const text = describePublishedFront(pf);
    assert.match(text, /front \(fastest first\): fast, 1 step -> slow, 50 steps/);
    assert.match(text, /dominated: bad, 4 steps/);
    assert.match(text, /no latency in the table: noLat, 8 steps/);
  });

  test('the summary computes what a better FID costs in time (2 / 0.1 = 20x) and says there are no intervals', () => {
    const md = publishedFrontsSummary([pf]);
    assert.match(md, /2 of 3 methods are on the front/);
    assert.match(md, /a better FID costs 20\.0x the time \(\*\*slow, 50 steps\*\*, FID 10\)/);
    assert.match(md, /no intervals are given/);
  });
});
