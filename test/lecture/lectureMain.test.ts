import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/lecture.js';

const notebook = (markdown: string, code: string) =>
  JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { cell_type: 'markdown', source: markdown, metadata: {} },
      { cell_type: 'code', source: code, metadata: {}, outputs: [], execution_count: null },
    ],
  });

test(
  'npm run lecture writes a page per executed notebook and an index that shows the failure and what did not run',
  { timeout: 90_000 },
  async (t) => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'fewstep-lecture-main-'));
    await fsp.writeFile(path.join(dir, '01-good.ipynb'), notebook('# Good one\n\n$x$', 'console.log("<ok>");'));
    await fsp.writeFile(path.join(dir, '02-bad.ipynb'), notebook('# Bad one', 'const x: number = "no";'));
    await fsp.writeFile(path.join(dir, '03-never.ipynb'), notebook('# Never', 'console.log(1);'));
    const out = path.join(dir, 'out');
    const logged: string[] = [];
    t.mock.method(console, 'log', (line: string) => void logged.push(line));
    t.mock.method(console, 'error', (line: string) => void logged.push(line));
    const code = await main(['--out', out, '--timeout', '60'], dir);
    t.mock.restoreAll();
    assert.equal(code, 1);
    const page = await fsp.readFile(path.join(out, '01-good.html'), 'utf8');
    assert.match(page, /<title>Good one<\/title>/);
    assert.match(page, /<pre class="out stream stdout">&lt;ok&gt;\n<\/pre>/);
    await assert.rejects(fsp.access(path.join(out, '02-bad.html')), 'no page for the failed notebook');
    const index = await fsp.readFile(path.join(out, 'index.html'), 'utf8');
    assert.match(index, /<a href="01-good\.html">Good one<\/a>[\s\S]*?status-ok/);
    assert.match(
      index,
      /02-bad<br><code>02-bad\.ipynb<\/code>[\s\S]*?status-failed[\s\S]*?<pre>[^<]*02-bad\.ipynb: cell 1 failed/,
    );
    assert.match(index, /03-never<br>[\s\S]*?status-not-run/);
    assert.ok(
      logged.some((l) => /html: .*01-good\.html/.test(l)),
      logged.join('\n'),
    );
    assert.ok(
      logged.some((l) => /html: .*index\.html \(3 notebooks, 1 ok\)/.test(l)),
      logged.join('\n'),
    );
    assert.ok(logged.some((l) => /^lecture: FAILED/.test(l)));
  },
);

test(
  'lecture --only X keeps the other notebooks of an earlier run in the index (and updates X)',
  { timeout: 120_000 },
  async (t) => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'fewstep-lecture-only-'));
    await fsp.writeFile(path.join(dir, '01-first.ipynb'), notebook('# First', 'console.log(1);'));
    await fsp.writeFile(path.join(dir, '02-second.ipynb'), notebook('# Second', 'console.log(2);'));
    const out = path.join(dir, 'out');
    const logged: string[] = [];
    t.mock.method(console, 'log', (line: string) => void logged.push(line));
    t.mock.method(console, 'error', (line: string) => void logged.push(line));
    assert.equal(await main(['--out', out, '--timeout', '60'], dir), 0, logged.join('\n'));
    await fsp.writeFile(path.join(dir, '02-second.ipynb'), notebook('# Second, revised', 'console.log(22);'));
    assert.equal(await main(['--out', out, '--timeout', '60', '--only', '02-*'], dir), 0, logged.join('\n'));
    t.mock.restoreAll();
    const index = await fsp.readFile(path.join(out, 'index.html'), 'utf8');
    assert.match(
      index,
      /<a href="01-first\.html">First<\/a>[\s\S]*?status-ok">ok<\/span> <span class="earlier-run">\(earlier run, \d{4}-\d\d-\d\d \d\d:\d\dZ\)/,
    );
    assert.match(index, /<a href="02-second\.html">Second, revised<\/a>[\s\S]*?status-ok">ok<\/span><\/td>/);
    assert.ok(index.indexOf('01-first.html') < index.indexOf('02-second.html'), 'lecture order');
    assert.match(index, /1 of 2 notebooks ran in [\d.]+ s; 1 row is from an earlier run\./);
    assert.ok(
      logged.some((l) => /index\.html \(2 notebooks, 1 ok, 1 from an earlier run\)/.test(l)),
      logged.join('\n'),
    );
    // A notebook removed from the folder drops out of the index at the next run.
    await fsp.rm(path.join(dir, '01-first.ipynb'));
    t.mock.method(console, 'log', () => {});
    assert.equal(await main(['--out', out, '--timeout', '60', '--only', '02-*'], dir), 0);
    t.mock.restoreAll();
    assert.doesNotMatch(await fsp.readFile(path.join(out, 'index.html'), 'utf8'), /01-first/);
  },
);
