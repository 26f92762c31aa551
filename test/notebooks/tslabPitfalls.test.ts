/** scripts/notebooks/tslabPitfalls.mjs: shorthand properties naming an earlier cell's variable (tslab cannot run them). */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

interface Found {
  cell: number;
  name: string;
  line: number;
}
interface Pitfalls {
  crossCellShorthands(cells: unknown): Found[];
  topLevelNames(code: string): Set<string>;
}
const MODULE = pathToFileURL(path.resolve(__dirname, '..', '..', '..', 'scripts', 'notebooks', 'tslabPitfalls.mjs')).href;
const load = async () => (await import(MODULE)) as Pitfalls;

describe('tslab pitfalls in notebook cells', () => {
  test('a shorthand of an earlier cell variable is found, with its cell and line', async () => {
    const { crossCellShorthands } = await load();
    const cells = ['const a = 1;\nconst b = await Promise.resolve(2);', 'const c = 3;\nconsole.log({ c, x: a },\n  { b });'];
    assert.deepEqual(crossCellShorthands(cells), [{ cell: 1, name: 'b', line: 3 }]);
  });

  test('every kind of top-level declaration counts: destructuring, functions, classes, enums, imports', async () => {
    const { crossCellShorthands, topLevelNames } = await load();
    const first = [
      "import * as fs from '../dist/index';",
      "import path, { join as j } from 'node:path';",
      'const { p, q: [r, , s] } = obj;',
      'function f() {}',
      'class K {}',
      'enum E { A }',
      'let t = 1;',
    ].join('\n');
    assert.deepEqual([...topLevelNames(first)].sort(), ['E', 'K', 'f', 'fs', 'j', 'p', 'path', 'r', 's', 't']);
    const found = crossCellShorthands([first, 'emit({ fs, path, j, p, r, s, f, K, E, t, q, obj });']).map((x) => x.name);
    // q is a property key in the pattern, not a binding; obj is never declared: neither is reported.
    assert.deepEqual(found, ['fs', 'path', 'j', 'p', 'r', 's', 'f', 'K', 'E', 't']);
  });

  test("a name the cell binds itself (top level, local or parameter) is the cell's own, not reported", async () => {
    const { crossCellShorthands } = await load();
    const cells = [
      'const a = 1;\nconst b = 2;\nconst c = 3;',
      'const a = 10;\nconst g = (b: number) => ({ b });\nfunction h() {\n  const c = 4;\n  return { c };\n}\nconsole.log({ a });',
    ];
    assert.deepEqual(crossCellShorthands(cells), []);
  });

  test('a later declaration does not count for an earlier cell; nested objects and arguments are searched', async () => {
    const { crossCellShorthands } = await load();
    assert.deepEqual(crossCellShorthands(['console.log({ z });', 'const z = 1;']), []);
    assert.deepEqual(crossCellShorthands(['const z = 1;', 'f(1, { a: [{ z }] });']), [{ cell: 1, name: 'z', line: 1 }]);
  });

  test('bad input: an error naming cells', async () => {
    const { crossCellShorthands } = await load();
    assert.throws(() => crossCellShorthands('const a = 1;'), /cells: expected an array of code strings/);
    assert.throws(() => crossCellShorthands(['ok', 3]), /cells: expected an array of code strings/);
  });
});
