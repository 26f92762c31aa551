import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

// The shipped models stay under their size budget (issue 12: models/ under 45 MB, counted in MiB as
// `du -sh` does): every file under models/ except the recipe's ignored work dir and eval:models'
// fused LCM-LoRA folders; symlinks (the students' shared text encoder and autoencoder) count as links.
const ROOT = path.resolve(__dirname, '..', '..', '..');
const BUDGET_MIB = 45;

function sizeOf(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.name === '.work' || e.name.startsWith('.lcm-lora-fused') || e.name === '__pycache__') continue;
    if (e.isSymbolicLink()) continue;
    if (e.isDirectory()) total += sizeOf(p);
    else if (e.isFile()) total += fs.statSync(p).size;
  }
  return total;
}

test(`models/ stays under ${BUDGET_MIB} MiB`, () => {
  const mib = sizeOf(path.join(ROOT, 'models')) / 1024 / 1024;
  assert.ok(mib < BUDGET_MIB, `models/ holds ${mib.toFixed(1)} MiB`);
  assert.ok(mib > 10, `models/ holds ${mib.toFixed(1)} MiB: the shipped family is missing`);
});
