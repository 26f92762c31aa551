import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import type { PlotlyFigure } from './figure.js';
import {
  figureBundle,
  figureDivId,
  figureJson,
  markdownBundle,
  pngBundle,
  plotlyLibraryScript,
  tableBundle,
  tablesSideBySideBundle,
  type DisplayBundle,
  type TableOptions,
  type TableSpec,
} from './bundle.js';

/** How an output reached (or would reach) the notebook. */
export type DisplayChannel = 'bundle' | 'html-only' | 'none';

/** tslab's internal writer (dist/jupyter.js `lastWriteDisplayData`), set for each executing cell. */
type WriteDisplayData = (
  content: { data: DisplayBundle['data']; metadata: DisplayBundle['metadata']; transient?: { display_id: string } },
  update: boolean,
) => void;

/** tslab's public display API (dist/public.js `display`): one MIME type per call. */
interface TslabPublicDisplay {
  html(s: string): void;
  markdown(s: string): void;
  png(b: Uint8Array): void;
  text(s: string): void;
}

interface DisplaySink {
  channel: DisplayChannel;
  /** Sends a new output; with `displayId`, the output can be replaced later by `update`. */
  send(bundle: DisplayBundle, displayId?: string): boolean;
  /** Replaces every output sent with `displayId` (update_display_data); absent where tslab cannot. */
  update?(bundle: DisplayBundle, displayId: string): void;
  /** Identifies the executing cell: tslab makes a new writer for each execute request. */
  execution?: unknown;
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
      const content = (bundle: DisplayBundle, displayId?: string) =>
        displayId === undefined
          ? { data: bundle.data, metadata: bundle.metadata }
          : { data: bundle.data, metadata: bundle.metadata, transient: { display_id: displayId } };
      return {
        channel: 'bundle',
        execution: writer,
        send: (bundle, displayId) => {
          write(content(bundle, displayId), false);
          return true;
        },
        update: (bundle, displayId) => write(content(bundle, displayId), true),
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
      else if (typeof data['image/png'] === 'string' && typeof d.png === 'function')
        d.png(Buffer.from(data['image/png'], 'base64'));
      else if (typeof data['text/markdown'] === 'string' && typeof d.markdown === 'function')
        d.markdown(data['text/markdown']);
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

/**
 * Where plotly.js lives in the notebook. In a kernel that can update outputs, the library travels
 * with the first figure of EACH cell execution, and the output that carried it before is replaced
 * by its copy without the library (update_display_data): the notebook holds one copy, in the most
 * recently run chart cell, so re-running, editing or clearing any earlier chart cell can never
 * remove it (issue 11: re-running the cell that held it used to leave a saved notebook with none).
 */
interface LibraryCarrier {
  displayId: string;
  /** The carrier's output without the library, sent when the library moves on. */
  withoutLibrary: DisplayBundle;
  execution: unknown;
}

let carrier: LibraryCarrier | undefined;
/** For tslab without display updates: the library went with the first figure of the session. */
let plotlyLibrarySent = false;
let figureCounter = 0;
let libraryCounter = 0;

/** Moves the library to a new output: `sent` now carries it; the previous carrier loses its copy. */
function moveCarrier(sink: DisplaySink, next: LibraryCarrier): void {
  const previous = carrier;
  carrier = next;
  if (previous && previous.displayId !== next.displayId && sink.update) {
    try {
      sink.update(previous.withoutLibrary, previous.displayId);
    } catch {
      // No cell executing any more: the previous copy stays (two copies, both work).
    }
  }
}

/**
 * Sends plotly.js again, at once, as an output of the running cell (and drops the copy an earlier
 * output held): run it in a cell when a figure says "plotly.js did not load" (e.g. after clearing
 * outputs), then save. Outside a kernel it only makes the next figure carry the library. Returns
 * undefined when sent (so a cell ending with it prints nothing), else a line saying what it did.
 */
export function resendPlotlyLibrary(): string | undefined {
  plotlyLibrarySent = false;
  const sink = findDisplaySink();
  const bundle: DisplayBundle = {
    data: {
      'text/html': plotlyLibraryScript(),
      'text/plain': '[plotly.js library: draws the charts of this notebook]',
    },
    metadata: {},
  };
  const later = (why: string) => {
    carrier = undefined;
    return `${why}: the next figure shown will carry plotly.js`;
  };
  if (!sink || !sink.update) return later('not in a notebook kernel that can update outputs');
  const displayId = `fewstep-plotlyjs-${process.pid}-${++libraryCounter}`;
  try {
    if (!sink.send(bundle, displayId)) return later('the notebook refused the output');
  } catch {
    return later('no cell is executing');
  }
  moveCarrier(sink, {
    displayId,
    withoutLibrary: {
      data: { 'text/html': '<!-- plotly.js moved to a later output -->', 'text/plain': '' },
      metadata: {},
    },
    execution: sink.execution,
  });
  return undefined;
}

export interface ShowFigureOptions {
  /**
   * Force (true) or suppress (false) embedding plotly.js; default: the first figure of each cell
   * execution carries it (and the previous carrier drops it), or with a tslab that cannot update
   * outputs, the first figure of the kernel session.
   */
  includeLibrary?: boolean;
  /** CSS height of the figure (default '460px'). */
  height?: string;
}

/**
 * Shows a Plotly figure in a tslab notebook as ONE display_data output: Plotly JSON, HTML + script,
 * and text. plotly.js travels in one output of the notebook at a time (see LibraryCarrier). Returns
 * undefined when shown (so a cell ending with it prints nothing); outside a kernel it sends nothing
 * and returns the bundle it would have sent.
 */
export function showFigure(fig: PlotlyFigure, options: ShowFigureOptions = {}): DisplayBundle | undefined {
  // A unique div per output: the same figure shown twice must draw twice.
  const divId = `${figureDivId(figureJson(fig))}-${++figureCounter}`;
  const sink = findDisplaySink();
  const movable = sink?.update !== undefined && sink.execution !== undefined;
  const includeLibrary =
    options.includeLibrary ?? (movable ? carrier?.execution !== sink!.execution : !plotlyLibrarySent);
  const bundle = figureBundle(fig, { includeLibrary, height: options.height, divId });
  if (!sink) return bundle;
  let sent = false;
  try {
    sent = sink.send(bundle, movable && includeLibrary ? divId : undefined);
  } catch {
    // tslab throws "Not ready" when no cell is executing: behave as outside a kernel.
  }
  if (!sent) return bundle;
  if (includeLibrary) {
    plotlyLibrarySent = true;
    if (movable) {
      moveCarrier(sink, {
        displayId: divId,
        withoutLibrary: figureBundle(fig, { includeLibrary: false, height: options.height, divId }),
        execution: sink.execution,
      });
    }
  }
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
