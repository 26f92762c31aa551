import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fsp, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zmq from 'zeromq';
import { newConnectionInfo, writeConnectionFile } from '../../src/runner/connection.js';
import { patchZeromqBindRace } from '../../src/runner/kernelProcess.js';
import { NotebookCellError, runNotebook, type Notebook } from '../../src/runner/index.js';

const RUNNER = path.resolve(__dirname, '..', '..', 'src', 'runner', 'index.js');

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(what: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (what()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return what();
}

/**
 * A process that runs a kernel as the lecture does (exitOnSignals; exitWithParent when asked),
 * prints {pid, dir} of the kernel and its connection folder, then runs a cell that waits a minute.
 */
const HOLDER = `
  const r = require(${JSON.stringify(RUNNER)});
  const fs = require('fs'), os = require('os'), path = require('path');
  // (as the lecture CLI does; before exitOnSignals existed the lecture installed the same handlers inline)
  if (r.exitOnSignals) r.exitOnSignals();
  else for (const [s, c] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) process.on(s, () => process.exit(c));
  if (process.env.WATCH_PARENT && r.exitWithParent) r.exitWithParent(200);
  (async () => {
    const before = new Set(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('fewstep-kernel-')));
    const k = await r.TslabKernel.start({ cwd: fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-holder-')) });
    const dir = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('fewstep-kernel-') && !before.has(n)).map((n) => path.join(os.tmpdir(), n));
    process.stdout.write(JSON.stringify({ pid: k.pid, dir: dir[0] }) + '\\n');
    await k.execute('await new Promise((r) => setTimeout(r, 60000));', { timeoutMs: 90000 });
  })();`;

/** Starts `command` (a holder), resolves with it and the kernel's pid and connection folder. */
async function startHolder(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ holder: ChildProcess; pid: number; dir: string }> {
  const holder = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  holder.stderr?.on('data', (c) => (err += c));
  const line = await new Promise<string>((resolve, reject) => {
    holder.stdout?.on('data', (c) => {
      out += c;
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    holder.on('exit', (code) => reject(new Error(`holder exited ${code}: ${err}`)));
  });
  const { pid, dir } = JSON.parse(line) as { pid: number; dir: string };
  assert.ok(processExists(pid) && dir && existsSync(dir), line);
  return { holder, pid, dir };
}

describe('kernels die with the process that started them and leave no connection folder', { timeout: 240_000 }, () => {
  for (const signal of ['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    test(`${signal} to the runner process: the kernel is gone within 5 s and so is its connection folder`, async () => {
      const { holder, pid, dir } = await startHolder(process.execPath, ['-e', HOLDER]);
      await new Promise((r) => setTimeout(r, 500)); // the cell is running
      holder.kill(signal);
      assert.ok(
        await waitUntil(() => !processExists(pid), 5_000),
        `kernel ${pid} still running after ${signal} to its runner`,
      );
      assert.ok(await waitUntil(() => !existsSync(dir), 2_000), `${dir} still there after ${signal}`);
      if (processExists(pid)) process.kill(pid, 'SIGKILL');
    });
  }

  test('a runner under a killed parent (npm run, SIGKILL to npm) exits, and its kernel with it', async () => {
    // sh stands for npm: "; true" keeps sh as the parent (no exec), as npm is for `exec node ...`.
    const { holder, pid, dir } = await startHolder(
      'sh',
      ['-c', `"${process.execPath}" -e '${HOLDER.replace(/'/g, `'\\''`)}'; true`],
      { ...process.env, WATCH_PARENT: '1' },
    );
    holder.kill('SIGKILL');
    assert.ok(
      await waitUntil(() => !processExists(pid), 5_000),
      `kernel ${pid} still running after its runner's parent was killed`,
    );
    assert.ok(await waitUntil(() => !existsSync(dir), 2_000), `${dir} still there`);
  });

  test('connection files are created 0600 in a 0700 folder', async () => {
    const file = await writeConnectionFile(await newConnectionInfo());
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
    await fsp.rm(path.dirname(file), { recursive: true, force: true });
  });
});

async function notebookFile(cells: string[]): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'fewstep-async-'));
  const nb: Notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: cells.map((source) => ({
      cell_type: 'code' as const,
      source,
      metadata: {},
      outputs: [],
      execution_count: null,
    })),
  };
  const file = path.join(dir, 'async.ipynb');
  await fsp.writeFile(file, JSON.stringify(nb));
  return file;
}

describe('asynchronous errors in cells fail the notebook', { timeout: 240_000 }, () => {
  test('a throw inside setTimeout in the last cell is reported against that cell', async () => {
    const file = await notebookFile([
      'console.log("fine");',
      'setTimeout(() => { throw new Error("late boom"); }, 10);',
    ]);
    await assert.rejects(runNotebook(file, { cellTimeoutS: 60 }), (e: unknown) => {
      assert.ok(e instanceof NotebookCellError, String(e));
      assert.equal(e.kind, 'async-error');
      assert.equal(e.cellIndex, 1);
      assert.match(e.message, /asynchronous error[\s\S]*late boom/);
      return true;
    });
  });

  test('an unawaited rejected promise fails its cell before the next cell runs', async () => {
    const file = await notebookFile([
      'Promise.reject(new Error("nobody awaits me"));',
      'await new Promise((r) => setTimeout(r, 200));',
      'console.log("after");',
    ]);
    await assert.rejects(runNotebook(file, { cellTimeoutS: 60 }), (e: unknown) => {
      assert.ok(e instanceof NotebookCellError, String(e));
      assert.equal(e.kind, 'async-error');
      assert.ok(e.cellIndex <= 1, `cell ${e.cellIndex}`);
      assert.match(e.stderr, /unhandledRejection: Error: nobody awaits me/);
      return true;
    });
  });

  test('a notebook whose callbacks all succeed still passes', async () => {
    const file = await notebookFile(['setTimeout(() => console.log("tick"), 10);', 'await Promise.resolve(1);']);
    const r = await runNotebook(file, { cellTimeoutS: 60 });
    assert.equal(r.notebook.cells.length, 2);
  });
});

describe('zeromq bind race (issue 11 item 16)', () => {
  test('receive() while a bind is pending throws EBUSY unpatched, and waits for the bind when patched', async () => {
    const info = await newConnectionInfo();
    const plain = new zmq.Router();
    const p = plain.bind(`tcp://127.0.0.1:${info.shell_port}`);
    assert.throws(() => plain.receive(), /Socket is blocked by a bind or unbind operation/);
    await p;
    plain.close();
    assert.ok(patchZeromqBindRace(zmq as unknown as Record<string, unknown>) >= 5);
    const patched = new zmq.Router();
    const q = patched.bind(`tcp://127.0.0.1:${info.control_port}`);
    const pending = patched.receive(); // no throw: waits for the bind, then for a message
    await q;
    const client = new zmq.Dealer();
    client.connect(`tcp://127.0.0.1:${info.control_port}`);
    await client.send('hello');
    const [, body] = await pending;
    assert.equal(body.toString(), 'hello');
    client.close();
    patched.close();
  });
});
