import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp, readFileSync, readdirSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');
const TEACHER = path.join(root, 'models', 'scenes-teacher');
const LORA = path.join(root, 'models', 'scenes-lcm-lora', 'lora.safetensors');
const MODULE = path.resolve(__dirname, '..', '..', 'src', 'onnx', 'loraFolder.js');

/** sha256 of every file under `dir` (following a link at `dir`), by relative path. */
function treeHash(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p, `${rel}${name}/`);
      else out[`${rel}${name}`] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir, '');
  return out;
}

/**
 * Runs `n` child processes at once; each fuses (with `call`) three times in a row and, after each,
 * reads back every file of the folder it got, as a loader would. Resolves with their exit codes,
 * stderr and the last tree hash each saw.
 */
async function concurrentFuses(
  n: number,
  call: string,
): Promise<{ code: number | null; stderr: string; tree: string }[]> {
  const script = `
    const lf = require(${JSON.stringify(MODULE)});
    const fs = require('fs'), path = require('path'), crypto = require('crypto');
    const hash = (dir) => { const out = {}; const walk = (d, rel) => { for (const n of fs.readdirSync(d).sort()) {
      const p = path.join(d, n); if (fs.statSync(p).isDirectory()) walk(p, rel + n + '/');
      else out[rel + n] = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex'); } }; walk(dir, ''); return out; };
    let tree;
    for (let i = 0; i < 3; i++) { const r = ${call}; tree = hash(r.dir ?? process.argv[1]); }
    process.stdout.write(JSON.stringify(tree));`;
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<{ code: number | null; stderr: string; tree: string }>((resolve) => {
          const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (c) => (stdout += c));
          child.stderr.on('data', (c) => (stderr += c));
          child.on('exit', (code) => resolve({ code, stderr, tree: stdout }));
        }),
    ),
  );
}

describe('fused LCM-LoRA folders are keyed by content and published atomically', { timeout: 240_000 }, () => {
  test('six processes fusing into the same out folder at once all succeed and see identical bytes (fuseLcmLoraFolder)', async () => {
    const out = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), 'fewstep-fuse-')), 'lcm-lora-fused');
    const call = `lf.fuseLcmLoraFolder(${JSON.stringify(TEACHER)}, ${JSON.stringify(LORA)}, ${JSON.stringify(out)})`;
    const runs = await concurrentFuses(6, call);
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const reference = JSON.stringify(treeHash(out));
    for (const r of runs) assert.equal(r.tree, reference);
    assert.ok(JSON.parse(reference)['unet/model.onnx']);
    const left = (await fsp.readdir(path.dirname(out))).filter((n) => n.startsWith('.'));
    assert.deepEqual(left, [], 'no temporary or retired folders left');
  });

  test('six processes at once with the keyed folder: one folder, identical bytes, the others reuse it', async () => {
    const parent = await fsp.mkdtemp(path.join(os.tmpdir(), 'fewstep-fuse-keyed-'));
    const call = `lf.fusedLcmLoraFolder(${JSON.stringify(TEACHER)}, ${JSON.stringify(LORA)}, ${JSON.stringify(parent)})`;
    const runs = await concurrentFuses(6, call);
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const folders = await fsp.readdir(parent);
    assert.equal(folders.length, 1, folders.join(', '));
    assert.match(folders[0], /^lcm-lora-fused-[0-9a-f]{16}$/);
    const reference = JSON.stringify(treeHash(path.join(parent, folders[0])));
    for (const r of runs) assert.equal(r.tree, reference);
  });

  test('the same inputs reuse the folder; a changed LoRA file gets a new folder with a different UNet', async () => {
    const { fusedLcmLoraFolder, fuseLcmLoraFolder } = await import(MODULE);
    const parent = await fsp.mkdtemp(path.join(os.tmpdir(), 'fewstep-fuse-key-'));
    const first = fusedLcmLoraFolder(TEACHER, LORA, parent);
    assert.equal(first.reused, false);
    assert.ok(first.matched > 0);
    const again = fusedLcmLoraFolder(TEACHER, LORA, parent);
    assert.deepEqual({ ...again, reused: false }, first);
    assert.equal(again.reused, true);
    // A second LoRA: the same file with one weight byte changed (the last byte of the data section).
    const loraDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'fewstep-lora-'));
    const bytes = await fsp.readFile(LORA);
    bytes[bytes.length - 1] ^= 0x01;
    await fsp.writeFile(path.join(loraDir, 'lora.safetensors'), bytes);
    await fsp.copyFile(
      path.join(path.dirname(LORA), 'scheduler_config.json'),
      path.join(loraDir, 'scheduler_config.json'),
    );
    const other = fusedLcmLoraFolder(TEACHER, path.join(loraDir, 'lora.safetensors'), parent);
    assert.notEqual(other.dir, first.dir);
    assert.notEqual(other.key, first.key);
    assert.notEqual(treeHash(other.dir)['unet/model.onnx'], treeHash(first.dir)['unet/model.onnx']);
    assert.equal(treeHash(other.dir)['text_encoder/model.onnx'], treeHash(first.dir)['text_encoder/model.onnx']);
    // The compatible entry point switches its folder to the new content.
    const out = path.join(parent, 'compat');
    fuseLcmLoraFolder(TEACHER, LORA, out);
    assert.equal(treeHash(out)['unet/model.onnx'], treeHash(first.dir)['unet/model.onnx']);
    fuseLcmLoraFolder(TEACHER, path.join(loraDir, 'lora.safetensors'), out);
    assert.equal(treeHash(out)['unet/model.onnx'], treeHash(other.dir)['unet/model.onnx']);
  });

  test('a real folder left at the out path by an earlier version is replaced', async () => {
    const { fuseLcmLoraFolder } = await import(MODULE);
    const out = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), 'fewstep-fuse-old-')), 'lcm-lora-fused');
    await fsp.mkdir(path.join(out, 'unet'), { recursive: true });
    await fsp.writeFile(path.join(out, 'unet', 'model.onnx'), 'stale');
    const r = fuseLcmLoraFolder(TEACHER, LORA, out);
    assert.equal(r.dir, out);
    assert.notEqual(readFileSync(path.join(out, 'unet', 'model.onnx'), 'utf8').slice(0, 5), 'stale');
  });
});
