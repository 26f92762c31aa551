import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { figureBundle } from '../../src/plots/bundle.js';
import type { Notebook, NotebookOutput } from '../../src/runner/notebookFile.js';
import { renderLectureIndex } from '../../src/lecture/indexPage.js';
import { MarkdownRenderer, type RenderWarning } from '../../src/lecture/markdown.js';
import { renderOutputs, stripPlotlyLibrary } from '../../src/lecture/outputs.js';
import { notebookTitle, pagePathFor, prefixToRoot, renderNotebookPage } from '../../src/lecture/page.js';

const figure = { data: [{ type: 'scatter' as const, x: [1, 2], y: [3, 4] }], layout: { title: { text: 'T' } } };
const PNG_1x1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

function ctx() {
  const warnings: RenderWarning[] = [];
  return { markdown: new MarkdownRenderer(), warnings, figureIds: { next: 1 } };
}

function notebook(cells: Notebook['cells']): Notebook {
  return { nbformat: 4, nbformat_minor: 5, metadata: {}, cells };
}

describe('lecture page: outputs', () => {
  test('stream text is escaped, colour codes removed, and consecutive chunks of one stream joined', () => {
    const c = ctx();
    const out = renderOutputs(
      [
        { output_type: 'stream', name: 'stdout', text: '<script>alert(1)</script>\n' },
        { output_type: 'stream', name: 'stdout', text: ['a & b', '\n'] },
        { output_type: 'stream', name: 'stderr', text: '\u001b[31mwarn\u001b[0m' },
      ],
      c,
      'cell 1',
    );
    assert.equal(out.length, 2);
    assert.equal(
      out[0].html,
      '<pre class="out stream stdout">&lt;script&gt;alert(1)&lt;/script&gt;\na &amp; b\n</pre>',
    );
    assert.equal(out[1].html, '<pre class="out stream stderr">warn</pre>');
  });

  test('text/html is inserted as it is; text/plain alone is escaped', () => {
    const c = ctx();
    const [html, plain] = renderOutputs(
      [
        {
          output_type: 'display_data',
          data: { 'text/html': '<table><tr><td>1</td></tr></table>', 'text/plain': 'x' },
          metadata: {},
        },
        { output_type: 'execute_result', data: { 'text/plain': '<b>not bold</b>' }, metadata: {}, execution_count: 1 },
      ],
      c,
      'cell 1',
    );
    assert.match(html.html, /<table><tr><td>1<\/td><\/tr><\/table>/);
    assert.equal(plain.html, '<pre class="out plain">&lt;b&gt;not bold&lt;/b&gt;</pre>');
  });

  test('a PNG becomes a data URI image with its display width and its text/plain as alt text', () => {
    const [img] = renderOutputs(
      [
        {
          output_type: 'display_data',
          data: { 'image/png': PNG_1x1 + '\n', 'text/plain': '[PNG "1x1"]' },
          metadata: { 'image/png': { width: 128 } },
        },
      ],
      ctx(),
      'cell 1',
    );
    assert.equal(img.shown, 'image/png');
    assert.equal(
      img.html,
      `<div class="out rich image"><img src="data:image/png;base64,${PNG_1x1}" width="128" alt="[PNG &quot;1x1&quot;]"></div>`,
    );
  });

  test('image data that is not base64 is reported and the next representation shown', () => {
    const c = ctx();
    const [out] = renderOutputs(
      [{ output_type: 'display_data', data: { 'image/png': '"><script>', 'text/plain': 'fallback' }, metadata: {} }],
      c,
      'cell 2',
    );
    assert.equal(out.html, '<pre class="out plain">fallback</pre>');
    assert.match(c.warnings[0].message, /not base64/);
    assert.equal(c.warnings[0].where, 'cell 2, output 0');
  });

  test('a Plotly bundle shows its HTML fallback, without the embedded plotly.js library', () => {
    const bundle = figureBundle(figure, { includeLibrary: true, divId: 'p1' });
    const html = bundle.data['text/html'] as string;
    assert.ok(html.length > 1_000_000, 'the bundle carries plotly.js');
    const [out] = renderOutputs([{ output_type: 'display_data', data: bundle.data, metadata: {} }], ctx(), 'cell 3');
    assert.equal(out.plotly, true);
    assert.ok(out.html.length < 5_000, `page output is ${out.html.length} characters`);
    assert.match(out.html, /<div id="p1" class="fewstep-plotly"/);
    assert.match(out.html, /Plotly\.newPlot|P\.newPlot/);
  });

  test('Plotly JSON without an HTML fallback is drawn by a generated div and script', () => {
    const c = ctx();
    const [a] = renderOutputs(
      [
        {
          output_type: 'display_data',
          data: { 'application/vnd.plotly.v1+json': figure, 'text/plain': 'fig' },
          metadata: {},
        },
      ],
      c,
      'cell 3',
    );
    const [b] = renderOutputs(
      [{ output_type: 'display_data', data: { 'application/vnd.plotly.v1+json': figure }, metadata: {} }],
      c,
      'cell 4',
    );
    assert.match(a.html, /<div id="fewstep-lecture-plot-1" class="fewstep-plotly"/);
    assert.match(b.html, /<div id="fewstep-lecture-plot-2" class="fewstep-plotly"/, 'ids are unique on the page');
  });

  test('stripPlotlyLibrary removes only library-sized scripts carrying plotly.js, not figure scripts', () => {
    const lib = `/**\n* plotly.js v3.7.0\n*/\n${'x'.repeat(200_000)}`;
    const small = '<script>window.Plotly && 1</script>';
    const { html, removed } = stripPlotlyLibrary(
      `<script type="text/javascript">${lib}</script>${small}<script>${'y'.repeat(200_000)}</script>`,
    );
    assert.equal(removed, 1);
    assert.ok(html.startsWith('<!-- plotly.js: loaded once by the page -->' + small));
    assert.ok(html.includes('y'.repeat(1000)), 'a big script that is not plotly.js stays');
  });

  test('error outputs show the traceback escaped, without colour codes', () => {
    const [err] = renderOutputs(
      [
        {
          output_type: 'error',
          ename: 'TypeError',
          evalue: 'x <is> undefined',
          traceback: ['\u001b[31mTypeError\u001b[0m: x <is> undefined', '  at cell'],
        },
      ],
      ctx(),
      'cell 1',
    );
    assert.equal(err.html, '<pre class="out error">TypeError: x &lt;is&gt; undefined\n  at cell</pre>');
  });

  test('markdown and LaTeX outputs are rendered, with math', () => {
    const [m, l] = renderOutputs(
      [
        { output_type: 'display_data', data: { 'text/markdown': '**bold** $x$' }, metadata: {} },
        { output_type: 'display_data', data: { 'text/latex': '$$\\alpha$$' }, metadata: {} },
      ],
      ctx(),
      'cell 1',
    );
    assert.match(m.html, /<strong>bold<\/strong> <span class="katex">/);
    assert.match(l.html, /class="katex-display"/);
  });

  test('an output with no MIME type the page knows is named, escaped, and reported', () => {
    const c = ctx();
    const [out] = renderOutputs(
      [{ output_type: 'display_data', data: { 'application/x-<weird>': 1 }, metadata: {} }],
      c,
      'cell 1',
    );
    assert.equal(out.html, '<p class="out missing">(output of type application/x-&lt;weird&gt; not shown)</p>');
    assert.equal(c.warnings.length, 1);
  });
});

describe('lecture page: the notebook page', () => {
  const nb = notebook([
    { cell_type: 'markdown', source: ['# 01 - How diffusion works\n', '\n', 'The schedule $\\beta_t$.'], metadata: {} },
    {
      cell_type: 'code',
      source: 'const a: Array<number> = [1];\nconsole.log("<hi>");',
      metadata: {},
      execution_count: 1,
      outputs: [{ output_type: 'stream', name: 'stdout', text: '<hi>\n' }],
    },
    { cell_type: 'raw', source: 'RAW <raw>', metadata: {} },
    { cell_type: 'code', source: '', metadata: {}, execution_count: null, outputs: [] },
    {
      cell_type: 'code',
      source: 'show()',
      metadata: {},
      execution_count: 2,
      outputs: [
        {
          output_type: 'display_data',
          data: figureBundle(figure, { includeLibrary: true, divId: 'p9' }).data,
          metadata: {},
        } as NotebookOutput,
      ],
    },
  ]);

  test('title from the first heading, else the file name', () => {
    assert.equal(notebookTitle(nb, '01-diffusion.ipynb'), '01 - How diffusion works');
    assert.equal(notebookTitle(notebook([]), 'solutions/07-ex.ipynb'), '07-ex');
  });

  test('page paths mirror the notebook paths, and assets are linked relative to the page', () => {
    assert.equal(pagePathFor('01-diffusion.ipynb'), '01-diffusion.html');
    assert.equal(pagePathFor('solutions/07-ex.ipynb'), 'solutions/07-ex.html');
    assert.equal(prefixToRoot('01.ipynb'), '');
    assert.equal(prefixToRoot('solutions/07.ipynb'), '../');
    const page = renderNotebookPage(nb, { relative: 'solutions/01-diffusion.ipynb' });
    assert.match(page.html, /<script src="\.\.\/assets\/plotly\.min\.js"><\/script>/);
    assert.match(page.html, /<link rel="stylesheet" href="\.\.\/assets\/katex\/katex\.min\.css">/);
    assert.match(page.html, /<a href="\.\.\/index\.html">/);
  });

  test('code is shown escaped with its execution count and time; raw and empty cells are left out; counts are reported', () => {
    const page = renderNotebookPage(nb, {
      relative: '01-diffusion.ipynb',
      cellMs: [undefined, 1234, undefined, undefined, 80],
      totalMs: 5000,
      generatedAt: new Date('2026-01-02T03:04:05.678Z'),
    });
    assert.match(page.html, /<title>01 - How diffusion works<\/title>/);
    assert.match(page.html, /const a: Array&lt;number&gt; = \[1\];\nconsole\.log\(&quot;&lt;hi&gt;&quot;\);/);
    assert.match(page.html, /\[1\] 1\.2 s/);
    assert.match(page.html, /<pre class="out stream stdout">&lt;hi&gt;\n<\/pre>/);
    assert.ok(!page.html.includes('RAW'), 'raw cells are not shown');
    assert.match(page.html, /2 code cells · ran in 5\.0 s/);
    assert.match(page.html, /page written 2026-01-02T03:04:05Z/);
    assert.deepEqual(
      { plots: page.plots, images: page.images, math: page.math, codeCells: page.codeCells },
      { plots: 1, images: 0, math: 1, codeCells: 2 },
    );
    assert.ok(page.html.length < 20_000, 'no embedded plotly.js');
    assert.deepEqual(page.warnings, []);
  });

  test('rendering warnings are listed at the top of the page, escaped', () => {
    const bad = notebook([{ cell_type: 'markdown', source: 'bad $\\frac{<x>$', metadata: {} }]);
    const page = renderNotebookPage(bad, { relative: 'x.ipynb' });
    assert.equal(page.warnings.length, 1);
    assert.match(page.html, /<aside class="warnings">[\s\S]*<li>cell 0: TeX not rendered: [^<]*&lt;x&gt;/);
  });
});

describe('lecture page: the index', () => {
  test('one row per notebook: linked title, time, cells, size, status; failures show their error escaped; not-run rows have no link', () => {
    const html = renderLectureIndex(
      [
        {
          relative: '01-a.ipynb',
          page: '01-a.html',
          title: 'A <intro>',
          status: 'ok',
          totalMs: 12_300,
          codeCells: 9,
          bytes: 45_000,
        },
        { relative: '02-b.ipynb', title: '02-b', status: 'failed', totalMs: 800, detail: 'cell 3 failed: <boom>' },
        { relative: '03-c.ipynb', title: '03-c', status: 'not run' },
      ],
      { totalMs: 13_100, generatedAt: new Date('2026-01-02T03:04:05Z') },
    );
    assert.match(html, /<a href="01-a\.html">A &lt;intro&gt;<\/a>/);
    assert.match(
      html,
      /<td class="num">12\.3 s<\/td><td class="num">9<\/td><td class="num">44 KB<\/td><td><span class="status-ok">ok<\/span>/,
    );
    assert.match(
      html,
      /<span class="status-failed">failed<\/span><details><summary>error<\/summary><pre>cell 3 failed: &lt;boom&gt;<\/pre>/,
    );
    assert.match(
      html,
      /<td>03-c<br><code>03-c\.ipynb<\/code><\/td>[\s\S]*?<span class="status-not-run">not run<\/span>/,
    );
    assert.match(html, /1 of 3 notebooks ran in 13\.1 s\./);
  });
});
