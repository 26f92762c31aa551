/**
 * `npm run lecture`: executes every notebook in `notebooks/` (name order) headless on the tslab
 * kernel and writes the executed notebooks to `out/lecture/`, each with its HTML page, then
 * `out/lecture/index.html` (open it in a browser). Stops at the first failing cell; the index then
 * lists the failure and the notebooks not run.
 *
 *   npm run lecture -- [--only <glob>]... [--timeout <s>] [--out <dir>] [--solutions]
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { defineCli, parseCli, parseNumberArg, reportCliError } from './args.js';
import { FewstepError, InvalidArgumentError } from '../core/errors.js';
import { packageRoot } from '../core/packageRoot.js';
import { LectureHtmlExporter } from '../lecture/exporter.js';
import {
  exitOnSignals,
  exitWithParent,
  NotebookCellError,
  runNotebook,
  type RunNotebookResult,
} from '../runner/index.js';

/** Parsed command line of `npm run lecture`. */
export interface LectureOptions {
  /** Glob patterns (`*`, `?`) matched against the notebook path relative to the notebooks folder; empty = all. */
  only: string[];
  /** Per-cell time limit in seconds. */
  timeoutS: number;
  /** Output folder for executed notebooks. */
  outDir: string;
  /** Also run `notebooks/solutions/*.ipynb` (after the lecture notebooks). */
  solutions: boolean;
}

/** One notebook to execute: its absolute path and its path relative to the notebooks folder. */
export interface LectureNotebook {
  file: string;
  relative: string;
}

/**
 * A step after each executed notebook (e.g. an HTML exporter); gets the run result and where the
 * notebook was written. Runs in order; a throw stops the lecture.
 */
export type LectureSink = (result: RunNotebookResult, notebook: LectureNotebook) => Promise<void> | void;

/** Cells that take at least this long are reported as they finish. */
export const SLOW_CELL_MS = 5000;

/** The project root (packageRoot). */
export const projectRoot = (): string => packageRoot();

/** The command line of `npm run lecture` (src/cli/args.ts parses it). */
export const LECTURE_CLI = defineCli({
  command: 'npm run lecture --',
  summary: 'Runs the course notebooks headless on the tslab kernel and writes executed notebooks and HTML pages.',
  options: {
    only: { type: 'string', value: 'glob', multiple: true, help: 'only notebooks whose file name matches (e.g. 03-*)' },
    timeout: { type: 'string', value: 'seconds', help: 'per-cell timeout (default 120)' },
    out: { type: 'string', value: 'dir', help: 'output folder (default out/lecture)' },
    solutions: { type: 'boolean', help: 'also run the exercise solutions' },
  },
});

/** Parses `argv` (without node and script); unknown options and bad values throw InvalidArgumentError, --help HelpRequested. */
export function parseLectureArgs(argv: readonly string[], root = projectRoot()): LectureOptions {
  const { values } = parseCli(LECTURE_CLI, argv);
  const timeoutS = values.timeout === undefined ? 120 : parseNumberArg('--timeout', values.timeout, 0.001);
  return {
    only: values.only ?? [],
    timeoutS,
    outDir: path.resolve(root, values.out ?? path.join('out', 'lecture')),
    solutions: values.solutions ?? false,
  };
}

/** A RegExp for a glob with `*` (any run of characters except '/'), `**` (anything) and `?` (one character). */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * The notebooks to run, in name order: `<dir>/*.ipynb`, then `<dir>/solutions/*.ipynb` when
 * `solutions` is set. `only` patterns match the relative path or the file name (a pattern without
 * ".ipynb" also matches without the extension). Patterns that match nothing throw InvalidArgumentError.
 */
export async function listLectureNotebooks(
  notebooksDir: string,
  only: readonly string[] = [],
  solutions = false,
): Promise<LectureNotebook[]> {
  const list = async (sub: string): Promise<LectureNotebook[]> => {
    let names: string[];
    try {
      names = await fsp.readdir(path.join(notebooksDir, sub));
    } catch {
      return [];
    }
    return names
      .filter((n) => n.endsWith('.ipynb') && !n.startsWith('.'))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((n) => ({ file: path.join(notebooksDir, sub, n), relative: sub ? `${sub}/${n}` : n }));
  };
  const all = [...(await list('')), ...(solutions ? await list('solutions') : [])];
  if (only.length === 0) return all;
  const patterns = only.map((g) => ({ glob: g, re: globToRegExp(g) }));
  const hit = (nb: LectureNotebook, re: RegExp) => {
    const base = path.basename(nb.relative);
    return re.test(nb.relative) || re.test(base) || re.test(base.replace(/\.ipynb$/, ''));
  };
  for (const p of patterns) {
    if (!all.some((nb) => hit(nb, p.re))) {
      throw new InvalidArgumentError(
        '--only',
        p.glob,
        `expected a pattern matching one of: ${all.map((nb) => nb.relative).join(', ') || '(no notebooks found)'}`,
      );
    }
  }
  return all.filter((nb) => patterns.some((p) => hit(nb, p.re)));
}

/** Where the executed copy of `nb` goes: the same relative path under `outDir`. */
export function executedNotebookPath(outDir: string, nb: LectureNotebook): string {
  return path.join(outDir, ...nb.relative.split('/'));
}

/**
 * Executes the notebooks in order, writing each executed notebook under `options.outDir` and then
 * calling the sinks. Logs progress with `log`. Throws the first failure (NotebookCellError etc.).
 */
export async function runLecture(
  options: LectureOptions,
  notebooksDir = path.join(projectRoot(), 'notebooks'),
  sinks: readonly LectureSink[] = [],
  log: (line: string) => void = (l) => console.log(l),
): Promise<RunNotebookResult[]> {
  const notebooks = await listLectureNotebooks(notebooksDir, options.only, options.solutions);
  if (notebooks.length === 0)
    throw new InvalidArgumentError('notebooks', notebooksDir, 'expected a folder holding *.ipynb files');
  const results: RunNotebookResult[] = [];
  const t0 = Date.now();
  for (const [k, nb] of notebooks.entries()) {
    const outFile = executedNotebookPath(options.outDir, nb);
    const tag = `[${k + 1}/${notebooks.length}] ${nb.relative}`;
    log(`${tag} ...`);
    let cells = 0;
    const onCell = (cellIndex: number, ms: number) => {
      cells++;
      // Progress on the long steps (the measurement sweeps), so a minute of silence is explained.
      if (ms >= SLOW_CELL_MS) log(`${tag}   cell ${cellIndex} took ${seconds(ms)}`);
    };
    const result = await runNotebook(nb.file, { cellTimeoutS: options.timeoutS, outFile, onCell });
    for (const sink of sinks) await sink(result, nb);
    results.push(result);
    log(
      `${tag} ok: ${cells} code cells in ${seconds(result.totalMs)} (kernel start ${seconds(result.startMs)}) -> ${path.relative(process.cwd(), outFile)}`,
    );
  }
  log(
    `lecture: ${notebooks.length} notebook(s) in ${seconds(Date.now() - t0)}, written to ${path.relative(process.cwd(), options.outDir) || '.'}`,
  );
  return results;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * CLI entry: exit code 0 when every notebook ran, 1 on the first failure (message on stderr), 2 on
 * bad arguments. Writes the HTML pages and the index (also after a failure). `notebooksDir` is for tests.
 */
export async function main(
  argv: readonly string[] = process.argv.slice(2),
  notebooksDir = path.join(projectRoot(), 'notebooks'),
): Promise<number> {
  let options: LectureOptions;
  try {
    options = parseLectureArgs(argv);
  } catch (e) {
    return reportCliError('lecture', e);
  }
  const html = new LectureHtmlExporter(options.outDir);
  const t0 = Date.now();
  try {
    // Every notebook that exists is "known": with --only, the index keeps the others' earlier rows.
    html.plan(
      await listLectureNotebooks(notebooksDir, options.only, options.solutions),
      await listLectureNotebooks(notebooksDir, [], true),
    );
    await runLecture(options, notebooksDir, [html.sink]);
    await html.writeIndex(Date.now() - t0);
    return 0;
  } catch (e) {
    if (e instanceof InvalidArgumentError) {
      console.error(`lecture: ${e.message}`);
      return 2;
    }
    const msg = e instanceof FewstepError ? e.message : ((e as Error).stack ?? String(e));
    console.error(`lecture: FAILED\n${msg}`);
    await writeIndexAfterFailure(html, notebooksDir, e, Date.now() - t0);
    return 1;
  }
}

/** After a failed run, the index still lists what ran, the failure and what did not run (a failure to write it is only reported). */
async function writeIndexAfterFailure(
  html: LectureHtmlExporter,
  notebooksDir: string,
  error: unknown,
  totalMs: number,
): Promise<void> {
  try {
    if (error instanceof NotebookCellError)
      html.recordFailure(path.relative(notebooksDir, error.notebookPath).split(path.sep).join('/'), error);
    await html.writeIndex(totalMs);
  } catch (e) {
    console.error(`lecture: could not write the index page: ${(e as Error).message}`);
  }
}

if (require.main === module) {
  // Ctrl-C, kill, hang-up: leave through process.exit so the runner's exit hook kills the kernel and
  // removes its connection folder. Under `npm run lecture`, also leave when npm goes (npm does not pass
  // on a SIGKILL, and its shell may die of a SIGTERM without passing it on either).
  exitOnSignals();
  if (process.env.npm_lifecycle_event) exitWithParent();
  main().then((code) => process.exit(code));
}
