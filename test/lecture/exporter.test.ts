import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { katexCssWoff2Only, writeLectureAssets } from '../../src/lecture/assets.js';
import { exportExecutedLecture, LectureHtmlExporter } from '../../src/lecture/exporter.js';
import type { Notebook } from '../../src/runner/notebookFile.js';

const nb = (title: string): Notebook => ({
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [
    { cell_type: 'markdown', source: `# ${title}\n\n$x$`, metadata: {} },
    {
      cell_type: 'code',
      source: 'console.log(1)',
      metadata: {},
      execution_count: 1,
      outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }],
    },
  ],
});

async function tmp(): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), 'fewstep-lecture-html-'));
}

describe('lecture exporter: assets', () => {
  test('writes plotly.js once, KaTeX CSS with only woff2 fonts (all present), and the stylesheet', async () => {
    const dir = await tmp();
    const files = await writeLectureAssets(dir);
    const rel = files.map((f) => path.relative(dir, f.file).split(path.sep).join('/'));
    assert.ok(rel.includes('assets/plotly.min.js'));
    assert.ok(rel.includes('assets/katex/katex.min.css'));
    assert.ok(rel.includes('assets/lecture.css'));
    const css = await fsp.readFile(path.join(dir, 'assets/katex/katex.min.css'), 'utf8');
    const urls = [...css.matchAll(/url\(([^)]+)\)/g)].map((m) => m[1]);
    assert.ok(urls.length >= 10, `${urls.length} font urls`);
    for (const u of urls) {
      assert.match(u, /^fonts\/[\w-]+\.woff2$/);
      await fsp.access(path.join(dir, 'assets/katex', u));
    }
    const plotly = await fsp.stat(path.join(dir, 'assets/plotly.min.js'));
    assert.ok(plotly.size > 1_000_000);
  });

  test('katexCssWoff2Only drops the woff and ttf fallbacks and keeps the woff2 source', () => {
    const css =
      '@font-face{src:url(fonts/A.woff2) format("woff2"),url(fonts/A.woff) format("woff"),url(fonts/A.ttf) format("truetype")}';
    assert.equal(katexCssWoff2Only(css), '@font-face{src:url(fonts/A.woff2) format("woff2")}');
  });
});

describe('lecture exporter: pages and index', () => {
  test('writes a page per notebook (subfolders kept) and an index listing ok, failed and not-run notebooks; prints what it wrote', async () => {
    const dir = await tmp();
    const lines: string[] = [];
    const ex = new LectureHtmlExporter(dir, (l) => lines.push(l));
    ex.plan([
      { relative: '01-a.ipynb' },
      { relative: '02-b.ipynb' },
      { relative: '03-c.ipynb' },
      { relative: 'solutions/01-a.ipynb' },
    ]);
    await ex.exportResult(
      { notebook: nb('First & one'), cellMs: [undefined, 10], totalMs: 1500 },
      { relative: '01-a.ipynb' },
    );
    ex.recordFailure('02-b.ipynb', new Error('cell 1 failed: boom'));
    await ex.exportNotebook(nb('Solution'), 'solutions/01-a.ipynb');
    const index = await ex.writeIndex(2000);
    assert.equal(index, path.join(dir, 'index.html'));
    const html = await fsp.readFile(index, 'utf8');
    assert.match(html, /<a href="01-a\.html">First &amp; one<\/a>/);
    assert.match(html, /status-failed[\s\S]*cell 1 failed: boom/);
    assert.match(html, /03-c<br>[\s\S]*?not run/);
    assert.match(html, /<a href="solutions\/01-a\.html">Solution<\/a>/);
    const page = await fsp.readFile(path.join(dir, 'solutions', '01-a.html'), 'utf8');
    assert.match(page, /src="\.\.\/assets\/plotly\.min\.js"/);
    assert.deepEqual(
      (await fsp.readdir(dir)).filter((f) => f.endsWith('.tmp')),
      [],
      'no temporary files left',
    );
    assert.match(lines[0], /html: .*assets\/ \(\d+ files, [\d.]+ MB: plotly\.js, KaTeX/);
    assert.ok(
      lines.some((l) => /html: .*01-a\.html \(\d+ KB; 0 charts, 0 images, 1 formula\)/.test(l)),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => /index\.html \(4 notebooks, 2 ok\)/.test(l)),
      lines.join('\n'),
    );
    assert.equal(lines.filter((l) => l.includes('assets/')).length, 1, 'assets are written once');
  });

  test('rendering warnings are printed with the notebook and cell', async () => {
    const dir = await tmp();
    const lines: string[] = [];
    const ex = new LectureHtmlExporter(dir, (l) => lines.push(l));
    const bad: Notebook = { ...nb('T'), cells: [{ cell_type: 'markdown', source: '$\\frac{$', metadata: {} }] };
    await ex.exportNotebook(bad, '05-bad.ipynb');
    assert.ok(
      lines.some((l) => /html warning: 05-bad\.ipynb cell 0: TeX not rendered/.test(l)),
      lines.join('\n'),
    );
  });

  test('exportExecutedLecture turns a folder of executed notebooks into pages and an index without running them', async () => {
    const dir = await tmp();
    await fsp.mkdir(path.join(dir, 'solutions'));
    await fsp.writeFile(path.join(dir, '02-b.ipynb'), JSON.stringify(nb('Bee')));
    await fsp.writeFile(path.join(dir, '01-a.ipynb'), JSON.stringify(nb('Ay')));
    await fsp.writeFile(path.join(dir, 'solutions', '01-a.ipynb'), JSON.stringify(nb('Sol')));
    const out = path.join(dir, 'html');
    const index = await exportExecutedLecture(dir, out, () => {});
    const html = await fsp.readFile(index, 'utf8');
    const links = [...html.matchAll(/<a href="([^"]+)">([^<]+)<\/a>/g)].map((m) => `${m[1]} ${m[2]}`);
    assert.deepEqual(links, ['01-a.html Ay', '02-b.html Bee', 'solutions/01-a.html Sol']);
    for (const l of links) await fsp.access(path.join(out, l.split(' ')[0]));
  });
});
