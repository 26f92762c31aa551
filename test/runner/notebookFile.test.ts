import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  NotebookFileError,
  firstSourceLine,
  readNotebook,
  stripOutputs,
  validateNotebook,
  writeNotebookAtomic,
  type Notebook,
} from '../../src/runner/index.js';

async function tempDir(): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), 'fewstep-nbfile-'));
}

const sample: Notebook = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [
    { cell_type: 'markdown', source: ['# Title\n'], metadata: {} },
    {
      cell_type: 'code',
      source: 'console.log(1)',
      metadata: {},
      outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }],
      execution_count: 3,
    },
  ],
};

describe('notebook files', () => {
  test('a missing notebook throws NotebookFileError naming the path', async () => {
    const file = path.join(await tempDir(), 'nope.ipynb');
    await assert.rejects(
      readNotebook(file),
      (e: unknown) =>
        e instanceof NotebookFileError && e.path === file && e.message.includes(file) && /no such file/.test(e.message),
    );
  });

  test('a folder in place of a notebook throws NotebookFileError naming the path', async () => {
    const dir = await tempDir();
    await assert.rejects(
      readNotebook(dir),
      (e: unknown) => e instanceof NotebookFileError && e.message.includes(dir) && /directory/.test(e.message),
    );
  });

  test('a file that is not JSON throws NotebookFileError naming the path', async () => {
    const file = path.join(await tempDir(), 'broken.ipynb');
    await fsp.writeFile(file, '{"cells": [');
    await assert.rejects(
      readNotebook(file),
      (e: unknown) => e instanceof NotebookFileError && e.message.includes(file) && /not valid JSON/.test(e.message),
    );
  });

  test('JSON that is not an nbformat-4 notebook is rejected with the field that is wrong', () => {
    assert.throws(() => validateNotebook('a.ipynb', []), /a\.ipynb: .*not a JSON object/);
    assert.throws(() => validateNotebook('a.ipynb', { nbformat: 3, cells: [] }), /nbformat = 3, expected 4/);
    assert.throws(() => validateNotebook('a.ipynb', { nbformat: 4 }), /"cells" is not an array/);
    assert.throws(
      () => validateNotebook('a.ipynb', { nbformat: 4, cells: [{ cell_type: 'python', source: '' }] }),
      /cells\[0\]\.cell_type = "python"/,
    );
    assert.throws(
      () => validateNotebook('a.ipynb', { nbformat: 4, cells: [{ cell_type: 'code', source: 7 }] }),
      /cells\[0\]\.source/,
    );
  });

  test('a valid notebook reads back with its cells', async () => {
    const file = path.join(await tempDir(), 'ok.ipynb');
    await fsp.writeFile(file, JSON.stringify(sample));
    const nb = await readNotebook(file);
    assert.equal(nb.cells.length, 2);
    assert.equal(nb.cells[1].source, 'console.log(1)');
  });

  test('writeNotebookAtomic creates the folder, writes nbformat JSON and leaves no temporary file', async () => {
    const dir = path.join(await tempDir(), 'deep', 'er');
    const file = path.join(dir, 'x.ipynb');
    await writeNotebookAtomic(file, sample);
    assert.deepEqual(await fsp.readdir(dir), ['x.ipynb']);
    assert.deepEqual(JSON.parse(await fsp.readFile(file, 'utf8')), sample);
  });

  test('stripOutputs empties outputs and execution counts of code cells only', () => {
    const stripped = stripOutputs(sample);
    assert.deepEqual(stripped.cells[1].outputs, []);
    assert.equal(stripped.cells[1].execution_count, null);
    assert.equal('outputs' in stripped.cells[0], false);
    assert.equal(sample.cells[1].execution_count, 3, 'the input is not modified');
  });

  test('firstSourceLine skips blank lines and shortens long ones', () => {
    assert.equal(firstSourceLine(['\n', '  const a = 1;\n', 'b']), 'const a = 1;');
    assert.equal(firstSourceLine('x'.repeat(150)).length, 100);
    assert.equal(firstSourceLine(''), '');
  });
});
