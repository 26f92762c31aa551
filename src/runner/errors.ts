import { FewstepError } from '../core/errors.js';

/** A notebook file is missing, unreadable, not JSON, or not an nbformat-4 notebook; `path` names it. */
export class NotebookFileError extends FewstepError {
  readonly path: string;
  constructor(path: string, message: string) {
    super('E_NOTEBOOK_FILE', `${path}: ${message}`);
    this.path = path;
  }
}

/** What went wrong with one cell: the kernel replied 'error' or 'abort', the cell timed out, or the kernel died. */
export type CellFailureKind = 'error' | 'abort' | 'timeout' | 'kernel-died' | 'async-error';

/**
 * A code cell failed while a notebook ran. `cellIndex` is the 0-based index in the notebook's
 * `cells` array (markdown cells count), `firstLine` the cell's first source line and `stderr` what
 * the kernel wrote to stderr for that cell (tslab reports compile and runtime errors only there).
 */
export class NotebookCellError extends FewstepError {
  readonly notebookPath: string;
  readonly cellIndex: number;
  readonly firstLine: string;
  readonly kind: CellFailureKind;
  readonly stderr: string;
  constructor(
    notebookPath: string,
    cellIndex: number,
    firstLine: string,
    kind: CellFailureKind,
    detail: string,
    stderr: string,
  ) {
    const what: Record<CellFailureKind, string> = {
      error: 'failed (execute_reply status "error")',
      abort: 'was aborted by the kernel (execute_reply status "abort")',
      timeout: 'timed out',
      'kernel-died': 'killed the kernel',
      'async-error':
        'raised an asynchronous error (an uncaught exception in a callback or an unhandled promise rejection)',
    };
    const lines = [
      `${notebookPath}: cell ${cellIndex} ${what[kind]}${detail ? `: ${detail}` : ''}`,
      `  first line: ${firstLine}`,
    ];
    if (stderr.trim()) lines.push('  stderr:', ...withoutKernelFrames(stderr).map((l) => `    ${l}`));
    super(
      kind === 'timeout' ? 'E_CELL_TIMEOUT' : kind === 'kernel-died' ? 'E_KERNEL_DIED' : 'E_CELL_FAILED',
      lines.join('\n'),
    );
    this.notebookPath = notebookPath;
    this.cellIndex = cellIndex;
    this.firstLine = firstLine;
    this.kind = kind;
    this.stderr = stderr;
  }
}

/** The kernel could not be started, stopped answering, or exited; `stderr` holds its last own output. */
export class KernelError extends FewstepError {
  readonly stderr: string;
  constructor(code: 'E_KERNEL_START' | 'E_KERNEL_DIED' | 'E_KERNEL_TIMEOUT', message: string, stderr = '') {
    super(code, stderr.trim() ? `${message}\n  kernel stderr:\n${indent(stderr)}` : message);
    this.stderr = stderr;
  }
}

function indent(text: string): string {
  return text
    .replace(/\s+$/, '')
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

const KERNEL_FRAME = /^\s+at .*(node_modules[\\/]tslab[\\/]|node_modules[\\/]commander[\\/]|node:vm|node:internal)/;

/** The lines of `stderr` without stack frames inside tslab and Node (they say nothing about the cell). */
function withoutKernelFrames(stderr: string): string[] {
  const lines = stderr.replace(/\s+$/, '').split('\n');
  const kept = lines.filter((l) => !KERNEL_FRAME.test(l));
  const dropped = lines.length - kept.length;
  if (dropped > 0) kept.push(`(${dropped} stack frame${dropped === 1 ? '' : 's'} inside tslab and Node omitted)`);
  return kept;
}
