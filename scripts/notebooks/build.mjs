// Builds course notebooks from plain-text sources: node scripts/notebooks/build.mjs [--out <dir>] [name...]
//
// Names are `NN-name` (scripts/notebooks/NN-name.nb.txt -> notebooks/NN-name.ipynb) or
// `solutions/<name>` (scripts/notebooks/solutions/<name>.nb.txt -> notebooks/solutions/<name>.ipynb,
// the exercises' worked solutions); no names builds all of both.
//
// A source `scripts/notebooks/<name>.nb.txt` is a list of cells, each opened by a line
//   #%% md      (a markdown cell)    or    #%% code    (a TypeScript cell for the tslab kernel)
// The text up to the next `#%%` line is the cell, trailing blank lines dropped. The output
// `notebooks/<name>.ipynb` is nbformat 4.5 with outputs stripped and stable cell ids
// (<prefix>-<index>), so re-running the build gives the same bytes.
//
// It never overwrites work it did not write: a notebook whose bytes are neither what this script
// last wrote there (recorded in out/.notebook-build-state.json) nor the committed version (git HEAD)
// holds someone's edits or outputs (Jupyter autosaves): it is left alone, listed, and the exit code
// is 1. `--force` overwrites it anyway.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
// --out <dir>: write there instead of notebooks/ (the tests check that the committed notebooks are up to date).
const notebooksDir = outAt >= 0 ? path.resolve(args.splice(outAt, 2)[1]) : path.resolve(here, '..', '..', 'notebooks');
const forceAt = args.indexOf('--force');
const force = forceAt >= 0;
if (force) args.splice(forceAt, 1);
const unknownFlag = args.find((a) => a.startsWith('-'));
if (unknownFlag) {
  console.error(`build.mjs: unknown option ${unknownFlag} (expected --out <dir>, --force and notebook names)`);
  process.exit(2);
}
const repoRoot = path.resolve(here, '..', '..');
const stateFile = path.join(repoRoot, 'out', '.notebook-build-state.json');
const sha256 = (text) => createHash('sha256').update(text).digest('hex');

function readState() {
  try {
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    return state && typeof state === 'object' && !Array.isArray(state) ? state : {};
  } catch {
    return {};
  }
}

/** The committed (git HEAD) text of `file`, or undefined (not in git, or no git). */
function committedText(file) {
  const rel = path.relative(repoRoot, file).split(path.sep).join('/');
  if (rel.startsWith('..')) return undefined;
  try {
    return execFileSync('git', ['show', `HEAD:${rel}`], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 * 1024 * 1024 });
  } catch {
    return undefined;
  }
}

const state = readState();
const refused = [];

/** Writes `text` to `file` unless the file holds changes this script did not make (see the header). */
function writeNotebook(file, text) {
  if (existsSync(file)) {
    const current = readFileSync(file, 'utf8');
    if (current === text) {
      state[file] = sha256(text);
      return 'unchanged';
    }
    const ours = state[file] === sha256(current) || committedText(file) === current;
    if (!ours && !force) {
      refused.push(file);
      return 'NOT overwritten';
    }
  }
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
  state[file] = sha256(text);
  return 'written';
}

function parseCells(text, file) {
  const cells = [];
  let current = null;
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    const m = /^#%%\s*(md|code)\s*$/.exec(line);
    if (m) {
      current = { kind: m[1], lines: [] };
      cells.push(current);
    } else if (line.startsWith('#%%')) {
      throw new Error(`${file}: unknown cell marker ${JSON.stringify(line)} (expected "#%% md" or "#%% code")`);
    } else if (current) {
      current.lines.push(line);
    } else if (line.trim() !== '') {
      throw new Error(`${file}: text before the first "#%%" marker: ${JSON.stringify(line)}`);
    }
  }
  return cells.map((c) => {
    while (c.lines.length && c.lines[c.lines.length - 1].trim() === '') c.lines.pop();
    while (c.lines.length && c.lines[0].trim() === '') c.lines.shift();
    if (c.lines.length === 0) throw new Error(`${file}: an empty ${c.kind} cell`);
    return c;
  });
}

function toNotebook(cells, prefix) {
  return {
    cells: cells.map((c, i) => {
      const source = c.lines.map((l, j) => (j < c.lines.length - 1 ? l + '\n' : l));
      const id = `${prefix}-${String(i).padStart(2, '0')}`;
      return c.kind === 'md'
        ? { cell_type: 'markdown', id, metadata: {}, source }
        : { cell_type: 'code', execution_count: null, id, metadata: {}, outputs: [], source };
    }),
    metadata: {
      kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' },
      language_info: { codemirror_mode: { mode: 'typescript', name: 'javascript', typescript: true }, file_extension: '.ts', mimetype: 'text/typescript', name: 'typescript', version: '5.0.4' },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

const wanted = args;
mkdirSync(notebooksDir, { recursive: true });
const sourcesIn = (sub) => {
  try {
    return readdirSync(path.join(here, sub)).filter((f) => f.endsWith('.nb.txt')).map((f) => path.posix.join(sub, f.slice(0, -'.nb.txt'.length)));
  } catch {
    return [];
  }
};
const sources = [...sourcesIn(''), ...sourcesIn('solutions')];
for (const name of wanted.length ? wanted : sources) {
  const file = path.join(here, `${name}.nb.txt`);
  const cells = parseCells(readFileSync(file, 'utf8'), file);
  const isSolution = name.startsWith('solutions/');
  // Cell ids: nbNN-<index> for the course notebooks, <exN>-<index> for the solutions (e.g. ex1-03).
  const prefix = isSolution ? path.posix.basename(name).split('-')[0] : `nb${name.slice(0, 2)}`;
  const out = path.join(notebooksDir, `${name}.ipynb`);
  if (isSolution) mkdirSync(path.dirname(out), { recursive: true });
  const result = writeNotebook(out, JSON.stringify(toNotebook(cells, prefix), null, 1) + '\n');
  console.log(`${name}: ${cells.length} cells (${cells.filter((c) => c.kind === 'code').length} code) -> ${path.relative(process.cwd(), out)} (${result})`);
}
if (outAt < 0) {
  mkdirSync(path.dirname(stateFile), { recursive: true });
  writeFileSync(stateFile, JSON.stringify(state, null, 1) + '\n');
}
if (refused.length > 0) {
  console.error([
    `build.mjs: ${refused.length} notebook(s) hold changes this script did not make (edits, or outputs saved by Jupyter), so they were NOT overwritten:`,
    ...refused.map((f) => `  ${path.relative(process.cwd(), f)}`),
    'Save a copy of your work (e.g. File > Make a Copy in Jupyter), then run `node scripts/notebooks/build.mjs --force` to replace them.',
  ].join('\n'));
  process.exit(1);
}
