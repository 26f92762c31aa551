import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import type { BrowserContext } from 'playwright-core';
import { runLecture } from '../../src/cli/lecture.js';
import { LectureHtmlExporter } from '../../src/lecture/exporter.js';
import type { NotebookPage } from '../../src/lecture/page.js';
import { figureBundle, tableBundle } from '../../src/plots/bundle.js';
import type { Notebook, NotebookOutput } from '../../src/runner/notebookFile.js';
import {
  chromiumPath,
  hasChromium,
  inspect,
  openLectureBrowser,
  root,
  screenshots,
  skip,
  watchProblems,
  type LectureBrowser,
} from './support.js';

// The lecture as a person sees it: the smoke notebook executed through `runLecture` with the HTML
// exporter plugged in (as `npm run lecture` does), plus a hand-made executed notebook holding every
// kind of output and some hostile text, opened in headless Chromium (Debian's, driven by
// playwright-core). Skipped when /usr/bin/chromium is missing, unless CI=true, where .ci/run installs it.
/** An executed notebook made by hand: every output kind the exporter handles, math, and text that must not become HTML. */
function renderChecksNotebook(png: string): Notebook {
  const fig = {
    data: [{ type: 'bar' as const, x: ['1 step', '4 steps'], y: [0.2, 0.9] }],
    layout: { title: { text: 'JSON-only figure' } },
  };
  const withLibrary = figureBundle(
    {
      data: [{ type: 'scatter' as const, x: [1, 2, 3], y: [3, 1, 2] }],
      layout: { title: { text: 'Bundle carrying plotly.js' } },
    },
    { includeLibrary: true, divId: 'render-check-bundle' },
  );
  const out = (data: Record<string, unknown>, metadata: Record<string, unknown> = {}): NotebookOutput => ({
    output_type: 'display_data',
    data,
    metadata,
  });
  const code = (source: string, outputs: NotebookOutput[], n: number) => ({
    cell_type: 'code' as const,
    source,
    metadata: {},
    execution_count: n,
    outputs,
  });
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      {
        cell_type: 'markdown',
        source:
          '# Render checks: every output kind\n\nInline $\\alpha_t$ and display math:\n\n$$\n\\bar\\alpha_t = \\prod_{s=1}^{t} (1 - \\beta_s)\n$$\n\nA price of $5 stays text.',
        metadata: {},
      },
      code(
        'console.log("<img src=x onerror=window.__injected=1>")',
        [
          { output_type: 'stream', name: 'stdout', text: '<script>window.__injected = 2</script>\n' },
          { output_type: 'stream', name: 'stderr', text: 'a warning <b>\n' },
        ],
        1,
      ),
      code('showFigure(bar)', [out({ 'application/vnd.plotly.v1+json': fig, 'text/plain': 'fig' })], 2),
      code('showFigure(line)', [out(withLibrary.data)], 3),
      code('showPng(png)', [out({ 'image/png': png, 'text/plain': '[PNG 8x8]' }, { 'image/png': { width: 64 } })], 4),
      code(
        'showTable(rows)',
        [
          out(
            tableBundle(
              [
                { steps: 1, ms: 12.5 },
                { steps: 4, ms: 40.25 },
              ],
              ['steps', 'ms'],
              { provenance: 'measured', caption: 'measured <here>' },
            ).data,
          ),
        ],
        5,
      ),
      code('showMarkdown(md)', [out({ 'text/markdown': 'Output markdown with $x^2$', 'text/plain': 'md' })], 6),
    ],
  };
}

describe('the lecture in headless Chromium', { skip, timeout: 240_000 }, () => {
  let outDir = '';
  let browser: LectureBrowser | undefined;
  let context: BrowserContext | undefined;
  let server: { url: string } | undefined;
  const pages = new Map<string, NotebookPage>();
  const exportLog: string[] = [];

  before(async () => {
    assert.ok(hasChromium, `CI=true but ${chromiumPath} is missing: .ci/run must apt-get install chromium`);
    const png = (
      await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 30, g: 120, b: 200 } } })
        .png()
        .toBuffer()
    ).toString('base64');
    outDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'fewstep-lecture-browser-'));
    const exporter = new LectureHtmlExporter(outDir, (l) => exportLog.push(l));
    const record = async (r: Parameters<LectureHtmlExporter['sink']>[0], nb: { relative: string }) => {
      pages.set(nb.relative, await exporter.exportResult(r, nb));
    };
    exporter.plan([{ relative: '00-smoke.ipynb' }, { relative: 'solutions/99-render-checks.ipynb' }]);
    await runLecture(
      { only: ['00-smoke'], timeoutS: 90, outDir, solutions: false },
      path.join(root, 'notebooks'),
      [record],
      () => {},
    );
    pages.set(
      'solutions/99-render-checks.ipynb',
      await exporter.exportNotebook(renderChecksNotebook(png), 'solutions/99-render-checks.ipynb'),
    );
    await exporter.writeIndex();
    browser = await openLectureBrowser(outDir);
    context = browser.context;
    server = { url: browser.url };
  });

  after(async () => {
    await browser?.close();
    if (outDir) await fsp.rm(outDir, { recursive: true, force: true });
  });

  test('the exporter printed each page and the index it wrote, and pages carry no copy of plotly.js', async () => {
    assert.ok(
      exportLog.some((l) => /html: .*00-smoke\.html \(\d+ KB; 1 chart, 1 image, 1 formula\)/.test(l)),
      exportLog.join('\n'),
    );
    assert.ok(
      exportLog.some((l) => /index\.html \(2 notebooks, 2 ok\)/.test(l)),
      exportLog.join('\n'),
    );
    for (const name of ['00-smoke.html', 'solutions/99-render-checks.html']) {
      const { size } = await fsp.stat(path.join(outDir, name));
      assert.ok(size < 500_000, `${name} is ${size} bytes`);
    }
    const executed = await fsp.stat(path.join(outDir, '00-smoke.ipynb'));
    assert.ok(executed.size > 4_000_000, 'the executed notebook itself embeds plotly.js once (the page does not)');
  });

  test('the index lists every notebook with its title and a link that opens', async () => {
    const page = await context!.newPage();
    const problems = watchProblems(page);
    await page.goto(server!.url + 'index.html');
    const links = await page.$$eval('table.lecture-index a', (as) =>
      as.map((a) => ({ href: a.getAttribute('href'), text: a.textContent })),
    );
    assert.deepEqual(links, [
      { href: '00-smoke.html', text: pages.get('00-smoke.ipynb')!.title },
      { href: 'solutions/99-render-checks.html', text: 'Render checks: every output kind' },
    ]);
    assert.match(pages.get('00-smoke.ipynb')!.title, /^00 - Smoke test/);
    await page.screenshot({ path: path.join(screenshots, 'lecture-index.png'), fullPage: true });
    await Promise.all([page.waitForURL(/00-smoke\.html$/), page.click('text=' + pages.get('00-smoke.ipynb')!.title)]);
    assert.equal(await page.title(), pages.get('00-smoke.ipynb')!.title);
    await page.close();
    assert.deepEqual(problems, []);
  });

  for (const [relative, shot] of [
    ['00-smoke.ipynb', 'lecture-00-smoke.png'],
    ['solutions/99-render-checks.ipynb', 'lecture-99-render-checks.png'],
  ] as const) {
    test(`${relative}: every chart drew its SVG, every image loaded, math rendered with KaTeX fonts, no script errors`, async () => {
      const expected = pages.get(relative)!;
      const page = await context!.newPage();
      const problems = watchProblems(page);
      await page.goto(server!.url + relative.replace(/\.ipynb$/, '.html'));
      const report = await inspect(page);
      await page.screenshot({ path: path.join(screenshots, shot), fullPage: true });
      await page.close();
      assert.equal(report.plotDivs, expected.plots, 'one chart div per Plotly output');
      assert.ok(report.plotDivs > 0);
      assert.equal(report.plotsWithSvg, report.plotDivs, "every chart holds Plotly's .main-svg");
      assert.equal(report.images.length, expected.images);
      assert.ok(report.images.length > 0);
      for (const img of report.images) assert.ok(img.naturalWidth > 0, `image ${img.src}... did not load`);
      assert.ok(
        expected.math > 0 && report.katex >= expected.math,
        `${report.katex} .katex elements, ${expected.math} formulas in the notebook`,
      );
      assert.ok(report.katexFontsLoaded.length > 0, 'KaTeX fonts loaded from the local assets');
      assert.equal(report.injected, undefined, 'no text from the notebook ran as script');
      assert.deepEqual(problems, []);
    });
  }

  test('hostile text from sources and outputs is shown as text', async () => {
    const page = await context!.newPage();
    await page.goto(server!.url + 'solutions/99-render-checks.html');
    const report = await inspect(page);
    await page.close();
    assert.ok(report.text.includes('console.log("<img src=x onerror=window.__injected=1>")'));
    assert.ok(report.text.includes('<script>window.__injected = 2</script>'));
    assert.ok(report.text.includes('a warning <b>'));
    assert.ok(report.text.includes('measured <here>'), 'the table caption');
    assert.ok(report.text.includes('A price of $5 stays text.'));
  });

  test('the pages also work opened from disk (file://), as a person opens them', async () => {
    const page = await context!.newPage();
    const problems = watchProblems(page);
    await page.goto(pathToFileURL(path.join(outDir, '00-smoke.html')).href);
    const report = await inspect(page);
    await page.close();
    assert.equal(report.plotsWithSvg, report.plotDivs);
    assert.ok(report.katexFontsLoaded.length > 0);
    assert.deepEqual(problems, []);
  });
});
