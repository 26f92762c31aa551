import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath, hasChromium, inCi, root, screenshots } from './support.js';

// What a student sees in Jupyter's own UI (issue 11, items 11 and 12): Debian's classic Notebook 6
// server on 127.0.0.1 (temp notebook dir, token, kernelspec and config of its own) with this
// project's tslab kernel, driven in headless Chromium. A notebook with charts in four cells is run,
// the FIRST and a MIDDLE chart cell are re-run, the notebook is saved and the page reloaded: every
// chart must draw again (the library used to ride only on the first figure's output). Then an
// untrusted copy (as a student receives out/lecture/*.ipynb) must show a visible fallback for
// each chart and readable text for markdown outputs. Skipped when jupyter-notebook or Chromium is
// missing, unless CI=true (.ci/run installs both).

const JUPYTER_NOTEBOOK = process.env.JUPYTER_NOTEBOOK ?? '/usr/bin/jupyter-notebook';
const hasJupyter = existsSync(JUPYTER_NOTEBOOK);
const skip = inCi
  ? false
  : !hasJupyter
    ? `${JUPYTER_NOTEBOOK} not found (apt-get install jupyter-notebook python3-notebook); runs under CI=true`
    : !hasChromium
      ? `${chromiumPath} not found (apt-get install chromium); runs under CI=true`
      : false;

// The browser globals the page functions use (the test program compiles without the DOM lib).
declare const document: any, window: any;

const TOKEN = 'fewstep-test-token';
const TITLES = ['Chart one', 'Chart two', 'Chart three', 'Chart four', 'Chart five'];

/** A small notebook: an import cell, four chart cells (the last one with two charts) and a markdown output. */
function testNotebook(): unknown {
  const code = (source: string) => ({ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source });
  const chart = (title: string, k: number) =>
    `fs.showFigure(fs.lineChart({ title: '${title}', provenance: 'simulation', xTitle: 'steps', yTitle: 'y', ` +
    `series: [{ name: 's', x: [1, 2, 4, 8], y: [${k}, ${k + 2}, ${k + 1}, ${k + 3}] }] }));`;
  return {
    cells: [
      { cell_type: 'markdown', metadata: {}, source: '# Charts after re-runs' },
      code("import * as fs from '../dist/index';"),
      code(chart(TITLES[0], 1)),
      code(chart(TITLES[1], 2)),
      code(chart(TITLES[2], 3)),
      code(`${chart(TITLES[3], 4)}\n${chart(TITLES[4], 5)}`),
      code(
        "fs.showMarkdown('**Measured** on this machine: LCM at `4` steps ([paper](https://arxiv.org/abs/2310.04378)).');",
      ),
    ],
    metadata: { kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Waits until the kernel is idle and every code cell has an execution count (none pending '*'). */
async function waitAllRun(page: Page, timeout = 90_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const nb = window.Jupyter?.notebook;
      if (!nb || !nb.kernel || nb.kernel_busy) return false;
      return nb.get_cells().every((c: any) => c.cell_type !== 'code' || typeof c.input_prompt_number === 'number');
    },
    undefined,
    { timeout, polling: 250 },
  );
}

interface ChartState {
  title: string;
  height: number;
  drawn: boolean;
  fallback: string;
}

/** Each chart div of the page: its height, whether Plotly drew it, the fallback text left beside it. */
async function charts(page: Page): Promise<ChartState[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('.output_subarea')).flatMap((area: any) => {
      const plots = Array.from(area.querySelectorAll('.fewstep-plotly'));
      const fallbacks = Array.from(area.querySelectorAll('.fewstep-plotly-fallback'));
      // Untrusted: the sanitizer may drop the classes; find the fallback by its text instead.
      const text = area.innerText as string;
      if (plots.length === 0 && !/^chart: /m.test(text)) return [];
      if (plots.length === 0) {
        return text
          .split('\n')
          .filter((l: string) => l.startsWith('chart: '))
          .map((l: string) => ({ title: l, height: 0, drawn: false, fallback: l }));
      }
      return plots.map((p: any, i: number) => ({
        title: p.querySelector('.gtitle')?.textContent ?? '',
        height: p.getBoundingClientRect().height,
        drawn: p.querySelector('.main-svg') !== null,
        fallback: fallbacks[i] ? (fallbacks[i] as any).innerText : '',
      }));
    }),
  );
}

describe('charts in Jupyter classic Notebook (real UI)', { skip, timeout: 180_000 }, () => {
  let tmp = '';
  let server: ChildProcess | undefined;
  let serverLog = '';
  let context: BrowserContext | undefined;
  let base = '';

  before(async () => {
    assert.ok(
      hasJupyter,
      `CI=true but ${JUPYTER_NOTEBOOK} is missing: .ci/run must apt-get install jupyter-notebook python3-notebook`,
    );
    assert.ok(hasChromium, `CI=true but ${chromiumPath} is missing: .ci/run must apt-get install chromium`);
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'fewstep-jupyter-ui-'));
    const nbRoot = path.join(tmp, 'root');
    await fsp.mkdir(path.join(nbRoot, 'notebooks'), { recursive: true });
    // Notebooks import '../dist/index' as the course's do: the project's compiled library.
    await fsp.symlink(path.join(root, 'dist'), path.join(nbRoot, 'dist'));
    await fsp.writeFile(path.join(nbRoot, 'notebooks', 'charts.ipynb'), JSON.stringify(testNotebook(), null, 1));
    // A kernelspec of our own (the user's registered kernels are not touched).
    const data = path.join(tmp, 'data');
    const tslabBin = path.join(path.dirname(require.resolve('tslab/package.json')), 'bin', 'tslab');
    await fsp.mkdir(path.join(data, 'kernels', 'tslab'), { recursive: true });
    await fsp.writeFile(
      path.join(data, 'kernels', 'tslab', 'kernel.json'),
      JSON.stringify({
        argv: [process.execPath, tslabBin, 'kernel', '--config-path', '{connection_file}'],
        display_name: 'TypeScript',
        language: 'typescript',
      }),
    );
    const env = {
      ...process.env,
      JUPYTER_DATA_DIR: data,
      JUPYTER_PATH: data,
      JUPYTER_CONFIG_DIR: path.join(tmp, 'config'),
      JUPYTER_RUNTIME_DIR: path.join(tmp, 'runtime'),
      IPYTHONDIR: path.join(tmp, 'ipython'),
      PYDEVD_DISABLE_FILE_VALIDATION: '1',
    };
    // A free port can be taken between our probe and the server's bind: try a few.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      const args = [
        `--ip=127.0.0.1`,
        `--port=${port}`,
        '--port-retries=0',
        '--no-browser',
        `--notebook-dir=${nbRoot}`,
        `--NotebookApp.token=${TOKEN}`,
        '--NotebookApp.open_browser=False',
      ];
      if (process.getuid?.() === 0) args.push('--allow-root');
      serverLog = '';
      const child = spawn(JUPYTER_NOTEBOOK, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      server = child;
      child.stdout!.on('data', (d) => (serverLog += d));
      child.stderr!.on('data', (d) => (serverLog += d));
      const t0 = Date.now();
      let up = false;
      while (!up && child.exitCode === null && child.signalCode === null && Date.now() - t0 < 60_000) {
        up = await fetch(`${base}/api/status?token=${TOKEN}`).then(
          (r) => r.ok,
          () => false,
        );
        if (!up) await new Promise((r) => setTimeout(r, 250));
      }
      if (up) break;
      const why = `jupyter-notebook did not start (attempt ${attempt}, exit ${child.exitCode ?? child.signalCode ?? 'none: timed out'}):\n${serverLog.slice(-3000)}`;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (attempt >= 3) throw new Error(why);
      console.log(why);
    }
    await fsp.mkdir(screenshots, { recursive: true });
    context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
      executablePath: chromiumPath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 1000 },
    });
  });

  after(async () => {
    await context?.close();
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => {
        server!.once('exit', r);
        setTimeout(r, 5_000);
      });
      if (server.exitCode === null) server.kill('SIGKILL');
    }
    if (tmp) await fsp.rm(tmp, { recursive: true, force: true });
  });

  test('re-running the first and a middle chart cell, saving and reloading: every chart draws, one copy of plotly.js', async () => {
    const page = await context!.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.goto(`${base}/notebooks/notebooks/charts.ipynb?token=${TOKEN}`);
    await page.waitForFunction(() => window.Jupyter?.notebook?.kernel?.is_connected?.(), undefined, {
      timeout: 60_000,
    });
    await page.evaluate(() => window.Jupyter.notebook.execute_all_cells());
    await waitAllRun(page);
    // Re-run the first chart cell, then a middle one, through the UI: click into the cell, Ctrl+Enter.
    for (const index of [2, 4]) {
      await page.locator('.cell').nth(index).locator('.CodeMirror').click();
      await page.keyboard.press('Control+Enter');
      await page.waitForTimeout(300);
      await waitAllRun(page);
    }
    const live = await charts(page);
    assert.equal(live.length, TITLES.length, JSON.stringify(live));
    // Save with the keyboard shortcut (command mode) and wait for the write.
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+s');
    await page.waitForFunction(() => !window.Jupyter.notebook.dirty, undefined, { timeout: 20_000 });
    await page.waitForTimeout(500);
    const file = path.join(tmp, 'root', 'notebooks', 'charts.ipynb');
    const saved = await fsp.readFile(file, 'utf8');
    const copies = saved.split('plotly.js, sent once per kernel session by fewstep').length - 1;
    console.log(
      `saved notebook: ${(saved.length / 1e6).toFixed(2)} MB, ${copies} cop${copies === 1 ? 'y' : 'ies'} of plotly.js`,
    );
    assert.equal(copies, 1, 'exactly one output carries plotly.js');

    await page.reload();
    await page
      .waitForFunction(() => document.querySelectorAll('.fewstep-plotly .main-svg').length >= 5, undefined, {
        timeout: 30_000,
      })
      .catch(() => undefined);
    const after = await charts(page);
    await page.screenshot({ path: path.join(screenshots, 'jupyter-classic-after-rerun-reload.png'), fullPage: true });
    assert.equal(after.length, TITLES.length, JSON.stringify(after));
    for (const [i, c] of after.entries()) {
      assert.ok(c.drawn && c.height > 100, `chart ${i + 1} after reload: ${JSON.stringify(c)}`);
      assert.match(c.title, new RegExp(TITLES[i]));
      assert.equal(c.fallback, '', 'the fallback is gone once drawn');
    }
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('an untrusted executed notebook shows a visible placeholder for each chart and readable text for markdown', async () => {
    // As a student receives it: the executed notebook, but not signed by this server.
    const nb = JSON.parse(await fsp.readFile(path.join(tmp, 'root', 'notebooks', 'charts.ipynb'), 'utf8'));
    nb.metadata.received = 'from the lecture';
    await fsp.writeFile(path.join(tmp, 'root', 'notebooks', 'received.ipynb'), JSON.stringify(nb));
    const page = await context!.newPage();
    await page.goto(`${base}/notebooks/notebooks/received.ipynb?token=${TOKEN}`);
    await page.waitForFunction(() => window.Jupyter?.notebook?._fully_loaded, undefined, { timeout: 30_000 });
    await page.waitForTimeout(1000);
    const state = await page.evaluate(() => ({
      trusted: window.Jupyter.notebook.trusted,
      outputs: Array.from(document.querySelectorAll('.output_subarea')).map((a: any) => ({
        text: a.innerText,
        height: a.getBoundingClientRect().height,
      })),
    }));
    await page.screenshot({ path: path.join(screenshots, 'jupyter-classic-untrusted.png'), fullPage: true });
    assert.equal(state.trusted, false);
    const chartOutputs = state.outputs.filter((o) => /^chart: /m.test(o.text));
    assert.equal(chartOutputs.length, TITLES.length, JSON.stringify(state.outputs.map((o) => o.text.slice(0, 80))));
    for (const [i, o] of chartOutputs.entries()) {
      assert.match(o.text, new RegExp(`chart: ${TITLES[i]}`));
      assert.match(o.text, /Trust Notebook/);
      assert.ok(o.height > 40, `the placeholder of chart ${i + 1} is visible (${o.height} px)`);
    }
    const md = state.outputs.find((o) => /Measured/.test(o.text));
    assert.ok(md, 'the markdown output is shown');
    assert.equal(
      md.text.trim(),
      'Measured on this machine: LCM at 4 steps (paper (https://arxiv.org/abs/2310.04378)).',
    );
    await page.close();
  });
});

test('the README says classic Notebook 6 (Debian) works with the HTML fallback, next to the JupyterLab instructions', async () => {
  const readme = await fsp.readFile(path.join(root, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Notebooks in JupyterLab')) ?? '';
  assert.match(section, /Classic Notebook 6 works/);
  assert.match(section, /apt-get install jupyter-notebook\s+python3-notebook jupyter-client/);
  assert.match(section, /HTML fallback/);
  assert.match(section, /fs\.resendPlotlyLibrary\(\)/);
});
