import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Module from 'node:module';
import { PLOTLY_MIME } from '../../src/plots/bundle.js';
import { lineChart } from '../../src/plots/lineChart.js';
import {
  inNotebook,
  resendPlotlyLibrary,
  showFigure,
  showMarkdown,
  showPng,
  showTable,
} from '../../src/plots/notebook.js';

const fig = lineChart({ title: 'T', provenance: 'measured', series: [{ name: 'a', x: [1, 2], y: [3, 4] }] });
const png = Buffer.from('89504e470d0a1a0a0000000d494844520000000100000001080600000000000000', 'hex');
const fakeRoot = '/nonexistent/fewstep-test/node_modules/tslab/dist/';

/** Puts a fake tslab module into require.cache, as a running kernel would have loaded it. */
function fakeTslabModule(name: string, exports: unknown): void {
  const file = fakeRoot + name + '.js';
  const m = new Module(file);
  m.filename = file;
  m.loaded = true;
  m.exports = exports;
  require.cache[file] = m;
}

afterEach(() => {
  for (const name of ['jupyter', 'public']) delete require.cache[fakeRoot + name + '.js'];
  resendPlotlyLibrary();
});

describe('outside a kernel', () => {
  test('nothing is sent and the bundle that would be sent is returned', () => {
    assert.equal(inNotebook(), false);
    const b = showFigure(fig, { includeLibrary: false });
    assert.ok(b);
    assert.deepEqual(Object.keys(b.data).sort(), [PLOTLY_MIME, 'text/html', 'text/plain'].sort());
    assert.equal(showPng(png)?.data['text/plain'], '[PNG image 1x1]');
    assert.equal(showMarkdown('x')?.data['text/markdown'], 'x');
    assert.match(
      showTable([{ a: 1 }], ['a'], { provenance: 'simulation' })?.data['text/plain'] as string,
      /^\[SIMULATION, not measured\]\na\n-\n1$/,
    );
  });
  test('the library is not marked as sent, so the first figure shown in a kernel still carries it', () => {
    const first = showFigure(fig);
    const second = showFigure(fig);
    assert.ok((first!.data['text/html'] as string).length > 4_000_000);
    assert.ok((second!.data['text/html'] as string).length > 4_000_000);
  });
});

describe('in a tslab kernel', () => {
  test('showFigure sends ONE display_data with Plotly JSON, HTML and text, and returns undefined', () => {
    const sent: { content: { data: Record<string, unknown> }; update: boolean }[] = [];
    fakeTslabModule('jupyter', {
      lastWriteDisplayData: (content: { data: Record<string, unknown> }, update: boolean) =>
        sent.push({ content, update }),
    });
    assert.equal(inNotebook(), true);
    assert.equal(showFigure(fig), undefined);
    assert.equal(sent.length, 1);
    assert.equal(sent[0].update, false);
    assert.deepEqual(Object.keys(sent[0].content.data).sort(), [PLOTLY_MIME, 'text/html', 'text/plain'].sort());
  });
  test('plotly.js lives in one output at a time: the first figure of each cell execution carries it, the previous carrier drops it', () => {
    type Sent = { content: { data: Record<string, unknown>; transient?: { display_id: string } }; update: boolean };
    const sent: Sent[] = [];
    // tslab makes a new writer for each execute request: a new function = a new cell execution.
    const cell = () => (content: Sent['content'], update: boolean) => sent.push({ content, update });
    const big = (s: Sent) => (s.content.data['text/html'] as string).length > 4_000_000;
    const cellA = cell();
    fakeTslabModule('jupyter', { lastWriteDisplayData: cellA });
    showFigure(fig);
    showFigure(fig);
    assert.deepEqual(sent.map(big), [true, false], 'one copy per cell execution');
    const firstId = sent[0].content.transient?.display_id;
    assert.ok(firstId, 'the carrier has a display id, so it can be updated');
    assert.equal(sent[1].content.transient, undefined);
    // Re-running a chart cell (or running another one): the new output carries the library and the old one is slimmed.
    fakeTslabModule('jupyter', { lastWriteDisplayData: cell() });
    showFigure(fig);
    assert.equal(sent.length, 4);
    assert.equal(big(sent[2]), true);
    assert.equal(sent[2].update, false);
    assert.deepEqual([sent[3].update, sent[3].content.transient?.display_id, big(sent[3])], [true, firstId, false]);
    assert.match(
      sent[3].content.data['text/html'] as string,
      new RegExp(`<div id="${firstId}"`),
      'the old output still draws its own figure',
    );
  });
  test('resendPlotlyLibrary sends the library at once in a kernel and drops the earlier copy', () => {
    type Sent = { content: { data: Record<string, unknown>; transient?: { display_id: string } }; update: boolean };
    const sent: Sent[] = [];
    fakeTslabModule('jupyter', {
      lastWriteDisplayData: (content: Sent['content'], update: boolean) => sent.push({ content, update }),
    });
    showFigure(fig);
    fakeTslabModule('jupyter', {
      lastWriteDisplayData: (content: Sent['content'], update: boolean) => sent.push({ content, update }),
    });
    assert.equal(resendPlotlyLibrary(), undefined);
    assert.equal(sent.length, 3);
    assert.ok((sent[1].content.data['text/html'] as string).length > 4_000_000);
    assert.match(sent[1].content.data['text/html'] as string, /plotly\.js, sent once per kernel session by fewstep/);
    assert.deepEqual(
      [sent[2].update, sent[2].content.transient?.display_id],
      [true, sent[0].content.transient?.display_id],
    );
    showFigure(fig);
    assert.ok((sent[3].content.data['text/html'] as string).length < 100_000, 'the same cell already carries it');
  });
  test('resendPlotlyLibrary outside a kernel makes the next figure carry the library', () => {
    assert.match(resendPlotlyLibrary() ?? '', /next figure/);
  });
  test('with a tslab writer that cannot be told apart per cell, plotly.js goes with the first figure of the session only', () => {
    const html: string[] = [];
    fakeTslabModule('jupyter', { lastWriteDisplayData: null });
    fakeTslabModule('public', { display: { html: (s: string) => html.push(s), png() {}, markdown() {}, text() {} } });
    showFigure(fig);
    showFigure(fig);
    assert.deepEqual(
      html.map((h) => h.length > 4_000_000),
      [true, false],
    );
  });
  test('the same figure shown twice gets two different divs', () => {
    const ids: string[] = [];
    fakeTslabModule('jupyter', {
      lastWriteDisplayData: (c: { data: Record<string, unknown> }) =>
        ids.push(/<div id="([^"]+)"/.exec(c.data['text/html'] as string)![1]),
    });
    showFigure(fig, { includeLibrary: false });
    showFigure(fig, { includeLibrary: false });
    assert.notEqual(ids[0], ids[1]);
  });
  test('PNG, markdown and tables go through the same writer with their text twins', () => {
    // (markdown's text/plain reads as text: see bundle.test.ts)
    const data: Record<string, unknown>[] = [];
    fakeTslabModule('jupyter', { lastWriteDisplayData: (c: { data: Record<string, unknown> }) => data.push(c.data) });
    assert.equal(showPng(png), undefined);
    assert.equal(showMarkdown('**x**'), undefined);
    assert.equal(showTable([[1]], ['n'], { provenance: 'formula' }), undefined);
    assert.deepEqual(
      data.map((d) => Object.keys(d).sort()),
      [
        ['image/png', 'text/plain'],
        ['text/markdown', 'text/plain'],
        ['text/html', 'text/plain'],
      ],
    );
  });
  test('without the internal writer, falls back to tslab.display.html (figure still drawn by its HTML)', () => {
    const html: string[] = [];
    const pngs: Uint8Array[] = [];
    fakeTslabModule('jupyter', { lastWriteDisplayData: null });
    fakeTslabModule('public', {
      display: { html: (s: string) => html.push(s), png: (b: Uint8Array) => pngs.push(b), markdown() {}, text() {} },
    });
    assert.equal(showFigure(fig, { includeLibrary: false }), undefined);
    assert.equal(showPng(png), undefined);
    assert.equal(html.length, 1);
    assert.match(html[0], /window\.Plotly/);
    assert.deepEqual(Buffer.from(pngs[0]), png);
  });
  test('when tslab refuses (no cell executing), the bundle is returned as outside a kernel', () => {
    fakeTslabModule('jupyter', {
      lastWriteDisplayData: () => {
        throw new Error('Not ready');
      },
    });
    assert.ok(showMarkdown('x'));
  });
});
