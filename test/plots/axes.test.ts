import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { axisLayout, logTicks, paddedRange } from '../../src/plots/axes.js';
import { lineChart } from '../../src/plots/lineChart.js';
import { paretoChart, placeLabels } from '../../src/plots/paretoChart.js';
import { wrapPlotText } from '../../src/plots/provenance.js';

describe('axes (issue 11 item 15)', () => {
  test('a step axis ticks exactly the step counts (never 1.5 or 2.5)', () => {
    const fig = lineChart({
      title: 'T',
      provenance: 'measured',
      xTitle: 'steps',
      series: [
        { name: 'a', x: [1, 2, 4], y: [3, 2, 1] },
        { name: 'b', x: [1, 3], y: [1, 1] },
      ],
    });
    const x = fig.layout.xaxis as { tickmode: string; tickvals: number[]; ticktext: string[] };
    assert.equal(x.tickmode, 'array');
    assert.deepEqual(x.tickvals, [1, 2, 3, 4]);
    assert.deepEqual(x.ticktext, ['1', '2', '3', '4']);
  });
  test('a log step axis ticks the measured step counts, labelled in full', () => {
    const x = axisLayout({ log: true, values: [[1, 2, 4, 8, 15, 25, 50]] }) as {
      type: string;
      tickvals: number[];
      ticktext: string[];
    };
    assert.equal(x.type, 'log');
    assert.deepEqual(x.ticktext, ['1', '2', '4', '8', '15', '25', '50']);
  });
  test('a log axis of measurements gets 1-2-5 ticks with full labels, not bare minor digits', () => {
    assert.deepEqual(logTicks(3.2, 420), {
      tickvals: [5, 10, 20, 50, 100, 200],
      ticktext: ['5', '10', '20', '50', '100', '200'],
    });
    assert.deepEqual(logTicks(0.04, 0.3).ticktext, ['0.05', '0.1', '0.2']);
    // More than 3 decades: powers of ten only.
    assert.deepEqual(logTicks(0.5, 20000).tickvals, [1, 10, 100, 1000, 10000]);
    const y = axisLayout({ log: true, values: [[3.2, 17.5, 420.9]] }) as { tickvals: number[] };
    assert.deepEqual(y.tickvals, [5, 10, 20, 50, 100, 200]);
  });
  test('a linear axis of non-integers is left to Plotly', () => {
    assert.equal((axisLayout({ values: [[0.1, 0.25, 0.7]] }) as { tickmode?: string }).tickmode, undefined);
  });
});

describe('Pareto labels (issue 11 item 15)', () => {
  test('close neighbours go diagonally apart (up-left, down-right); a third crowded label becomes hover-only', () => {
    const placed = placeLabels(
      [10, 10.5, 11, 100],
      [0.5, 0.51, 0.52, 0.9],
      ['a', 'b', 'c', 'd'],
      false,
      [0, 100],
      [0, 1],
    );
    assert.deepEqual(placed.position, ['top left', 'bottom right', 'top center', 'top center']);
    assert.deepEqual(placed.text, ['a', 'b', '', 'd']);
  });
  test('well separated points all keep their labels above', () => {
    const placed = placeLabels([1, 50, 100], [0.1, 0.5, 0.9], ['a', 'b', 'c'], false);
    assert.deepEqual(placed, { text: ['a', 'b', 'c'], position: ['top center', 'top center', 'top center'] });
  });
  test('the chart uses them, and the hover text still names every point', () => {
    const fig = paretoChart({
      title: 'P',
      provenance: 'measured',
      frontIndices: [0, 1, 2, 3],
      points: [
        { x: 10, y: 0.5, label: 'a' },
        { x: 10.2, y: 0.5, label: 'b' },
        { x: 10.4, y: 0.5, label: 'c' },
        { x: 100, y: 0.9, label: 'd' },
      ],
    });
    const front = fig.data[1] as { text: string[] };
    assert.deepEqual(front.text, ['a', 'b', '', 'd']);
    assert.deepEqual((fig.data[0] as { text: string[] }).text, ['a', 'b', 'c', 'd']);
  });
});

describe('paddedRange (issue 11 item 15: nb02 clipped its one-path chart at a fixed range)', () => {
  test('holds every value of every series, with the padding on both sides', () => {
    assert.deepEqual(paddedRange([[-1.5, 0.2], [1, null, NaN], [0.5]], 0.1), [-1.75, 1.25]);
  });
  test('a single value gets a range around it; no finite value is an error', () => {
    assert.deepEqual(paddedRange([[2]], 0.5), [1, 3]);
    assert.throws(() => paddedRange([[NaN]]), /finite/);
  });
});

describe('long chart titles wrap (issue 11 item 15: nb04 panel titles were cut at 1280 px)', () => {
  const long =
    'Stable-fast README: UNet iterations per second (it/s); SD 1.5, 512x512, batch 1, guided, on the H100 GPU';
  test('a long title is broken at spaces into lines of at most 70 characters, keeping every word and tag whole', () => {
    const lines = wrapPlotText(`${long} <span style="color: red">x</span>`, 70);
    assert.ok(lines.length >= 2);
    for (const l of lines) assert.ok(l.replace(/<[^>]*>/g, '').length <= 70, l);
    assert.equal(lines.join(' '), `${long} <span style="color: red">x</span>`);
    assert.match(lines[lines.length - 1], /H100 GPU/);
  });
  test('the chart title carries the breaks and the top margin grows with the lines', () => {
    const fig = lineChart({
      title: long,
      provenance: 'published',
      source: 'stable-fast README (2024), table "SD 1.5 on A100 and H100", github.com/chengzeyi/stable-fast',
      series: [{ name: 'a', x: [1], y: [1] }],
    });
    const title = (fig.layout.title as { text: string }).text;
    assert.ok(title.split('<br>').length >= 3, title);
    assert.ok((fig.layout.margin as { t: number }).t > 80);
    const short = lineChart({ title: 'T', provenance: 'measured', series: [{ name: 'a', x: [1], y: [1] }] });
    assert.equal((short.layout.margin as { t: number }).t, 80);
  });
});
