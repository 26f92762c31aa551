import * as path from 'node:path';
import { requireFinite } from '../core/errors.js';
import { NotebookCellError } from './errors.js';
import { TslabKernel, type KernelOptions } from './kernel.js';
import { firstSourceLine, joinSource, readNotebook, writeNotebookAtomic, type Notebook } from './notebookFile.js';
import type { DisplayRegistry } from './outputs.js';
import { warningLines } from '../evaluation/warn.js';

/** Options of `runNotebook`. */
export interface RunNotebookOptions {
  /** Time limit per code cell in seconds (default 120). */
  cellTimeoutS?: number;
  /** Where to write the executed notebook (atomically); nothing is written when omitted or when a cell fails. */
  outFile?: string;
  /** Kernel start options other than the working directory (which is the notebook's folder). */
  kernel?: Omit<KernelOptions, 'cwd'>;
  /**
   * How long to wait after the last cell for asynchronous errors (a throw in a setTimeout, an
   * unawaited rejected promise) before declaring the notebook done (ms, default 300).
   */
  asyncGraceMs?: number;
  /** Called after each code cell with its index in `cells` and the time it took. */
  onCell?: (cellIndex: number, ms: number) => void;
  /**
   * Where warning lines the notebook wrote to stderr go (lines starting with "fewstep warning:", e.g.
   * a corrupt measurement cache file), besides the notebook's own output. Default: this process's
   * stderr, so that `npm run lecture` shows them on the terminal.
   */
  onWarning?: (line: string, cellIndex: number) => void;
}

/** An executed notebook and what it cost. */
export interface RunNotebookResult {
  /** The notebook with outputs and execution counts filled in. */
  notebook: Notebook;
  /** Path of the source notebook. */
  path: string;
  /** Where the executed notebook was written, if it was. */
  outFile?: string;
  /** Kernel start-up time (ms). */
  startMs: number;
  /** Total wall time including start-up and shutdown (ms). */
  totalMs: number;
  /** Wall time of each code cell (ms), by index in `cells` (undefined for other cells). */
  cellMs: (number | undefined)[];
}

/**
 * Executes every code cell of the notebook at `file` in order on a fresh tslab kernel whose working
 * directory is the notebook's folder, and returns the notebook with its outputs.
 *
 * Stops at the first failing cell with a NotebookCellError naming the file, the cell index, its
 * first line and its stderr: an execute_reply status of 'error' or 'abort' (tslab sends no `error`
 * messages), an `error` output, a timeout (the kernel is interrupted, then shut down), or a kernel
 * that died. A missing or malformed file throws NotebookFileError. The kernel is always shut down.
 */
export async function runNotebook(file: string, options: RunNotebookOptions = {}): Promise<RunNotebookResult> {
  const cellTimeoutS = requireFinite('cellTimeoutS', options.cellTimeoutS ?? 120, 0.001);
  const t0 = Date.now();
  const source = await readNotebook(file);
  const notebook: Notebook = { ...source, cells: source.cells.map((c) => ({ ...c })) };
  const kernel = await TslabKernel.start({ ...options.kernel, cwd: path.dirname(path.resolve(file)) });
  const startMs = Date.now() - t0;
  const cellMs: (number | undefined)[] = new Array(notebook.cells.length).fill(undefined);
  const displays: DisplayRegistry = new Map();
  const asyncGraceMs = requireFinite('asyncGraceMs', options.asyncGraceMs ?? 300, 0, 60_000);
  let lastCode = -1;
  // An asynchronous error is reported against the cell that was running when it arrived or, between
  // cells, the cell that ran last (its callbacks are the likely source): the message says which.
  const failOnAsyncErrors = (cellIndex: number, when: string) => {
    const errors = kernel.takeAsyncErrors();
    if (errors.length === 0 || cellIndex < 0) return;
    const cell = notebook.cells[cellIndex];
    const stderr = errors.map((e) => `${e.type}: ${e.message}`).join('\n');
    throw new NotebookCellError(file, cellIndex, firstSourceLine(cell.source), 'async-error', when, stderr);
  };
  try {
    for (let i = 0; i < notebook.cells.length; i++) {
      const cell = notebook.cells[i];
      if (cell.cell_type !== 'code') continue;
      failOnAsyncErrors(lastCode, 'reported after the cell finished, before the next cell started');
      lastCode = i;
      const code = joinSource(cell.source);
      const c0 = Date.now();
      const outcome = await kernel.execute(code, { timeoutMs: cellTimeoutS * 1000, displays });
      cellMs[i] = Date.now() - c0;
      cell.outputs = outcome.outputs;
      cell.execution_count = outcome.executionCount;
      options.onCell?.(i, cellMs[i] as number);
      const warn =
        options.onWarning ??
        ((line: string, cellIndex: number) =>
          process.stderr.write(`${path.basename(file)} cell ${cellIndex}: ${line}\n`));
      for (const line of warningLines(outcome.stderr)) warn(line, i);
      const errorOutput = outcome.outputs.some((o) => o.output_type === 'error');
      if (outcome.status !== 'ok' || errorOutput) {
        const kind = outcome.status === 'ok' ? 'error' : outcome.status;
        let stderr = outcome.stderr;
        if (kind === 'kernel-died' && kernel.processOutput.trim())
          stderr += (stderr ? '\n' : '') + kernel.processOutput;
        throw new NotebookCellError(file, i, firstSourceLine(cell.source), kind, outcome.detail, stderr);
      }
      failOnAsyncErrors(i, "reported while the cell ran (it may come from an earlier cell's callback)");
    }
    if (lastCode >= 0) {
      await new Promise((resolve) => setTimeout(resolve, asyncGraceMs));
      failOnAsyncErrors(lastCode, `reported within ${asyncGraceMs} ms after the last cell finished`);
    }
  } finally {
    await kernel.shutdown();
  }
  if (options.outFile) await writeNotebookAtomic(options.outFile, notebook);
  return { notebook, path: file, outFile: options.outFile, startMs, totalMs: Date.now() - t0, cellMs };
}
