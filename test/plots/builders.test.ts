import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { lineChart } from '../../src/plots/lineChart.js';
import { scatterChart } from '../../src/plots/scatterChart.js';
import { paretoChart } from '../../src/plots/paretoChart.js';
import { groupedBarChart } from '../../src/plots/barChart.js';
import { heatmapChart } from '../../src/plots/heatmapChart.js';
import type { PlotlyFigure } from '../../src/plots/figure.js';

type Trace = Record<string, any>;
const traces = (fig: PlotlyFigure) => fig.data as Trace[];
const titleText = (fig: PlotlyFigure) => (fig.layout.title as { text: string }).text;
const invalid = (field: string) => (e: unknown) => e instanceof InvalidArgumentError && e.field === field;

describe('lineChart', () => {
  test('draws one trace per series with plain-array x and y, and says where the numbers come from', () => {
    const fig = lineChart({
      title: 'Error vs steps',
      provenance: 'measured',
      xTitle: 'steps',
      yTitle: 'MSE',
      series: [
        { name: 'DDIM', x: new Float32Array([1, 2, 4]), y: [0.5, 0.25, 0.125] },
        { name: 'Euler', x: [1, 2, 4], y: [0.6, 0.3, 0.2] },
      ],
    });
    assert.equal(traces(fig).length, 2);
    assert.deepEqual(traces(fig)[0].x, [1, 2, 4]);
    assert.ok(Array.isArray(traces(fig)[0].x), 'typed arrays are copied into plain arrays');
    assert.equal(traces(fig)[1].name, 'Euler');
    assert.match(titleText(fig), /^Error vs steps<br><sup>measured now on .+, \d+ cores?<\/sup>$/);
    assert.deepEqual(fig.layout.xaxis?.title, { text: 'steps' });
  });
  test('NaN in y leaves a gap (null), NaN in x is refused', () => {
    const fig = lineChart({
      title: 'T',
      provenance: 'simulation',
      series: [{ name: 'a', x: [0, 1, 2], y: [1, NaN, 3] }],
    });
    assert.deepEqual(traces(fig)[0].y, [1, null, 3]);
    assert.throws(
      () => lineChart({ title: 'T', provenance: 'simulation', series: [{ name: 'a', x: [0, NaN], y: [1, 2] }] }),
      invalid('series[0].x[1]'),
    );
  });
  test('error bars become a data error_y of the same colour', () => {
    const fig = lineChart({
      title: 'T',
      provenance: 'measured',
      series: [{ name: 'a', x: [1, 2], y: [3, 4], errorY: [0.1, 0.2], color: '#112233' }],
    });
    assert.deepEqual(traces(fig)[0].error_y, { type: 'data', array: [0.1, 0.2], visible: true, color: '#112233' });
  });
  test('a spread band is two borderless traces filled between, drawn before its line and hidden from the legend', () => {
    const fig = lineChart({
      title: 'T',
      provenance: 'measured',
      series: [{ name: 'a', x: [1, 2], y: [3, 4], band: { lower: [2, 3], upper: [4, 5] }, color: '#ff0000' }],
    });
    const [upper, lower, line] = traces(fig);
    assert.deepEqual(upper.y, [4, 5]);
    assert.deepEqual(lower.y, [2, 3]);
    assert.equal(lower.fill, 'tonexty');
    assert.equal(lower.fillcolor, 'rgba(255, 0, 0, 0.2)');
    assert.equal(upper.showlegend, false);
    assert.equal(line.name, 'a');
    assert.equal(line.legendgroup, upper.legendgroup);
  });
  test('refuses mismatched lengths, negative error bars, inverted bands, empty series and a missing provenance', () => {
    assert.throws(
      () => lineChart({ title: 'T', provenance: 'measured', series: [{ name: 'a', x: [1, 2], y: [1] }] }),
      invalid('series[0].y.length'),
    );
    assert.throws(
      () => lineChart({ title: 'T', provenance: 'measured', series: [{ name: 'a', x: [1], y: [1], errorY: [-1] }] }),
      invalid('series[0].errorY[0]'),
    );
    assert.throws(
      () =>
        lineChart({
          title: 'T',
          provenance: 'measured',
          series: [{ name: 'a', x: [1], y: [1], band: { lower: [2], upper: [1] } }],
        }),
      invalid('series[0].band.lower[0]'),
    );
    assert.throws(() => lineChart({ title: 'T', provenance: 'measured', series: [] }), invalid('series'));
    assert.throws(
      () => lineChart({ title: 'T', series: [{ name: 'a', x: [1], y: [1] }] } as never),
      invalid('provenance'),
    );
  });
  test('log axes are set on request', () => {
    const fig = lineChart({ title: 'T', provenance: 'measured', logX: true, series: [{ name: 'a', x: [1], y: [1] }] });
    assert.equal(fig.layout.xaxis?.type, 'log');
    assert.equal(fig.layout.yaxis?.type, 'linear');
  });
});

describe('scatterChart', () => {
  const points = [
    { x: 120.5, y: 0.91, method: 'DDIM', steps: 50, timeMs: 120.5, quality: 0.91 },
    { x: 12.25, y: 0.8, method: 'DDIM', steps: 4, timeMs: 12.25, quality: 0.8 },
    { x: 3.5, y: 0.85, method: 'LCM <fast>', steps: 1, note: 'seed 7' },
  ];
  test('groups runs into one trace per method, in order of first appearance', () => {
    const fig = scatterChart({ title: 'Runs', provenance: 'measured', points });
    assert.deepEqual(
      traces(fig).map((t) => t.name),
      ['DDIM', 'LCM <fast>'],
    );
    assert.deepEqual(traces(fig)[0].x, [120.5, 12.25]);
    assert.deepEqual(traces(fig)[0].text, ['50', '4']);
  });
  test('the hover box shows method, steps, time and quality from customdata', () => {
    const fig = scatterChart({ title: 'Runs', provenance: 'measured', points, qualityName: 'PSNR (dB)' });
    const t = traces(fig)[0];
    assert.match(
      t.hovertemplate,
      /%\{customdata\[0\]\}.*steps: %\{customdata\[1\]\}.*time: %\{customdata\[2\]\}.*PSNR \(dB\): %\{customdata\[3\]\}/,
    );
    assert.deepEqual(t.customdata[0], ['DDIM', 50, '120.5 ms', 0.91, '']);
    const lcm = traces(fig)[1];
    assert.deepEqual(lcm.customdata[0], ['LCM &lt;fast&gt;', 1, 'n/a', 'n/a', '<br>seed 7']);
  });
  test('refuses a point without a method or with a non-finite coordinate', () => {
    assert.throws(
      () => scatterChart({ title: 'T', provenance: 'measured', points: [{ x: 1, y: 2, steps: 1 } as never] }),
      invalid('points[0].method'),
    );
    assert.throws(
      () =>
        scatterChart({ title: 'T', provenance: 'measured', points: [{ x: Infinity, y: 2, steps: 1, method: 'm' }] }),
      invalid('points[0].x'),
    );
    assert.throws(() => scatterChart({ title: 'T', provenance: 'measured', points: [] }), invalid('points'));
  });
});

describe('paretoChart', () => {
  const points = [
    { x: 1, y: 5, label: 'a' },
    { x: 2, y: 2, label: 'b' },
    { x: 3, y: 4, label: 'c' },
    { x: 4, y: 1, label: 'd' },
  ];
  test('draws all points, the front sorted by x, and the knee as a star', () => {
    const fig = paretoChart({
      title: 'P',
      provenance: 'published',
      source: 'paper',
      points,
      frontIndices: [3, 0, 1],
      kneeIndex: 1,
    });
    const [all, front, knee] = traces(fig);
    assert.deepEqual(all.x, [1, 2, 3, 4]);
    assert.deepEqual(front.x, [1, 2, 4]);
    assert.deepEqual(front.y, [5, 2, 1]);
    assert.deepEqual(front.text, ['a', 'b', 'd']);
    assert.equal(knee.marker.symbol, 'star');
    assert.deepEqual([knee.x, knee.y], [[2], [2]]);
    assert.match(titleText(fig), /published: paper/);
  });
  test('a staircase front uses horizontal-then-vertical steps', () => {
    const fig = paretoChart({ title: 'P', provenance: 'measured', points, frontIndices: [0], staircase: true });
    assert.equal(traces(fig)[1].line.shape, 'hv');
    assert.equal(traces(fig).length, 2, 'no knee trace without kneeIndex');
  });
  test('refuses out-of-range or repeated front indices and an out-of-range knee', () => {
    assert.throws(
      () => paretoChart({ title: 'P', provenance: 'measured', points, frontIndices: [4] }),
      invalid('frontIndices[0]'),
    );
    assert.throws(
      () => paretoChart({ title: 'P', provenance: 'measured', points, frontIndices: [1, 1] }),
      invalid('frontIndices[1]'),
    );
    assert.throws(
      () => paretoChart({ title: 'P', provenance: 'measured', points, frontIndices: [1], kneeIndex: -1 }),
      invalid('kneeIndex'),
    );
  });
});

describe('groupedBarChart', () => {
  test('one bar trace per group over the same categories, in group mode', () => {
    const fig = groupedBarChart({
      title: 'Time per image',
      provenance: 'measured',
      categories: ['1 step', '4 steps'],
      groups: [
        { name: 'CPU', values: [10, 40], errors: [1, 2] },
        { name: 'CUDA', values: [1, NaN] },
      ],
    });
    assert.equal(fig.layout.barmode, 'group');
    assert.deepEqual(
      traces(fig).map((t) => t.type),
      ['bar', 'bar'],
    );
    assert.deepEqual(traces(fig)[0].x, ['1 step', '4 steps']);
    assert.deepEqual(traces(fig)[0].error_y.array, [1, 2]);
    assert.deepEqual(traces(fig)[1].y, [1, null]);
  });
  test('refuses values that do not match the categories', () => {
    assert.throws(
      () =>
        groupedBarChart({
          title: 'T',
          provenance: 'measured',
          categories: ['a', 'b'],
          groups: [{ name: 'g', values: [1] }],
        }),
      invalid('groups[0].values.length'),
    );
  });
});

describe('heatmapChart', () => {
  test('copies the matrix row by row with labels, gaps for NaN and cell values on request', () => {
    const fig = heatmapChart({
      title: 'H',
      provenance: 'simulation',
      z: [new Float64Array([1, 2]), [3, NaN]],
      x: ['cfg 1', 'cfg 2'],
      y: [1, 4],
      zTitle: 'FID',
      valueFormat: '.1f',
    });
    const t = traces(fig)[0];
    assert.equal(t.type, 'heatmap');
    assert.deepEqual(t.z, [
      [1, 2],
      [3, null],
    ]);
    assert.deepEqual(t.x, ['cfg 1', 'cfg 2']);
    assert.equal(t.texttemplate, '%{z:.1f}');
    assert.deepEqual(t.colorbar, { title: { text: 'FID' } });
    assert.equal(fig.layout.xaxis?.type, 'category');
  });
  test('refuses ragged rows and labels of the wrong length', () => {
    assert.throws(
      () => heatmapChart({ title: 'H', provenance: 'simulation', z: [[1, 2], [3]] }),
      invalid('z[1].length'),
    );
    assert.throws(() => heatmapChart({ title: 'H', provenance: 'simulation', z: [[1, 2]], x: ['a'] }), invalid('x'));
  });
});
