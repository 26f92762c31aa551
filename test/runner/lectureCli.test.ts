import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidArgumentError } from '../../src/core/errors.js';
import {
  executedNotebookPath,
  globToRegExp,
  listLectureNotebooks,
  parseLectureArgs,
  runLecture,
} from '../../src/cli/lecture.js';
import { NotebookCellError } from '../../src/runner/index.js';

async function notebooksFolder(names: string[]): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'fewstep-lecture-'));
  for (const n of names) {
    await fsp.mkdir(path.dirname(path.join(dir, n)), { recursive: true });
    await fsp.writeFile(path.join(dir, n), '{}');
  }
  return dir;
}

describe('npm run lecture: arguments', () => {
  test('defaults: all notebooks, 120 s per cell, out/lecture under the project root, no solutions', () => {
    assert.deepEqual(parseLectureArgs([], '/proj'), {
      only: [],
      timeoutS: 120,
      outDir: path.resolve('/proj/out/lecture'),
      solutions: false,
    });
  });

  test('--only may repeat, --timeout takes seconds, --out is relative to the project root', () => {
    const o = parseLectureArgs(
      ['--only', '01-*', '--only', '03*', '--timeout', '30', '--out', 'tmp/x', '--solutions'],
      '/proj',
    );
    assert.deepEqual(o, { only: ['01-*', '03*'], timeoutS: 30, outDir: path.resolve('/proj/tmp/x'), solutions: true });
  });

  test('a non-numeric or non-positive --timeout is rejected naming the option', () => {
    assert.throws(
      () => parseLectureArgs(['--timeout', 'soon']),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === '--timeout',
    );
    assert.throws(
      () => parseLectureArgs(['--timeout', '0']),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === '--timeout',
    );
  });

  test('unknown options and stray arguments are rejected with the usage', () => {
    assert.throws(() => parseLectureArgs(['--html']), /--html.*expected \[--only <glob>\]/s);
    assert.throws(() => parseLectureArgs(['notebooks/01.ipynb']), InvalidArgumentError);
  });
});

describe('npm run lecture: which notebooks', () => {
  test('globs: * stays within a path segment, ** crosses segments, ? is one character', () => {
    assert.ok(globToRegExp('01-*.ipynb').test('01-ddpm.ipynb'));
    assert.ok(!globToRegExp('*.ipynb').test('solutions/01.ipynb'));
    assert.ok(globToRegExp('**.ipynb').test('solutions/01.ipynb'));
    assert.ok(globToRegExp('0?-x').test('01-x'));
    assert.ok(!globToRegExp('a.b').test('axb'), 'dots are literal');
  });

  test('lists *.ipynb in name order and leaves out solutions/ unless asked', async () => {
    const dir = await notebooksFolder([
      '02-b.ipynb',
      '00-smoke.ipynb',
      '01-a.ipynb',
      'notes.md',
      'solutions/01-a.ipynb',
    ]);
    const plain = await listLectureNotebooks(dir);
    assert.deepEqual(
      plain.map((n) => n.relative),
      ['00-smoke.ipynb', '01-a.ipynb', '02-b.ipynb'],
    );
    assert.equal(plain[0].file, path.join(dir, '00-smoke.ipynb'));
    const all = await listLectureNotebooks(dir, [], true);
    assert.deepEqual(
      all.map((n) => n.relative),
      ['00-smoke.ipynb', '01-a.ipynb', '02-b.ipynb', 'solutions/01-a.ipynb'],
    );
  });

  test('--only matches the file name with or without .ipynb, and the relative path', async () => {
    const dir = await notebooksFolder(['00-smoke.ipynb', '01-a.ipynb', '02-b.ipynb', 'solutions/01-a.ipynb']);
    assert.deepEqual(
      (await listLectureNotebooks(dir, ['01-*'])).map((n) => n.relative),
      ['01-a.ipynb'],
    );
    assert.deepEqual(
      (await listLectureNotebooks(dir, ['02-b'])).map((n) => n.relative),
      ['02-b.ipynb'],
    );
    assert.deepEqual(
      (await listLectureNotebooks(dir, ['01-*'], true)).map((n) => n.relative),
      ['01-a.ipynb', 'solutions/01-a.ipynb'],
    );
    assert.deepEqual(
      (await listLectureNotebooks(dir, ['solutions/*'], true)).map((n) => n.relative),
      ['solutions/01-a.ipynb'],
    );
  });

  test('an --only pattern that matches nothing is an error listing the notebooks', async () => {
    const dir = await notebooksFolder(['00-smoke.ipynb']);
    await assert.rejects(
      listLectureNotebooks(dir, ['09-*']),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === '--only' && e.message.includes('00-smoke.ipynb'),
    );
  });

  test('executed notebooks keep their relative path under the output folder', () => {
    assert.equal(
      executedNotebookPath('/o', { file: '/n/solutions/a.ipynb', relative: 'solutions/a.ipynb' }),
      path.join('/o', 'solutions', 'a.ipynb'),
    );
  });
});

describe('npm run lecture: running', { timeout: 60_000 }, () => {
  test('runs notebooks in name order, writes each executed notebook, and stops at the first failing one', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'fewstep-lecture-run-'));
    const nb = (source: string) =>
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [{ cell_type: 'code', source, metadata: {}, outputs: [], execution_count: null }],
      });
    await fsp.writeFile(path.join(dir, '01-good.ipynb'), nb('console.log("good");'));
    await fsp.writeFile(path.join(dir, '02-bad.ipynb'), nb('const x: number = "no";'));
    await fsp.writeFile(path.join(dir, '03-never.ipynb'), nb('console.log("never");'));
    const outDir = path.join(dir, 'out');
    const lines: string[] = [];
    const sunk: string[] = [];
    const options = { only: [], timeoutS: 60, outDir, solutions: false };
    await assert.rejects(
      runLecture(
        options,
        dir,
        [(r, n) => void sunk.push(`${n.relative}:${r.notebook.cells[0].outputs?.length}`)],
        (l) => lines.push(l),
      ),
      (e: unknown) =>
        e instanceof NotebookCellError && e.notebookPath === path.join(dir, '02-bad.ipynb') && e.cellIndex === 0,
    );
    const good = JSON.parse(await fsp.readFile(path.join(outDir, '01-good.ipynb'), 'utf8'));
    assert.deepEqual(good.cells[0].outputs, [{ output_type: 'stream', name: 'stdout', text: 'good\n' }]);
    assert.deepEqual(await fsp.readdir(outDir), ['01-good.ipynb']);
    assert.deepEqual(sunk, ['01-good.ipynb:1']);
    assert.match(lines[0], /^\[1\/3\] 01-good\.ipynb \.\.\.$/);
    assert.match(lines[1], /^\[1\/3\] 01-good\.ipynb ok: 1 code cells in \d+\.\d s/);
    assert.match(lines[2], /^\[2\/3\] 02-bad\.ipynb \.\.\.$/);
    assert.equal(lines.length, 3);
  });
});
