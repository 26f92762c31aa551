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
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
// --out <dir>: write there instead of notebooks/ (the tests check that the committed notebooks are up to date).
const notebooksDir = outAt >= 0 ? path.resolve(args.splice(outAt, 2)[1]) : path.resolve(here, '..', '..', 'notebooks');

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
  writeFileSync(out, JSON.stringify(toNotebook(cells, prefix), null, 1) + '\n');
  console.log(`${name}: ${cells.length} cells (${cells.filter((c) => c.kind === 'code').length} code) -> ${path.relative(process.cwd(), out)}`);
}
