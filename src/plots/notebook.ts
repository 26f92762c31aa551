import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import type { PlotlyFigure } from './figure.js';
import {
  figureBundle, figureDivId, figureJson, markdownBundle, pngBundle, tableBundle, tablesSideBySideBundle,
  type DisplayBundle, type TableOptions, type TableSpec,
} from './bundle.js';

/** How an output reached (or would reach) the notebook. */
export type DisplayChannel = 'bundle' | 'html-only' | 'none';

/** tslab's internal writer (dist/jupyter.js `lastWriteDisplayData`), set for each executing cell. */
type WriteDisplayData = (content: { data: DisplayBundle['data']; metadata: DisplayBundle['metadata'] }, update: boolean) => void;

/** tslab's public display API (dist/public.js `display`): one MIME type per call. */
interface TslabPublicDisplay {
  html(s: string): void;
  markdown(s: string): void;
  png(b: Uint8Array): void;
  text(s: string): void;
}

interface DisplaySink {
  channel: DisplayChannel;
  send(bundle: DisplayBundle): boolean;
}

const TSLAB_DIST = /[\\/]tslab[\\/]dist[\\/]([a-z]+)\.js$/;

/**
 * Finds the running tslab kernel's writer. tslab keeps the writer of the executing cell in
 * `require('tslab/dist/jupyter').lastWriteDisplayData`; the kernel has already loaded that module, so
 * we look for it in require.cache (whichever copy of tslab runs the kernel) instead of requiring
 * tslab ourselves: outside a kernel nothing is loaded and nothing is sent.
 */
function findDisplaySink(): DisplaySink | undefined {
  const cache = require.cache;
  let tslabDir: string | undefined;
  for (const file of Object.keys(cache)) {
    const m = TSLAB_DIST.exec(file);
    if (!m) continue;
    tslabDir = dirname(file);
    if (m[1] !== 'jupyter') continue;
    const writer = (cache[file]?.exports as { lastWriteDisplayData?: unknown } | undefined)?.lastWriteDisplayData;
    if (typeof writer === 'function') {
      const write = writer as WriteDisplayData;
      return {
        channel: 'bundle',
        send: (bundle) => {
          write({ data: bundle.data, metadata: bundle.metadata }, false);
          return true;
        },
      };
    }
  }
  // Fallback: tslab's public API (an older or newer tslab without the internal writer).
  if (tslabDir === undefined) return undefined;
  const publicFile = join(tslabDir, 'public.js');
  let display: Partial<TslabPublicDisplay> | undefined;
  try {
    display = cache[publicFile]?.exports?.display ?? (existsSync(publicFile) ? require(publicFile).display : undefined);
  } catch {
    return undefined;
  }
  if (!display || typeof display.html !== 'function') return undefined;
  const d = display as TslabPublicDisplay;
  return {
    channel: 'html-only',
    send: (bundle) => {
      const data = bundle.data;
      if (typeof data['text/html'] === 'string') d.html(data['text/html']);
      else if (typeof data['image/png'] === 'string' && typeof d.png === 'function') d.png(Buffer.from(data['image/png'], 'base64'));
      else if (typeof data['text/markdown'] === 'string' && typeof d.markdown === 'function') d.markdown(data['text/markdown']);
      else if (typeof data['text/plain'] === 'string' && typeof d.text === 'function') d.text(data['text/plain']);
      else return false;
      return true;
    },
  };
}

/** Sends a bundle to the notebook; returns the channel used ('none' outside a kernel or if tslab refused). */
export function sendDisplayBundle(bundle: DisplayBundle): DisplayChannel {
  const sink = findDisplaySink();
  if (!sink) return 'none';
  try {
    return sink.send(bundle) ? sink.channel : 'none';
  } catch {
    // tslab throws "Not ready" when no cell is executing: behave as outside a kernel.
    return 'none';
  }
}

/** True when this process is a tslab kernel able to show rich outputs right now. */
export function inNotebook(): boolean {
  return findDisplaySink() !== undefined;
}

let plotlyLibrarySent = false;
let figureCounter = 0;

/**
 * Makes the next figure carry plotly.js again (after clearing the output that held it, so a saved
 * notebook still draws its figures).
 */
export function resendPlotlyLibrary(): void {
  plotlyLibrarySent = false;
}

export interface ShowFigureOptions {
  /** Force (true) or suppress (false) embedding plotly.js; default: only in the first figure of the kernel session. */
  includeLibrary?: boolean;
  /** CSS height of the figure (default '460px'). */
  height?: string;
}

/**
 * Shows a Plotly figure in a tslab notebook as ONE display_data output: Plotly JSON, HTML + script,
 * and text. plotly.js travels with the first figure of the kernel session only. Returns undefined
 * when shown (so a cell ending with it prints nothing); outside a kernel it sends nothing and returns
 * the bundle it would have sent.
 */
export function showFigure(fig: PlotlyFigure, options: ShowFigureOptions = {}): DisplayBundle | undefined {
  const includeLibrary = options.includeLibrary ?? !plotlyLibrarySent;
  // A unique div per output: the same figure shown twice must draw twice.
  const divId = `${figureDivId(figureJson(fig))}-${++figureCounter}`;
  const bundle = figureBundle(fig, { includeLibrary, height: options.height, divId });
  const channel = sendDisplayBundle(bundle);
  if (channel === 'none') return bundle;
  if (includeLibrary) plotlyLibrarySent = true;
  return undefined;
}

/** Shows a PNG (e.g. from tensorToPng or imageGrid). Returns undefined when shown, else the bundle. */
export function showPng(png: Uint8Array, displayWidth?: number): DisplayBundle | undefined {
  const bundle = pngBundle(png, displayWidth);
  return sendDisplayBundle(bundle) === 'none' ? bundle : undefined;
}

/** Shows markdown text. Returns undefined when shown, else the bundle. */
export function showMarkdown(text: string): DisplayBundle | undefined {
  const bundle = markdownBundle(text);
  return sendDisplayBundle(bundle) === 'none' ? bundle : undefined;
}

/**
 * Shows rows as an HTML table (with a text/plain twin), opened by the provenance of its numbers
 * (`options.provenance`, required: 'measured', 'recorded', 'formula', 'published' or 'simulation').
 * Returns undefined when shown, else the bundle.
 */
export function showTable(
  rows: readonly (object | readonly unknown[])[],
  columns: readonly string[],
  options: TableOptions,
): DisplayBundle | undefined {
  const bundle = tableBundle(rows, columns, options);
  return sendDisplayBundle(bundle) === 'none' ? bundle : undefined;
}

/**
 * Shows two or more tables next to each other (e.g. measured here vs published), each opened by its
 * own provenance line. Returns undefined when shown, else the bundle.
 */
export function showTablesSideBySide(tables: readonly TableSpec[]): DisplayBundle | undefined {
  const bundle = tablesSideBySideBundle(tables);
  return sendDisplayBundle(bundle) === 'none' ? bundle : undefined;
}
