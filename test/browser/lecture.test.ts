import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { runLecture } from '../../src/cli/lecture.js';
import { LectureHtmlExporter } from '../../src/lecture/exporter.js';
import type { NotebookPage } from '../../src/lecture/page.js';
import { figureBundle, tableBundle } from '../../src/plots/bundle.js';
import type { Notebook, NotebookOutput } from '../../src/runner/notebookFile.js';

// The lecture as a person sees it: the smoke notebook executed through `runLecture` with the HTML
// exporter plugged in (as `npm run lecture` does), plus a hand-made executed notebook holding every
// kind of output and some hostile text, opened in headless Chromium (Debian's, driven by
// playwright-core). Skipped when /usr/bin/chromium is missing, unless CI=true, where .ci/run installs it.
const root = path.resolve(__dirname, '..', '..', '..');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
const inCi = process.env.CI === 'true';
const skip = !hasChromium && !inCi ? `${chromiumPath} not found (apt-get install chromium); runs under CI=true` : false;
const screenshots = path.join(root, 'out', 'screenshots');

/** Flags from the machine notes: no sandbox as root, no GPU, and no background traffic to a closed network. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// The browser globals the page functions below use (the test program compiles without the DOM lib).
declare const document: any, window: any;

/** An executed notebook made by hand: every output kind the exporter handles, math, and text that must not become HTML. */
function renderChecksNotebook(png: string): Notebook {
  const fig = { data: [{ type: 'bar' as const, x: ['1 step', '4 steps'], y: [0.2, 0.9] }], layout: { title: { text: 'JSON-only figure' } } };
  const withLibrary = figureBundle({ data: [{ type: 'scatter' as const, x: [1, 2, 3], y: [3, 1, 2] }], layout: { title: { text: 'Bundle carrying plotly.js' } } }, { includeLibrary: true, divId: 'render-check-bundle' });
  const out = (data: Record<string, unknown>, metadata: Record<string, unknown> = {}): NotebookOutput => ({ output_type: 'display_data', data, metadata });
  const code = (source: string, outputs: NotebookOutput[], n: number) => ({ cell_type: 'code' as const, source, metadata: {}, execution_count: n, outputs });
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { cell_type: 'markdown', source: '# Render checks: every output kind\n\nInline $\\alpha_t$ and display math:\n\n$$\n\\bar\\alpha_t = \\prod_{s=1}^{t} (1 - \\beta_s)\n$$\n\nA price of $5 stays text.', metadata: {} },
      code('console.log("<img src=x onerror=window.__injected=1>")', [{ output_type: 'stream', name: 'stdout', text: '<script>window.__injected = 2</script>\n' }, { output_type: 'stream', name: 'stderr', text: 'a warning <b>\n' }], 1),
      code('showFigure(bar)', [out({ 'application/vnd.plotly.v1+json': fig, 'text/plain': 'fig' })], 2),
      code('showFigure(line)', [out(withLibrary.data)], 3),
      code('showPng(png)', [out({ 'image/png': png, 'text/plain': '[PNG 8x8]' }, { 'image/png': { width: 64 } })], 4),
      code('showTable(rows)', [out(tableBundle([{ steps: 1, ms: 12.5 }, { steps: 4, ms: 40.25 }], ['steps', 'ms'], { caption: 'measured <here>' }).data)], 5),
      code('showMarkdown(md)', [out({ 'text/markdown': 'Output markdown with $x^2$', 'text/plain': 'md' })], 6),
    ],
  };
}

/** A static file server for the lecture folder on 127.0.0.1. */
async function serve(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.woff2': 'font/woff2', '.png': 'image/png' };
  const server = http.createServer(async (req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.join(dir, path.normalize(urlPath === '/' ? '/index.html' : urlPath));
    if (!file.startsWith(dir + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await fsp.readFile(file);
      res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Page errors, console errors and failed requests seen while `page` was open. */
function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return problems;
}

/** What the browser found on a lecture page once its charts drew and its fonts loaded. */
interface PageReport {
  plotDivs: number;
  plotsWithSvg: number;
  images: { src: string; naturalWidth: number }[];
  katex: number;
  katexFontsLoaded: string[];
  injected: unknown;
  text: string;
}

async function inspect(page: Page): Promise<PageReport> {
  await page.waitForFunction(() => Array.from(document.querySelectorAll('.fewstep-plotly')).every((d: any) => d.querySelector('.main-svg') !== null), undefined, { timeout: 30_000 }).catch(() => undefined);
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  return page.evaluate(() => {
    const plots = Array.from(document.querySelectorAll('.fewstep-plotly'));
    return {
      plotDivs: plots.length,
      plotsWithSvg: plots.filter((d: any) => d.querySelector('.main-svg') !== null).length,
      images: Array.from(document.images).map((i: any) => ({ src: i.src.slice(0, 40), naturalWidth: i.complete ? i.naturalWidth : 0 })),
      katex: document.querySelectorAll('.katex').length,
      katexFontsLoaded: Array.from(document.fonts).filter((f: any) => f.family.includes('KaTeX') && f.status === 'loaded').map((f: any) => f.family),
      injected: window.__injected as unknown,
      text: document.body.innerText,
    };
  });
}

describe('the lecture in headless Chromium', { skip, timeout: 240_000 }, () => {
  let outDir = '';
  let userDataDir = '';
  let context: BrowserContext | undefined;
  let server: { url: string; close: () => Promise<void> } | undefined;
  const pages = new Map<string, NotebookPage>();
  const exportLog: string[] = [];

  before(async () => {
    assert.ok(hasChromium, `CI=true but ${chromiumPath} is missing: .ci/run must apt-get install chromium`);
    const png = (await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 30, g: 120, b: 200 } } }).png().toBuffer()).toString('base64');
    outDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'fewstep-lecture-browser-'));
    const exporter = new LectureHtmlExporter(outDir, (l) => exportLog.push(l));
    const record = async (r: Parameters<LectureHtmlExporter['sink']>[0], nb: { relative: string }) => {
      pages.set(nb.relative, await exporter.exportResult(r, nb));
    };
    exporter.plan([{ relative: '00-smoke.ipynb' }, { relative: 'solutions/99-render-checks.ipynb' }]);
    await runLecture({ only: ['00-smoke'], timeoutS: 90, outDir, solutions: false }, path.join(root, 'notebooks'), [record], () => {});
    pages.set('solutions/99-render-checks.ipynb', await exporter.exportNotebook(renderChecksNotebook(png), 'solutions/99-render-checks.ipynb'));
    await exporter.writeIndex();
    await fsp.mkdir(screenshots, { recursive: true });
    server = await serve(outDir);
    userDataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'fewstep-chromium-profile-'));
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1200, height: 900 } });
  });

  after(async () => {
    await context?.close();
    await server?.close();
    if (userDataDir) await fsp.rm(userDataDir, { recursive: true, force: true });
    if (outDir) await fsp.rm(outDir, { recursive: true, force: true });
  });

  test('the exporter printed each page and the index it wrote, and pages carry no copy of plotly.js', async () => {
    assert.ok(exportLog.some((l) => /html: .*00-smoke\.html \(\d+ KB; 1 chart, 1 image, 1 formula\)/.test(l)), exportLog.join('\n'));
    assert.ok(exportLog.some((l) => /index\.html \(2 notebooks, 2 ok\)/.test(l)), exportLog.join('\n'));
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
    const links = await page.$$eval('table.lecture-index a', (as) => as.map((a) => ({ href: a.getAttribute('href'), text: a.textContent })));
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

  for (const [relative, shot] of [['00-smoke.ipynb', 'lecture-00-smoke.png'], ['solutions/99-render-checks.ipynb', 'lecture-99-render-checks.png']] as const) {
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
      assert.ok(expected.math > 0 && report.katex >= expected.math, `${report.katex} .katex elements, ${expected.math} formulas in the notebook`);
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
