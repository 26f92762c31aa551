import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadPipeline } from '../../src/onnx/pipeline.js';

// The shipped-model recipe's smoke run: every stage for a few iterations, ONNX export into a temp
// dir, then the exported models load and generate through our own pipeline (onnxruntime-node).
// Needs Debian's python3-torch and python3-onnx (.ci/run installs them); skipped with the reason
// elsewhere, a failure under CI=true.
const PY = '/usr/bin/python3';
const ROOT = path.resolve(__dirname, '..', '..', '..');
const hasTorch = fs.existsSync(PY) && spawnSync(PY, ['-c', 'import torch, onnx'], { stdio: 'ignore' }).status === 0;
const inCi = process.env.CI === 'true';

test(
  'the scenes recipe runs every stage in smoke mode and its exports generate through our pipeline',
  {
    skip: !hasTorch && !inCi ? `${PY} lacks torch/onnx (apt-get install python3-torch python3-onnx)` : false,
    timeout: 600_000,
  },
  async () => {
    assert.ok(hasTorch, `CI=true but ${PY} cannot import torch and onnx`);
    const r = spawnSync(PY, [path.join(ROOT, 'models', 'recipes', 'scenes', 'train.py'), '--smoke'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 580_000,
    });
    assert.equal(
      r.status,
      0,
      `train.py --smoke exited ${r.status}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`,
    );
    const line = r.stdout
      .trim()
      .split('\n')
      .reverse()
      .find((l) => l.startsWith('{"smoke_out"'));
    assert.ok(line, `no smoke_out line in:\n${r.stdout.slice(-2000)}`);
    const out = (JSON.parse(line) as { smoke_out: string }).smoke_out;
    try {
      for (const folder of ['scenes-clip/image_encoder', 'scenes-clip/text_encoder', 'scenes-pd-1/unet'])
        assert.ok(fs.existsSync(path.join(out, folder, 'model.onnx')), `${folder}/model.onnx was not exported`);
      const record = JSON.parse(fs.readFileSync(path.join(out, 'scenes-training.json'), 'utf8')) as Record<
        string,
        { steps?: number; minutes?: number }
      >;
      for (const stage of ['clip', 'turbo', 'lightning8', 'lightning4', 'lightning2', 'lightning1'])
        assert.equal(record[stage]?.steps, 3, `scenes-training.json ${stage}.steps`);
      for (const [name, family] of [
        ['scenes-teacher', 'sd'],
        ['scenes-lcm', 'lcm'],
        ['scenes-turbo', 'turbo'],
        ['scenes-lightning-1', 'turbo'],
      ] as const) {
        const pipe = await loadPipeline(path.join(out, name), { device: 'cpu', log: () => {}, warn: () => {} });
        try {
          assert.equal(pipe.family, family);
          const result = await pipe.generate({
            prompt: 'a beautiful sunset over mountains, oil painting style, warm colors',
            steps: 2,
            seed: 1,
          });
          assert.equal(result.images.length, 1);
          assert.deepEqual([...result.images[0].subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
        } finally {
          await pipe.release();
        }
      }
    } finally {
      fs.rmSync(path.dirname(out), { recursive: true, force: true });
    }
  },
);

test(
  'from-onnx rebuilds the shipped teacher and autoencoder as PyTorch checkpoints, equal initializer by initializer',
  {
    skip: !hasTorch && !inCi ? `${PY} lacks torch/onnx (apt-get install python3-torch python3-onnx)` : false,
    timeout: 300_000,
  },
  () => {
    assert.ok(hasTorch, `CI=true but ${PY} cannot import torch and onnx`);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'scenes-from-onnx-'));
    try {
      const r = spawnSync(
        PY,
        [path.join(ROOT, 'models', 'recipes', 'scenes', 'train.py'), 'from-onnx', '--threads', '1', '--work', work],
        { cwd: ROOT, encoding: 'utf8', timeout: 280_000 },
      );
      assert.equal(
        r.status,
        0,
        `train.py from-onnx exited ${r.status}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`,
      );
      const diffs = [...r.stdout.matchAll(/from-onnx: (\w+) rebuilt, largest (?:initializer )?difference (\S+)/g)];
      assert.deepEqual(
        diffs.map((m) => m[1]).sort(),
        ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder'],
        r.stdout.slice(-2000),
      );
      for (const m of diffs)
        assert.equal(Number(m[2]), 0, `${m[1]}: the rebuilt network exports the shipped initializers`);
      for (const f of ['ae.ckpt', 'teacher.ckpt']) assert.ok(fs.existsSync(path.join(work, f)), f);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  },
);
