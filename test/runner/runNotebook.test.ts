import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  KernelError,
  NotebookCellError,
  NotebookFileError,
  TslabKernel,
  runNotebook,
  type Notebook,
} from '../../src/runner/index.js';

// Compiled to .build/test/runner/: the repository root is three levels up.
const repoRoot = path.resolve(__dirname, '..', '..', '..');
const smokeNotebook = path.join(repoRoot, 'notebooks', '00-smoke.ipynb');

/** Writes a notebook with one code cell per entry of `cells` into a fresh temp dir. */
async function writeNotebook(cells: string[]): Promise<{ dir: string; file: string }> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'fewstep-run-'));
  const nb: Notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } },
    cells: [
      { cell_type: 'markdown', source: '# test', metadata: {} },
      ...cells.map((source) => ({
        cell_type: 'code' as const,
        source,
        metadata: {},
        outputs: [],
        execution_count: null,
      })),
    ],
  };
  const file = path.join(dir, 'test.ipynb');
  await fsp.writeFile(file, JSON.stringify(nb));
  return { dir, file };
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const marker = (name: string) => `import * as nodeFs from 'fs';\nnodeFs.writeFileSync('${name}', 'ran');`;

describe('runNotebook on the tslab kernel', { timeout: 120_000 }, () => {
  test('the committed smoke notebook is stripped and declares the tslab kernelspec', async () => {
    const nb = JSON.parse(await fsp.readFile(smokeNotebook, 'utf8'));
    assert.deepEqual(nb.metadata.kernelspec, { name: 'tslab', display_name: 'TypeScript', language: 'typescript' });
    for (const cell of nb.cells.filter((c: { cell_type: string }) => c.cell_type === 'code')) {
      assert.deepEqual(cell.outputs, []);
      assert.equal(cell.execution_count, null);
    }
  });

  test('the smoke notebook runs and yields stdout text, a Plotly chart (JSON + HTML) and a PNG, written to the out file', async () => {
    const outFile = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), 'fewstep-out-')), 'smoke', '00-smoke.ipynb');
    const result = await runNotebook(smokeNotebook, { outFile, cellTimeoutS: 60 });
    const code = result.notebook.cells.filter((c) => c.cell_type === 'code');
    assert.deepEqual(
      code.map((c) => c.execution_count),
      code.map((_, i) => i + 1),
    );
    const outputs = code.flatMap((c) => c.outputs ?? []);
    const mimes = new Set(outputs.flatMap((o) => ('data' in o ? Object.keys(o.data) : [])));
    for (const mime of ['application/vnd.plotly.v1+json', 'text/html', 'image/png'])
      assert.ok(mimes.has(mime), `${mime} not in ${[...mimes].join(', ')}`);
    const stdout = outputs.map((o) => (o.output_type === 'stream' && o.name === 'stdout' ? o.text : '')).join('');
    assert.match(stdout, /tslab 1\.0\.22, TypeScript 5\.0\.4/);
    assert.match(stdout, /DDIMScheduler, 4 steps: 999, 749, 499, 249/);
    assert.equal(
      outputs.some((o) => o.output_type === 'error' || (o.output_type === 'stream' && o.name === 'stderr')),
      false,
    );
    const written = JSON.parse(await fsp.readFile(outFile, 'utf8'));
    assert.deepEqual(written, JSON.parse(JSON.stringify(result.notebook)));
  });

  test('a cell that does not compile stops the run with its index, first line and the compiler message; later cells do not run', async () => {
    const { dir, file } = await writeNotebook([marker('first.txt'), "const n: number = 'text';", marker('third.txt')]);
    const outFile = path.join(dir, 'out', 'test.ipynb');
    await assert.rejects(runNotebook(file, { outFile }), (e: unknown) => {
      assert.ok(e instanceof NotebookCellError, String(e));
      assert.equal(e.kind, 'error');
      assert.equal(e.cellIndex, 2);
      assert.equal(e.firstLine, "const n: number = 'text';");
      assert.match(e.stderr, /Type 'string' is not assignable to type 'number'/);
      assert.ok(
        e.message.includes(file) && e.message.includes('cell 2') && e.message.includes('not assignable'),
        e.message,
      );
      return true;
    });
    assert.ok(existsSync(path.join(dir, 'first.txt')), 'the first cell ran');
    assert.ok(!existsSync(path.join(dir, 'third.txt')), 'the cell after the failure did not run');
    assert.ok(!existsSync(outFile), 'no executed notebook is written for a failed run');
  });

  test('warning lines a cell writes to stderr reach the terminal (onWarning) and stay in the notebook', async () => {
    const { file } = await writeNotebook([
      "console.error('fewstep warning: cache file x.json holds an invalid value; recomputing it'); console.error('other noise');",
    ]);
    const seen: string[] = [];
    const result = await runNotebook(file, { onWarning: (line, cell) => seen.push(`${cell}: ${line}`) });
    assert.deepEqual(seen, ['1: fewstep warning: cache file x.json holds an invalid value; recomputing it']);
    const stderr = result.notebook.cells
      .flatMap((c) => (c.cell_type === 'code' ? (c.outputs ?? []) : []))
      .map((o) => (o.output_type === 'stream' && o.name === 'stderr' ? [o.text].flat().join('') : ''))
      .join('');
    assert.match(stderr, /fewstep warning: cache file x\.json/);
  });

  test('a cell that throws stops the run and the error names the exception from stderr', async () => {
    const { dir, file } = await writeNotebook(["throw new Error('boom in cell');", marker('second.txt')]);
    await assert.rejects(
      runNotebook(file),
      (e: unknown) =>
        e instanceof NotebookCellError &&
        e.cellIndex === 1 &&
        /Error: boom in cell/.test(e.stderr) &&
        /boom in cell/.test(e.message),
    );
    assert.ok(!existsSync(path.join(dir, 'second.txt')));
  });

  test('a cell that never finishes times out, is reported as such, and the run stops', async () => {
    const { dir, file } = await writeNotebook([
      'console.log("before");',
      'await new Promise(() => {});',
      marker('after.txt'),
    ]);
    await assert.rejects(runNotebook(file, { cellTimeoutS: 1.5 }), (e: unknown) => {
      assert.ok(e instanceof NotebookCellError, String(e));
      assert.equal(e.kind, 'timeout');
      assert.equal(e.code, 'E_CELL_TIMEOUT');
      assert.equal(e.cellIndex, 2);
      assert.match(e.message, /timed out: no reply within 1500 ms/);
      return true;
    });
    assert.ok(!existsSync(path.join(dir, 'after.txt')));
  });

  test(
    'a cell that exits the kernel process is reported as a dead kernel, not as a hang',
    { timeout: 30_000 },
    async () => {
      const { file } = await writeNotebook(['console.log("alive");', 'process.exit(1);', 'console.log("never");']);
      // The cell limit is far above the test's own timeout: only prompt death detection passes.
      await assert.rejects(runNotebook(file, { cellTimeoutS: 600 }), (e: unknown) => {
        assert.ok(e instanceof NotebookCellError, String(e));
        assert.equal(e.kind, 'kernel-died');
        assert.equal(e.code, 'E_KERNEL_DIED');
        assert.equal(e.cellIndex, 2);
        assert.match(e.message, /killed the kernel: the kernel process exited with code 1/);
        return true;
      });
    },
  );

  test('a missing notebook and a malformed one fail with NotebookFileError naming the path', async () => {
    const { dir } = await writeNotebook([]);
    const missing = path.join(dir, 'missing.ipynb');
    await assert.rejects(runNotebook(missing), (e: unknown) => e instanceof NotebookFileError && e.path === missing);
    const malformed = path.join(dir, 'malformed.ipynb');
    await fsp.writeFile(malformed, '{"nbformat": 4, "cells": [}');
    await assert.rejects(
      runNotebook(malformed),
      (e: unknown) => e instanceof NotebookFileError && e.path === malformed && /not valid JSON/.test(e.message),
    );
  });

  test('a bad cell timeout is rejected before a kernel starts', async () => {
    const { file } = await writeNotebook(['1']);
    await assert.rejects(runNotebook(file, { cellTimeoutS: 0 }), /cellTimeoutS = 0 is not allowed/);
  });
});

describe('TslabKernel', { timeout: 60_000 }, () => {
  test('runs in the given folder and leaves no process behind after shutdown', async () => {
    const { dir } = await writeNotebook([]);
    const kernel = await TslabKernel.start({ cwd: dir });
    const pid = kernel.pid as number;
    try {
      const out = await kernel.execute('console.log(process.cwd());', { timeoutMs: 30_000 });
      assert.equal(out.status, 'ok');
      assert.equal(out.executionCount, 1);
      assert.deepEqual(out.outputs, [
        { output_type: 'stream', name: 'stdout', text: (await fsp.realpath(dir)) + '\n' },
      ]);
    } finally {
      await kernel.shutdown();
    }
    assert.equal(processExists(pid), false, `kernel ${pid} still running`);
  });

  test('an idle kernel whose heartbeat stops answering is declared dead and killed', async () => {
    const { dir } = await writeNotebook([]);
    const kernel = await TslabKernel.start({ cwd: dir, heartbeatIntervalMs: 200, heartbeatTimeoutMs: 1_000 });
    const pid = kernel.pid as number;
    try {
      process.kill(pid, 'SIGSTOP'); // frozen, not exited: only the heartbeat can tell
      for (let i = 0; i < 100 && kernel.alive; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(kernel.alive, false);
      assert.match(kernel.deathReason ?? '', /heartbeat has been silent/);
      const out = await kernel.execute('1', { timeoutMs: 5_000 });
      assert.equal(out.status, 'kernel-died');
    } finally {
      await kernel.shutdown();
    }
    assert.equal(processExists(pid), false, `kernel ${pid} still running`);
  });
});

describe('kernel start-up failures', () => {
  test('a kernel that cannot start is reported with its own stderr, not waited on', { timeout: 30_000 }, async () => {
    const { dir } = await writeNotebook([]);
    await assert.rejects(TslabKernel.start({ cwd: dir, tslabBin: path.join(dir, 'no-such-tslab') }), (e: unknown) => {
      assert.ok(e instanceof KernelError, String(e));
      assert.equal(e.code, 'E_KERNEL_START');
      assert.match(e.message, /did not start: the kernel process exited with code 1/);
      assert.match(e.stderr, /no-such-tslab/);
      return true;
    });
  });
});

describe('NotebookCellError', () => {
  test('its message leaves out stack frames inside tslab and Node but keeps the cell frames', () => {
    const stderr = [
      'Error: boom',
      '    at evalmachine.<anonymous>:2:7',
      '    at Script.runInThisContext (node:vm:135:14)',
      '    at Object.execute (/p/node_modules/tslab/dist/executor.js:160:38)',
    ].join('\n');
    const e = new NotebookCellError('a.ipynb', 3, "throw new Error('boom')", 'error', '', stderr);
    assert.match(e.message, /^a\.ipynb: cell 3 failed/);
    assert.match(e.message, /evalmachine.<anonymous>:2:7/);
    assert.doesNotMatch(e.message, /node:vm|executor\.js/);
    assert.match(e.message, /\(2 stack frames inside tslab and Node omitted\)/);
    assert.equal(e.stderr, stderr, 'the property keeps the full text');
  });
});
