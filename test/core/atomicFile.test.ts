import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic, writeFileAtomicSync } from '../../src/core/atomicFile.js';

test('writeFileAtomicSync and writeFileAtomic create the folder, write the whole file and leave no temporary file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-atomic-'));
  try {
    writeFileAtomicSync(path.join(dir, 'a', 'x.json'), '{"a":1}');
    await writeFileAtomic(path.join(dir, 'a', 'y.bin'), new Uint8Array([1, 2, 3]));
    assert.equal(fs.readFileSync(path.join(dir, 'a', 'x.json'), 'utf8'), '{"a":1}');
    assert.deepEqual([...fs.readFileSync(path.join(dir, 'a', 'y.bin'))], [1, 2, 3]);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'a')).sort(), ['x.json', 'y.bin']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed rename keeps the old file whole and removes the temporary file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-atomic-'));
  try {
    // The target is a non-empty folder: rename over it fails after the temporary file was written.
    fs.mkdirSync(path.join(dir, 'target'));
    fs.writeFileSync(path.join(dir, 'target', 'keep.txt'), 'old');
    assert.throws(() => writeFileAtomicSync(path.join(dir, 'target'), 'new'));
    assert.deepEqual(fs.readdirSync(dir), ['target']);
    assert.equal(fs.readFileSync(path.join(dir, 'target', 'keep.txt'), 'utf8'), 'old');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
