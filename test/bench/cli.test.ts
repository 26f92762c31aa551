import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { allOnFrontCloud, benchNotebooksHook, main, randomParetoCloud } from '../../src/cli/bench.js';

describe('npm run bench (src/cli/bench.ts), quick settings', () => {
  test('pareto --quick --json writes records whose fronts agreed with the oracle', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-bench-'));
    const out = path.join(dir, 'sub', 'bench.json');
    const lines: string[] = [];
    const records = await main(['pareto', '--quick', '--repeats', '1', '--json', out], (l) => lines.push(l));
    const saved = JSON.parse(fs.readFileSync(out, 'utf8')) as {
      suite: string;
      records: { name: string; settings: Record<string, unknown> }[];
    };
    assert.equal(saved.suite, 'pareto');
    assert.equal(saved.records.length, records.length);
    assert.deepEqual(
      saved.records.map((r) => r.name),
      ['pareto.front', 'pareto.front', 'pareto.front.vsNaive', 'pareto.naive', 'pareto.front.vsNaive', 'pareto.naive'],
    );
    assert.ok(lines.some((l) => /speed-up x/.test(l) && /fronts agree/.test(l)));
    assert.deepEqual(fs.readdirSync(path.dirname(out)), ['bench.json']); // no temporary file left behind
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the benchmark point sets are seeded and the all-on-front set is a permutation of (i, sqrt i)', () => {
    assert.deepEqual(randomParetoCloud(5, 9), randomParetoCloud(5, 9));
    const s = allOnFrontCloud(50, 1);
    assert.deepEqual(
      s.map((p) => p.cost).sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i),
    );
    for (const p of s) assert.equal(p.quality, Math.sqrt(p.cost));
  });

  test('an unknown suite or a bad --repeats throws InvalidArgumentError', async () => {
    await assert.rejects(
      main(['everything'], () => {}),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'suite',
    );
    await assert.rejects(
      main(['pareto', '--repeats', '0'], () => {}),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === '--repeats',
    );
  });

  test('the notebooks hook calls benchNotebooks() when the module exists and skips it otherwise', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-hook-'));
    const lines: string[] = [];
    assert.deepEqual(await benchNotebooksHook((l) => lines.push(l), path.join(dir, 'benchNotebooks.js')), []);
    assert.match(lines[0], /skipped: .* is not built/);
    const file = path.join(dir, 'withHook.js');
    fs.writeFileSync(file, "exports.benchNotebooks = async () => [{ name: 'notebook.fake' }];\n");
    assert.deepEqual(await benchNotebooksHook(() => {}, file), [{ name: 'notebook.fake' }]);
    const bare = path.join(dir, 'bare.js');
    fs.writeFileSync(bare, 'exports.other = 1;\n');
    lines.length = 0;
    assert.deepEqual(await benchNotebooksHook((l) => lines.push(l), bare), []);
    assert.match(lines[0], /exports no benchNotebooks/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
