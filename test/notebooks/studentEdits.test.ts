import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkNotebookSources } from './sourcesCheck.js';
import { repoRoot } from './support.js';

// Issue 11 item 13: opening a notebook in Jupyter (autosave writes outputs into it) must neither fail
// the tests nor let build.mjs wipe the student's work. A small git repository in a temp folder with
// this project's build.mjs and one notebook source stands in for a student's checkout.
const SOURCE = '#%% md\n# A notebook\n\n#%% code\nconsole.log(1);\n';

describe("a student's work in notebooks/", () => {
  let dir = '';
  const nbFile = () => path.join(dir, 'notebooks', '01-a.ipynb');
  const build = (...args: string[]) => spawnSync(process.execPath, [path.join(dir, 'scripts', 'notebooks', 'build.mjs'), ...args], { cwd: dir, encoding: 'utf8' });
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir, stdio: 'pipe' });
  /** What Jupyter's autosave writes after a run: outputs and an execution count. */
  const runInJupyter = () => {
    const nb = JSON.parse(readFileSync(nbFile(), 'utf8'));
    nb.cells[1].outputs = [{ output_type: 'stream', name: 'stdout', text: '1\n' }];
    nb.cells[1].execution_count = 1;
    nb.cells[1].source = ['console.log(2); // my change'];
    writeFileSync(nbFile(), JSON.stringify(nb, null, 1) + '\n');
  };

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'fewstep-student-'));
    mkdirSync(path.join(dir, 'scripts', 'notebooks'), { recursive: true });
    mkdirSync(path.join(dir, 'notebooks', 'solutions'), { recursive: true });
    copyFileSync(path.join(repoRoot, 'scripts', 'notebooks', 'build.mjs'), path.join(dir, 'scripts', 'notebooks', 'build.mjs'));
    writeFileSync(path.join(dir, 'scripts', 'notebooks', '01-a.nb.txt'), SOURCE);
    assert.equal(build().status, 0);
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'course');
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a pristine checkout passes the check', () => {
    assert.deepEqual(checkNotebookSources(dir).problems, []);
  });
  test('a notebook run and edited in Jupyter does not fail the check: its committed version is checked instead', () => {
    runInJupyter();
    const check = checkNotebookSources(dir);
    assert.deepEqual(check.problems, []);
    assert.match(check.notes.join('\n'), /01-a\.ipynb has local edits/);
  });
  test('build.mjs refuses to overwrite it (exit 1, file untouched, says how), and --force does', () => {
    const before = readFileSync(nbFile(), 'utf8');
    const r = build();
    assert.equal(r.status, 1);
    assert.match(r.stderr, /NOT overwritten[\s\S]*01-a\.ipynb[\s\S]*--force/);
    assert.equal(readFileSync(nbFile(), 'utf8'), before);
    assert.equal(build('--force').status, 0);
    assert.doesNotMatch(readFileSync(nbFile(), 'utf8'), /my change/);
  });
  test('a source edited without rebuilding is still caught; building after repeated source edits needs no --force', () => {
    writeFileSync(path.join(dir, 'scripts', 'notebooks', '01-a.nb.txt'), SOURCE + '\n#%% md\nMore.\n');
    assert.match(checkNotebookSources(dir).problems.join('\n'), /01-a\.ipynb is out of date: run node scripts\/notebooks\/build\.mjs/);
    assert.equal(build().status, 0);
    writeFileSync(path.join(dir, 'scripts', 'notebooks', '01-a.nb.txt'), SOURCE + '\n#%% md\nEven more.\n');
    const r = build();
    assert.equal(r.status, 0, r.stderr);
    assert.match(readFileSync(nbFile(), 'utf8'), /Even more/);
    assert.deepEqual(checkNotebookSources(dir).problems, []);
  });
  test('.ipynb_checkpoints/ is ignored by git', () => {
    assert.match(readFileSync(path.join(repoRoot, '.gitignore'), 'utf8'), /^\.ipynb_checkpoints\/$/m);
  });
});
