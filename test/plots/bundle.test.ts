import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import { InvalidArgumentError } from '../../src/core/errors.js';
import {
  PLOTLY_MIME,
  figureBundle,
  markdownBundle,
  pngBundle,
  pngSize,
  tableBundle,
  tablesSideBySideBundle,
} from '../../src/plots/bundle.js';
import { lineChart } from '../../src/plots/lineChart.js';
import type { PlotlyFigure } from '../../src/plots/figure.js';

const fig = lineChart({
  title: 'Loss <i>x</i>',
  provenance: 'simulation',
  series: [{ name: 'a </script><script>alert(1)', x: [1, 2], y: [3, 4] }],
});

/** Runs the drawing script of a figure's HTML in a fake browser; Plotly arrives after `plotlyAfterTicks` timer ticks. */
function runDrawingScript(html: string, plotlyAfterTicks: number) {
  const scripts = [...html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  const drawing = scripts[scripts.length - 1];
  const div = { id: /<div id="([^"]+)" class="fewstep-plotly"/.exec(html)![1], textContent: '' };
  const fallback = {
    id: div.id + '-fallback',
    textContent: 'static fallback',
    removed: false,
    parentNode: {
      removeChild: () => {
        fallback.removed = true;
      },
    },
  };
  const calls: unknown[][] = [];
  const timers: (() => void)[] = [];
  const window: Record<string, unknown> = {};
  const context = vm.createContext({
    window,
    document: {
      getElementById: (id: string) => (id === div.id ? div : id === fallback.id && !fallback.removed ? fallback : null),
    },
    setTimeout: (f: () => void) => timers.push(f),
  });
  vm.runInContext(drawing, context);
  for (let tick = 0; tick < 1000 && timers.length > 0; tick++) {
    if (tick === plotlyAfterTicks) window.Plotly = { newPlot: (...args: unknown[]) => calls.push(args) };
    timers.shift()!();
  }
  return { calls, div, fallback };
}

describe('figureBundle', () => {
  test('is one output carrying the Plotly JSON, an HTML drawing and a text line', () => {
    const b = figureBundle(fig);
    assert.deepEqual(Object.keys(b.data).sort(), [PLOTLY_MIME, 'text/html', 'text/plain'].sort());
    const json = b.data[PLOTLY_MIME] as PlotlyFigure;
    assert.deepEqual(json.data, JSON.parse(JSON.stringify(fig.data)));
    assert.equal((json.layout.title as { text: string }).text, (fig.layout.title as { text: string }).text);
    assert.equal(
      b.data['text/plain'],
      '[Plotly figure] Loss x - SIMULATION, not measured (1 trace)\n  a alert(1): scatter, 2 points; x 1..2; y 3..4',
    );
  });
  test('is a pure function of the figure: the same figure gives the same bundle, another figure another div id', () => {
    assert.deepEqual(figureBundle(fig), figureBundle(fig));
    const other = lineChart({ title: 'Other', provenance: 'measured', series: [{ name: 'a', x: [1], y: [1] }] });
    const id = (h: unknown) => /<div id="([^"]+)" class="fewstep-plotly"/.exec(h as string)![1];
    assert.notEqual(id(figureBundle(fig).data['text/html']), id(figureBundle(other).data['text/html']));
  });
  test('typed arrays in a hand-made figure become JSON arrays', () => {
    const b = figureBundle({
      data: [{ type: 'scatter', x: new Float32Array([1, 2]), y: new Int16Array([3, 4]) }],
      layout: {},
    });
    assert.deepEqual((b.data[PLOTLY_MIME] as { data: { x: unknown }[] }).data[0].x, [1, 2]);
  });
  test('text in the figure cannot close the script tag', () => {
    const html = figureBundle(fig).data['text/html'] as string;
    assert.equal(html.match(/<\/script>/g)?.length, 1, 'only the script tag itself closes');
  });
  test('the HTML draws the figure with window.Plotly, waiting for the library if it is still loading', () => {
    const { calls } = runDrawingScript(figureBundle(fig).data['text/html'] as string, 5);
    assert.equal(calls.length, 1);
    const [, data, layout, config] = calls[0] as [
      unknown,
      unknown,
      { title: { text: string } },
      { responsive: boolean },
    ];
    // The objects come from another realm (the vm context): compare them as JSON.
    assert.equal(JSON.stringify(data), JSON.stringify(fig.data));
    assert.match(layout.title.text, /SIMULATION/);
    assert.equal(config.responsive, true);
  });
  test('the HTML says how to get plotly.js back (fs.resendPlotlyLibrary()) if it never arrives, and keeps looking', () => {
    const { calls, fallback } = runDrawingScript(figureBundle(fig).data['text/html'] as string, Infinity);
    assert.equal(calls.length, 0);
    assert.equal(fallback.removed, false);
    assert.match(fallback.textContent, /plotly\.js did not load.*fs\.resendPlotlyLibrary\(\)/);
    const late = runDrawingScript(figureBundle(fig).data['text/html'] as string, 700);
    assert.equal(late.calls.length, 1, 'a library sent after the message still draws the figure');
    assert.equal(late.fallback.removed, true);
  });
  test('without running its script (an untrusted notebook) the HTML shows the title, the traces and how to trust', () => {
    const html = figureBundle(fig).data['text/html'] as string;
    // What a sanitizer leaves: the markup without scripts and styles.
    const visible = html
      .replace(/<script[\s\S]*?<\/script>/g, '')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ');
    assert.match(visible, /chart: Loss x - SIMULATION, not measured/);
    assert.match(visible, /File &gt; Trust Notebook/);
    assert.match(visible, /scatter, 2 points; x 1\.\.2; y 3\.\.4/);
  });
  test('once drawn, the fallback is removed', () => {
    const { calls, fallback } = runDrawingScript(figureBundle(fig).data['text/html'] as string, 0);
    assert.equal(calls.length, 1);
    assert.equal(fallback.removed, true);
  });
  test('the library script does not evaluate plotly.js again when the page already has it', () => {
    const html = figureBundle(fig, { includeLibrary: true }).data['text/html'] as string;
    const lib = /^<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)![1];
    const existing = { newPlot() {} };
    const window: Record<string, unknown> = { Plotly: existing };
    vm.runInContext(lib, vm.createContext({ window, self: window }));
    assert.equal(window.Plotly, existing);
  });
  test('carries plotly.js only when asked, as a script before the figure', () => {
    const without = figureBundle(fig).data['text/html'] as string;
    const withLib = figureBundle(fig, { includeLibrary: true }).data['text/html'] as string;
    assert.ok(without.length < 10_000);
    assert.ok(withLib.length > 4_000_000);
    assert.match(withLib, /^<script type="text\/javascript">[^\n]*\n[^\n]*\n\/\*\*\n\* plotly\.js v3\./);
    assert.ok(withLib.indexOf('window.Plotly = Plotly') < withLib.indexOf('<div id='));
  });
  test('refuses a non-figure, a bad div id and a bad height', () => {
    assert.throws(
      () => figureBundle({} as PlotlyFigure),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'figure',
    );
    assert.throws(
      () => figureBundle(fig, { divId: 'x"><script>' }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'divId',
    );
    assert.throws(
      () => figureBundle(fig, { height: '1;color:red' }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'height',
    );
  });
});

describe('markdownBundle', () => {
  test('its text/plain reads as text (what an untrusted notebook shows): no emphasis marks, links spelled out, math kept', () => {
    const b = markdownBundle(
      '## Result\n\n**LCM** at 4 steps is *faster* than `DDIM` ([paper](https://arxiv.org/abs/2310.04378)); $x_t$ kept.\n* item',
    );
    assert.equal(
      b.data['text/markdown'],
      '## Result\n\n**LCM** at 4 steps is *faster* than `DDIM` ([paper](https://arxiv.org/abs/2310.04378)); $x_t$ kept.\n* item',
    );
    assert.equal(
      b.data['text/plain'],
      'Result\n------\n\nLCM at 4 steps is faster than DDIM (paper (https://arxiv.org/abs/2310.04378)); $x_t$ kept.\n- item',
    );
  });
});

describe('tableBundle', () => {
  test('renders objects by column name as an escaped HTML table and an aligned text table', () => {
    const b = tableBundle(
      [
        { method: 'DDIM', steps: 50, ms: 123.456789 },
        { method: 'LCM <1>', steps: 4, ms: 9.5 },
      ],
      ['method', 'steps', 'ms'],
      { provenance: 'published', source: 'Paper 2024' },
    );
    const html = b.data['text/html'] as string;
    assert.match(html, /<th>method<\/th><th style="text-align:right">steps<\/th>/);
    assert.match(
      html,
      /<td>LCM &lt;1&gt;<\/td><td style="text-align:right">4<\/td><td style="text-align:right">9.5<\/td>/,
    );
    assert.equal(
      b.data['text/plain'],
      [
        '[published: Paper 2024]',
        'method   steps     ms',
        '-------  -----  -----',
        'DDIM        50  123.5',
        'LCM <1>      4    9.5',
      ].join('\n'),
    );
  });
  test('reads array rows by position and prints the provenance line, then the caption', () => {
    const b = tableBundle([[1, 'x']], ['n', 's'], {
      provenance: 'formula',
      source: 'c_skip = 1/(1+s^2)',
      caption: 'the <scalings>',
    });
    const html = b.data['text/html'] as string;
    assert.match(html, /<table class="fewstep-table" data-provenance="formula">/);
    assert.match(
      html,
      /<caption><span class="fewstep-provenance">formula: c_skip = 1\/\(1\+s\^2\) \(computed, nothing measured\)<\/span><br>the &lt;scalings&gt;<\/caption>/,
    );
    assert.match(
      b.data['text/plain'] as string,
      /^\[formula: c_skip = 1\/\(1\+s\^2\) \(computed, nothing measured\)\]\nthe <scalings>\nn  s\n/,
    );
  });
  test('keeps the provenance machine-readable in the metadata: kind, source, date, machine', () => {
    const b = tableBundle([[1]], ['n'], {
      provenance: 'recorded',
      source: 'data/model-eval.json',
      date: '2026-11-26T10:31:32.348Z',
      machine: 'Xeon, 2 cores',
    });
    assert.deepEqual((b.metadata.fewstep as { provenance: unknown }).provenance, {
      provenance: 'recorded',
      source: 'data/model-eval.json',
      date: '2026-11-26T10:31:32.348Z',
      machine: 'Xeon, 2 cores',
      label: 'recorded 2026-11-26 on Xeon, 2 cores: data/model-eval.json',
    });
  });
  test('a table without a provenance, or with an incomplete one, is refused', () => {
    const isInvalid = (field: string) => (e: unknown) => e instanceof InvalidArgumentError && e.field === field;
    assert.throws(() => tableBundle([[1]], ['n'], undefined as never), isInvalid('provenance'));
    assert.throws(
      () => tableBundle([[1]], ['n'], { caption: 'measured on this machine' } as never),
      isInvalid('provenance'),
    );
    assert.throws(
      () => tableBundle([[1]], ['n'], { provenance: 'recorded', source: 'data/x.json', machine: 'm' }),
      isInvalid('date'),
    );
    assert.throws(() => tableBundle([[1]], ['n'], { provenance: 'published' }), isInvalid('source'));
  });
  test('refuses missing columns and bad rows', () => {
    const sim = { provenance: 'simulation' } as const;
    assert.throws(
      () => tableBundle([], [], sim),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'columns',
    );
    assert.throws(
      () => tableBundle([5 as never], ['a'], sim),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'rows[0]',
    );
  });
});

describe('tablesSideBySideBundle', () => {
  test('puts tables next to each other, each opened by its own provenance, kept in the metadata in order', () => {
    const b = tablesSideBySideBundle([
      {
        rows: [{ m: 'LCM', fd: 12.5 }],
        columns: ['m', 'fd'],
        options: { provenance: 'measured', machine: 'box, 2 cores' },
      },
      {
        rows: [{ m: 'LCM', fid: 11.1 }],
        columns: ['m', 'fid'],
        options: { provenance: 'published', source: 'Luo et al. 2023' },
      },
    ]);
    const html = b.data['text/html'] as string;
    assert.match(html, /^<div class="fewstep-side-by-side" style="display:flex/);
    assert.ok(html.indexOf('data-provenance="measured"') < html.indexOf('data-provenance="published"'));
    assert.match(
      b.data['text/plain'] as string,
      /^\[measured now on box, 2 cores\]\n[\s\S]*\n\n\[published: Luo et al\. 2023\]\n/,
    );
    assert.deepEqual(
      (b.metadata.fewstep as { provenance: { provenance: string }[] }).provenance.map((p) => p.provenance),
      ['measured', 'published'],
    );
  });
  test('refuses fewer than two tables, and a table without its provenance', () => {
    const t = { rows: [[1]], columns: ['n'], options: { provenance: 'formula' as const } };
    assert.throws(
      () => tablesSideBySideBundle([t]),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'tables',
    );
    assert.throws(
      () => tablesSideBySideBundle([t, { ...t, options: {} as never }]),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'provenance',
    );
  });
});

describe('pngBundle and markdownBundle', () => {
  // A 1x1 PNG, bytes written out by hand (signature, IHDR width 3 height 2).
  const png = Buffer.from('89504e470d0a1a0a0000000d494844520000000300000002080600000000000000', 'hex');
  test('pngSize reads width and height from the IHDR chunk', () => {
    assert.deepEqual(pngSize(png), { width: 3, height: 2 });
  });
  test('a PNG travels as base64 with a text twin and an optional display width', () => {
    const b = pngBundle(png, 200);
    assert.equal(b.data['image/png'], png.toString('base64'));
    assert.equal(b.data['text/plain'], '[PNG image 3x2]');
    assert.deepEqual(b.metadata['image/png'], { width: 200 });
  });
  test('by default a small image is shown enlarged to a whole multiple >= 256 px (a 64 px image at 256 px), a large one as it is', () => {
    const ihdr = (w: number, h: number) => {
      const b = Buffer.from(png);
      b.writeUInt32BE(w, 16);
      b.writeUInt32BE(h, 20);
      return b;
    };
    assert.deepEqual(pngBundle(ihdr(64, 64)).metadata['image/png'], { width: 256 });
    assert.deepEqual(pngBundle(ihdr(3, 2)).metadata['image/png'], { width: 258 });
    assert.deepEqual(pngBundle(ihdr(100, 50)).metadata['image/png'], { width: 300 });
    assert.deepEqual(pngBundle(ihdr(640, 64)).metadata, {});
  });
  test('bytes that are not a PNG are refused', () => {
    assert.throws(
      () => pngBundle(Buffer.from('GIF89a not a png at all....')),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'png',
    );
  });
  test('markdown travels as text/markdown with a plain twin', () => {
    assert.deepEqual(markdownBundle('# Hi').data, { 'text/markdown': '# Hi', 'text/plain': 'Hi\n===' });
  });
});
