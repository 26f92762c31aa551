import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { NotebookFileError } from './errors.js';

/** nbformat's multiline string: one string, or a list of lines joined as they are. */
export type MultilineString = string | string[];

/** One nbformat-4 output. */
export type NotebookOutput =
  | { output_type: 'stream'; name: 'stdout' | 'stderr'; text: MultilineString }
  | { output_type: 'display_data'; data: Record<string, unknown>; metadata: Record<string, unknown> }
  | {
      output_type: 'execute_result';
      data: Record<string, unknown>;
      metadata: Record<string, unknown>;
      execution_count: number | null;
    }
  | { output_type: 'error'; ename: string; evalue: string; traceback: string[] };

/** One nbformat-4 cell (fields this runner reads or writes; others are kept as they are). */
export interface NotebookCell {
  cell_type: 'code' | 'markdown' | 'raw';
  source: MultilineString;
  metadata: Record<string, unknown>;
  outputs?: NotebookOutput[];
  execution_count?: number | null;
  [key: string]: unknown;
}

/** An nbformat-4 notebook. */
export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: NotebookCell[];
}

/** The text of a multiline string. */
export function joinSource(source: MultilineString): string {
  return Array.isArray(source) ? source.join('') : source;
}

/** The first non-blank line of a cell's source (trimmed, at most 100 characters), for error messages. */
export function firstSourceLine(source: MultilineString): string {
  const line =
    joinSource(source)
      .split('\n')
      .find((l) => l.trim() !== '') ?? '';
  const t = line.trim();
  return t.length > 100 ? t.slice(0, 97) + '...' : t;
}

/**
 * Checks that `value` is an nbformat-4 notebook (the fields the runner relies on) and returns it typed.
 * Throws NotebookFileError naming `file` and the first field that is wrong.
 */
export function validateNotebook(file: string, value: unknown): Notebook {
  const fail = (what: string): never => {
    throw new NotebookFileError(file, `not an nbformat 4 notebook: ${what}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('the top level is not a JSON object');
  const nb = value as Record<string, unknown>;
  if (nb.nbformat !== 4) fail(`nbformat = ${JSON.stringify(nb.nbformat)}, expected 4`);
  if (!Array.isArray(nb.cells)) fail('"cells" is not an array');
  (nb.cells as unknown[]).forEach((c, i) => {
    if (typeof c !== 'object' || c === null) fail(`cells[${i}] is not an object`);
    const cell = c as Record<string, unknown>;
    if (cell.cell_type !== 'code' && cell.cell_type !== 'markdown' && cell.cell_type !== 'raw') {
      fail(`cells[${i}].cell_type = ${JSON.stringify(cell.cell_type)}, expected "code", "markdown" or "raw"`);
    }
    const src = cell.source;
    if (typeof src !== 'string' && !(Array.isArray(src) && src.every((s) => typeof s === 'string'))) {
      fail(`cells[${i}].source is neither a string nor a list of strings`);
    }
  });
  return {
    nbformat: 4,
    nbformat_minor: typeof nb.nbformat_minor === 'number' ? nb.nbformat_minor : 5,
    metadata: typeof nb.metadata === 'object' && nb.metadata !== null ? (nb.metadata as Record<string, unknown>) : {},
    cells: (nb.cells as NotebookCell[]).map((c) => ({ ...c, metadata: c.metadata ?? {} })),
  };
}

/** Reads and validates a notebook; a missing, unreadable or non-JSON file throws NotebookFileError naming the path. */
export async function readNotebook(file: string): Promise<Notebook> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'ENOENT'
        ? 'no such file'
        : err.code === 'EISDIR'
          ? 'is a directory, not a notebook file'
          : `cannot be read (${err.code ?? err.message})`;
    throw new NotebookFileError(file, why);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new NotebookFileError(file, `is not valid JSON (${(e as Error).message})`);
  }
  return validateNotebook(file, json);
}

/** The notebook as nbformat writes it: one-space indent, trailing newline. */
export function serializeNotebook(nb: Notebook): string {
  return JSON.stringify(nb, null, 1) + '\n';
}

/**
 * Writes `nb` to `file` atomically: a temporary file in the same folder, then a rename, so a reader
 * never sees half a notebook. Creates the folder if needed.
 */
export async function writeNotebookAtomic(file: string, nb: Notebook): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  try {
    await fsp.writeFile(tmp, serializeNotebook(nb), 'utf8');
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

/** A copy of `nb` without outputs and execution counts: the form notebooks are committed in. */
export function stripOutputs(nb: Notebook): Notebook {
  return {
    ...nb,
    cells: nb.cells.map((c) => (c.cell_type === 'code' ? { ...c, outputs: [], execution_count: null } : { ...c })),
  };
}
