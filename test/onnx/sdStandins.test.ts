import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { loadPipeline, type TextToImagePipeline } from '../../src/onnx/pipeline.js';
import { findKnownModel } from '../../src/onnx/registry.js';

/**
 * Every registry model family end to end through generate(), on real-architecture stand-ins:
 * models/recipes/sd_standins.py writes, into .cache/sd-standins/ (not in git), reduced-width random-weight
 * UNet2DConditionModel / AutoencoderKL decoder / CLIPTextModel graphs with the block structure of the real
 * networks, in the folder layout, file names, input/output names, dtypes and shapes of the tool that made
 * each published export, with the real CLIP vocabulary. The stand-ins are regenerated when the recipe or the
 * tokenizer fixture changes (a stamp of their sha256). Without PyTorch the tests are skipped, saying why.
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const CACHE = path.join(ROOT, '.cache', 'sd-standins');
const RECIPE = path.join(ROOT, 'models', 'recipes', 'sd_standins.py');
const VARIANTS = ['sd15', 'sd21-base', 'lcm-dreamshaper-v7', 'sd-turbo', 'sd21-v'];
const PYTHON = process.env.FEWSTEP_PYTHON ?? '/usr/bin/python3';

function stamp(): string {
  const h = createHash('sha256');
  h.update(fs.readFileSync(RECIPE));
  h.update(fs.readFileSync(path.join(ROOT, 'models', 'fixtures', 'clip-tokenizer', 'tokenizer.json.gz')));
  return h.digest('hex');
}

/** Makes sure the stand-ins exist and match the recipe; returns why not when they cannot be made here. */
function ensureStandins(): string | undefined {
  const want = stamp();
  const stampFile = path.join(CACHE, 'stamp.txt');
  const fresh =
    fs.existsSync(stampFile) &&
    fs.readFileSync(stampFile, 'utf8') === want &&
    VARIANTS.every((v) => fs.existsSync(path.join(CACHE, v, 'model_index.json')));
  if (fresh) return undefined;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, onnx, numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    return `the stand-ins need PyTorch and onnx for ${PYTHON} (Debian: apt-get install python3-torch python3-onnx python3-numpy; or set FEWSTEP_PYTHON): ${(probe.stderr || String(probe.error)).trim().split('\n').pop()}`;
  }
  fs.rmSync(stampFile, { force: true });
  const made = spawnSync(PYTHON, [RECIPE, CACHE], { encoding: 'utf8', timeout: 20 * 60_000 });
  if (made.status !== 0)
    throw new Error(`models/recipes/sd_standins.py failed (${made.status}): ${made.stderr.slice(-2000)}`);
  fs.writeFileSync(stampFile, want);
  return undefined;
}

const skip = ensureStandins();
const quiet = { device: 'cpu' as const, warn: () => {} };

/** The metadata of each stand-in's graphs: what the published export has (see the recipe's docstring). */
const EXPECTED: Record<
  string,
  {
    ids: string;
    timestep: [string, (string | number)[]];
    sample: string;
    cond?: boolean;
    external?: string;
    family: string;
  }
> = {
  sd15: {
    ids: 'int32',
    timestep: ['float32', ['batch']],
    sample: 'float32',
    external: 'unet/weights.pb',
    family: 'sd',
  },
  'sd21-base': { ids: 'int32', timestep: ['float32', ['batch']], sample: 'float32', family: 'sd' },
  'lcm-dreamshaper-v7': {
    ids: 'int32',
    timestep: ['int64', ['steps']],
    sample: 'float32',
    cond: true,
    external: 'unet/model.onnx_data',
    family: 'lcm',
  },
  'sd-turbo': {
    ids: 'int32',
    timestep: ['float16', ['batch_size']],
    sample: 'float16',
    external: 'unet/model.onnx.data',
    family: 'turbo',
  },
  'sd21-v': { ids: 'int64', timestep: ['float32', []], sample: 'float32', family: 'sd' },
};

describe('registry model families end to end on real-architecture stand-ins', { skip }, () => {
  const pipes: Record<string, TextToImagePipeline> = {};
  const logs: Record<string, string[]> = {};
  before(async () => {
    for (const v of VARIANTS) {
      logs[v] = [];
      pipes[v] = await loadPipeline(path.join(CACHE, v), { ...quiet, log: (l) => logs[v].push(l) });
    }
  });
  after(async () => {
    for (const p of Object.values(pipes)) await p.release();
  });

  for (const v of VARIANTS) {
    test(`${v}: graphs have the published export's inputs, dtypes and files; the family is detected`, () => {
      const e = EXPECTED[v];
      const p = pipes[v];
      assert.equal(p.textEncoder.input('input_ids').type, e.ids);
      const ts = p.unet.input('timestep');
      assert.deepEqual([ts.type, ts.shape], e.timestep);
      assert.equal(p.unet.input('sample').type, e.sample);
      assert.equal(p.unet.hasInput('timestep_cond'), e.cond === true);
      assert.deepEqual(
        p.textEncoder.outputs.map((o) => o.name),
        ['last_hidden_state', 'pooler_output'],
      );
      assert.deepEqual(
        p.vaeDecoder.inputs.map((o) => o.name),
        ['latent_sample'],
      );
      if (e.external) assert.ok(fs.existsSync(path.join(CACHE, v, e.external)), e.external);
      assert.equal(p.family, e.family);
      const known = findKnownModel(v);
      if (known) assert.equal(p.family, known.family);
    });
  }

  for (const v of VARIANTS) {
    test(`${v}: generate() at the smallest size gives a deterministic PNG of that size`, async () => {
      const p = pipes[v];
      const size = p.minSize;
      const opts = {
        prompt: 'A photo of an astronaut riding a horse on Mars!',
        steps: 2,
        width: size,
        height: size,
        seed: 7,
      };
      const a = await p.generate(opts);
      const b = await p.generate(opts);
      assert.ok(a.images[0].equals(b.images[0]), 'same seed, same bytes');
      const meta = await sharp(a.images[0]).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['png', size, size]);
      assert.equal(a.timings.unetMs.length, 2);
      assert.deepEqual(a.unknownWords, [[]], 'the real vocabulary spells every word');
    });
  }

  test('sd15 and sd21-base ship PNDMScheduler: they run as DDIM on its grid and say so', () => {
    for (const v of ['sd15', 'sd21-base'])
      assert.ok(
        logs[v].some((l) => l.includes('PNDMScheduler')),
        v,
      );
    assert.equal(pipes['sd15'].schedulerConfig._class_name, 'DDIMScheduler');
  });

  test('sd-turbo: the family defaults are 1 step without guidance (one UNet row per image)', async () => {
    const p = pipes['sd-turbo'];
    let rows = 0;
    const run = p.unet.run.bind(p.unet);
    p.unet.run = async (feeds) => {
      rows = feeds.sample.dims[0];
      return run(feeds);
    };
    try {
      const r = await p.generate({ prompt: 'a cat', seed: 1, width: p.minSize, height: p.minSize });
      assert.deepEqual([r.steps, r.guidance, r.timings.unetMs.length, rows], [1, 0, 1, 1]);
    } finally {
      p.unet.run = run;
    }
  });

  test('lcm-dreamshaper-v7: one UNet call per step with timestep_cond, int64 timesteps from the LCM grid', async () => {
    const p = pipes['lcm-dreamshaper-v7'];
    const seen: { rows: number; t: bigint; cond: number[] }[] = [];
    const run = p.unet.run.bind(p.unet);
    p.unet.run = async (feeds) => {
      seen.push({
        rows: feeds.sample.dims[0],
        t: (feeds.timestep.data as BigInt64Array)[0],
        cond: [...feeds.timestep_cond.dims],
      });
      return run(feeds);
    };
    try {
      await p.generate({ prompt: 'a cat', seed: 1, steps: 4, width: p.minSize, height: p.minSize });
      assert.deepEqual(
        seen.map((s) => s.t),
        [999n, 759n, 499n, 259n],
      );
      assert.ok(seen.every((s) => s.rows === 1 && s.cond[0] === 1 && s.cond[1] === 256));
    } finally {
      p.unet.run = run;
    }
  });

  test("sd21-v (v_prediction): every sampler class runs on it with the model's prediction type", async () => {
    const p = pipes['sd21-v'];
    assert.equal(p.schedulerConfig.prediction_type, 'v_prediction');
    const images: Buffer[] = [];
    for (const cls of [
      'DDIMScheduler',
      'DDPMScheduler',
      'EulerDiscreteScheduler',
      'EulerAncestralDiscreteScheduler',
      'DPMSolverMultistepScheduler',
      'LCMScheduler',
    ]) {
      const r = await p.generate({
        prompt: 'a cat',
        seed: 3,
        steps: 2,
        width: p.minSize,
        height: p.minSize,
        scheduler: { _class_name: cls },
      });
      assert.equal(r.images.length, 1, cls);
      images.push(r.images[0]);
    }
    // Different samplers, different pictures (a sampler that ignored its input would repeat one).
    assert.equal(new Set(images.map((b) => b.toString('base64'))).size, images.length);
  });
});
