// Runs the compiled tests (npm test): first every .build/test/**/*.test.js except the serial ones,
// two files at a time; then each *.serial.test.js alone, on an otherwise idle machine (the whole
// lecture on the shipped model: its notebooks time methods against each other, which a second test
// file running beside it would distort). Exits non-zero if either phase fails. Extra arguments go
// to node --test (e.g. --test-name-pattern).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const testDir = path.join(root, '.build', 'test');
const files = readdirSync(testDir, { recursive: true })
  .map((f) => String(f))
  .filter((f) => f.endsWith('.test.js'))
  // Only files whose source still exists (tsc never deletes the output of a removed test).
  .filter((f) => existsSync(path.join(root, 'test', f.replace(/\.js$/, '.ts'))))
  .sort()
  .map((f) => path.join(testDir, f));
const serial = files.filter((f) => f.endsWith('.serial.test.js'));
const parallel = files.filter((f) => !serial.includes(f));
const extra = process.argv.slice(2);
let failed = false;
for (const [label, group, concurrency] of [
  ['parallel', parallel, 2],
  ['serial', serial, 1],
]) {
  if (group.length === 0) continue;
  console.log(`\n# ${label} phase: ${group.length} test file(s)`);
  const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...extra, ...group], {
    stdio: 'inherit',
    cwd: root,
  });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
