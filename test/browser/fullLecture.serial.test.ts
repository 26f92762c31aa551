import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { listLectureNotebooks, runLecture } from '../../src/cli/lecture.js';
import { LectureHtmlExporter } from '../../src/lecture/exporter.js';
import type { NotebookPage } from '../../src/lecture/page.js';
import type { Notebook } from '../../src/runner/notebookFile.js';
import { SHIPPED_CHECKS } from '../notebooks/shippedChecks/index.js';
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

// The whole lecture as `npm run lecture -- --solutions` makes it, on the shipped model (no FEWSTEP_MODEL),
// from an empty measurement cache: every course notebook and every solution executes, every page opens
// in headless Chromium with its charts drawn and images loaded, and each notebook's conclusions hold
// on what it measured (test/notebooks/shippedChecks). Per-notebook times are printed, not asserted.
const notebooksDir = path.join(root, 'notebooks');

describe('the whole lecture on the shipped model', { skip, timeout: 1_500_000 }, () => {
  let outDir = '';
  let cacheDir = '';
  let browser: LectureBrowser | undefined;
  let context: BrowserContext | undefined;
  let server: { url: string } | undefined;
  let relatives: string[] = [];
  const pages = new Map<string, NotebookPage>();
  const executed = new Map<string, Notebook>();
  const times: string[] = [];

  before(async () => {
    assert.ok(hasChromium, `CI=true but ${chromiumPath} is missing: .ci/run must apt-get install chromium`);
    delete process.env.FEWSTEP_MODEL;
    delete process.env.FEWSTEP_LCM_MODEL;
    delete process.env.FEWSTEP_LCM_LORA;
    delete process.env.FEWSTEP_FORCE;
    outDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'fewstep-full-lecture-'));
    cacheDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'fewstep-full-lecture-cache-'));
    process.env.FEWSTEP_CACHE_DIR = cacheDir;
    const exporter = new LectureHtmlExporter(outDir, () => {});
    relatives = (await listLectureNotebooks(notebooksDir, [], true)).map((nb) => nb.relative);
    exporter.plan(relatives.map((relative) => ({ relative })));
    const record = async (r: Parameters<LectureHtmlExporter['sink']>[0], nb: { relative: string }) => {
      executed.set(nb.relative, r.notebook);
      times.push(`${nb.relative}: ${(r.totalMs / 1000).toFixed(1)} s`);
      pages.set(nb.relative, await exporter.exportResult(r, nb));
    };
    const t0 = Date.now();
    await runLecture({ only: [], timeoutS: 180, outDir, solutions: true }, notebooksDir, [record], () => {});
    times.push(`total: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    console.log(`full lecture, cold cache, per notebook:\n  ${times.join('\n  ')}`);
    await exporter.writeIndex();
    browser = await openLectureBrowser(outDir);
    context = browser.context;
    server = { url: browser.url };
  });

  after(async () => {
    await browser?.close();
    for (const d of [outDir, cacheDir]) if (d) await fsp.rm(d, { recursive: true, force: true });
  });

  test('every course notebook and every solution ran, and every course notebook has its conclusions checked', () => {
    assert.deepEqual([...executed.keys()], relatives);
    const course = relatives.filter((r) => /^0[1-9]-/.test(r));
    assert.ok(course.length >= 7, `course notebooks: ${course.join(', ')}`);
    assert.ok(relatives.filter((r) => r.startsWith('solutions/')).length >= 4, 'four exercise solutions');
    for (const r of [...course, ...relatives.filter((x) => x.startsWith('solutions/'))])
      assert.ok(SHIPPED_CHECKS[r], `no shipped check for ${r}`);
  });

  test('each notebook shows its conclusions on the shipped model', async (t) => {
    for (const [relative, check] of Object.entries(SHIPPED_CHECKS)) {
      await t.test(relative, () => {
        const nb = executed.get(relative);
        assert.ok(nb, `${relative} did not run`);
        check(nb);
      });
    }
  });

  test('every page: charts drew their SVG, images loaded, no script errors (screenshots in out/screenshots/)', async (t) => {
    for (const relative of relatives) {
      await t.test(relative, async () => {
        const expected = pages.get(relative)!;
        const page = await context!.newPage();
        const problems = watchProblems(page);
        await page.goto(server!.url + relative.replace(/\.ipynb$/, '.html'));
        const report = await inspect(page);
        await page.screenshot({
          path: path.join(screenshots, `full-${relative.replace(/\//g, '-').replace(/\.ipynb$/, '.png')}`),
          fullPage: true,
        });
        await page.close();
        assert.equal(report.plotDivs, expected.plots, 'one chart div per Plotly output');
        assert.equal(report.plotsWithSvg, report.plotDivs, "every chart holds Plotly's .main-svg");
        assert.equal(report.images.length, expected.images);
        for (const img of report.images) assert.ok(img.naturalWidth > 0, `image ${img.src}... did not load`);
        if (expected.math > 0)
          assert.ok(report.katex >= expected.math, `${report.katex} .katex elements, ${expected.math} formulas`);
        assert.deepEqual(problems, []);
      });
    }
  });
});
