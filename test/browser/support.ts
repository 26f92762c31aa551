/** Shared pieces of the browser tests: Chromium's location and flags, a static server, page inspection. */
import { existsSync, promises as fsp } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as os from 'node:os';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const root = path.resolve(__dirname, '..', '..', '..');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(chromiumPath);
export const inCi = process.env.CI === 'true';
export const skip =
  !hasChromium && !inCi ? `${chromiumPath} not found (apt-get install chromium); runs under CI=true` : false;
export const screenshots = path.join(root, 'out', 'screenshots');

/** Flags from the machine notes: no sandbox as root, no GPU, and no background traffic to a closed network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// The browser globals the page functions below use (the test program compiles without the DOM lib).
declare const document: any, window: any;

/** A static file server for the lecture folder on 127.0.0.1. */
export async function serve(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const types: Record<string, string> = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript',
    '.css': 'text/css',
    '.woff2': 'font/woff2',
    '.png': 'image/png',
  };
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
export function watchProblems(page: Page): string[] {
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
export interface PageReport {
  plotDivs: number;
  plotsWithSvg: number;
  images: { src: string; naturalWidth: number }[];
  katex: number;
  katexFontsLoaded: string[];
  injected: unknown;
  text: string;
}

export async function inspect(page: Page): Promise<PageReport> {
  await page
    .waitForFunction(
      () =>
        Array.from(document.querySelectorAll('.fewstep-plotly')).every(
          (d: any) => d.querySelector('.main-svg') !== null,
        ),
      undefined,
      { timeout: 30_000 },
    )
    .catch(() => undefined);
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  return page.evaluate(() => {
    const plots = Array.from(document.querySelectorAll('.fewstep-plotly'));
    return {
      plotDivs: plots.length,
      plotsWithSvg: plots.filter((d: any) => d.querySelector('.main-svg') !== null).length,
      images: Array.from(document.images).map((i: any) => ({
        src: i.src.slice(0, 40),
        naturalWidth: i.complete ? i.naturalWidth : 0,
      })),
      katex: document.querySelectorAll('.katex').length,
      katexFontsLoaded: Array.from(document.fonts)
        .filter((f: any) => f.family.includes('KaTeX') && f.status === 'loaded')
        .map((f: any) => f.family),
      injected: window.__injected as unknown,
      text: document.body.innerText,
    };
  });
}

/** A lecture folder served on 127.0.0.1 and a headless Chromium (fresh profile) to open its pages. */
export interface LectureBrowser {
  url: string;
  context: BrowserContext;
  close(): Promise<void>;
}

/** Serves `outDir`, launches Chromium with the machine's flags, and makes sure out/screenshots/ exists. */
export async function openLectureBrowser(outDir: string): Promise<LectureBrowser> {
  await fsp.mkdir(screenshots, { recursive: true });
  const server = await serve(outDir);
  const userDataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'fewstep-chromium-profile-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1200, height: 900 },
  });
  return {
    url: server.url,
    context,
    close: async () => {
      await context.close();
      await server.close();
      await fsp.rm(userDataDir, { recursive: true, force: true });
    },
  };
}
