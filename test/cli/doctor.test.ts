import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectDoctorReport, formatDoctorReport, parseLdconfig } from '../../src/cli/doctor.js';

const LDCONFIG = `4 libs found in cache \`/etc/ld.so.cache'
\tlibcudnn_ops.so.9 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudnn_ops.so.9
\tlibcudart.so.13 (libc6,x86-64) => /usr/local/cuda-13.0/lib/libcudart.so.13
\tlibcublasLt.so.13 (libc6,x86-64) => /usr/local/cuda/lib64/libcublasLt.so.13
\tlibc.so.6 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/x86_64-linux-gnu/libc.so.6
`;

function fixtureTree(): { modelsDir: string; ortRoot: string } {
  const modelsDir = mkdtempSync(join(tmpdir(), 'fewstep-doctor-'));
  const put = (f: string, s: string): void => {
    mkdirSync(join(f, '..'), { recursive: true });
    writeFileSync(f, s);
  };
  put(join(modelsDir, 'lcm-dreamshaper-v7', 'model_index.json'), '{"_class_name": "LatentConsistencyModelPipeline"}');
  put(join(modelsDir, 'lcm-dreamshaper-v7', 'unet', 'model.onnx'), 'x');
  put(join(modelsDir, 'fixtures', 'tiny-sd', 'model_index.json'), '{"_class_name": "StableDiffusionPipeline"}');
  put(join(modelsDir, 'recipes', 'make.py'), '');
  put(join(modelsDir, 'notes', 'readme.md'), '');
  const ortRoot = mkdtempSync(join(tmpdir(), 'fewstep-ort-'));
  put(join(ortRoot, 'package.json'), '{"version": "1.29.0"}');
  put(join(ortRoot, 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime_providers_shared.so'), 'x');
  return { modelsDir, ortRoot };
}

describe('doctor report', () => {
  test('parses ldconfig -p lines into names and paths', () => {
    assert.deepEqual(
      parseLdconfig(LDCONFIG).map((l) => l.name),
      ['libcudnn_ops.so.9', 'libcudart.so.13', 'libcublasLt.so.13', 'libc.so.6'],
    );
  });
  test('lists versions, backends, provider files, CUDA libraries and models with their family', () => {
    const { modelsDir, ortRoot } = fixtureTree();
    const r = collectDoctorReport({
      modelsDir,
      ortRoot,
      ldconfigOutput: LDCONFIG,
      onnxruntime: () => ({
        version: '1.29.0',
        backends: [
          { name: 'cpu', bundled: true },
          { name: 'cuda', bundled: false },
        ],
      }),
    });
    assert.equal(r.node, process.version);
    assert.equal(r.onnxruntime.version, '1.29.0');
    assert.deepEqual(r.cudaProvider.present, ['libonnxruntime_providers_shared.so']);
    assert.deepEqual(r.cudaProvider.missing, [
      'libonnxruntime_providers_cuda.so',
      'libonnxruntime_providers_tensorrt.so',
    ]);
    assert.deepEqual(
      r.systemLibraries.found.map((l) => l.name),
      ['libcudart.so.13', 'libcublasLt.so.13', 'libcudnn_ops.so.9'],
    );
    assert.ok(r.systemLibraries.missing.includes('libcublas'));
    assert.deepEqual(
      r.models.map((m) => [m.name, m.family]),
      [
        ['lcm-dreamshaper-v7', 'lcm'],
        ['fixtures/tiny-sd', 'sd'],
      ],
    );
    assert.equal(r.knownModels.find((k) => k.name === 'lcm-dreamshaper-v7')?.downloaded, true);
    const text = formatDoctorReport(r);
    assert.match(text, /CUDA provider missing libonnxruntime_providers_cuda\.so/);
    assert.match(text, /model +fixtures\/tiny-sd +family=sd/);
    assert.match(text, /npm run fetch-model -- sd-turbo/);
  });
  test('missing ldconfig, a broken runtime and no models are reported, not thrown', () => {
    const r = collectDoctorReport({
      modelsDir: join(tmpdir(), 'no-such-models-dir'),
      ortRoot: join(tmpdir(), 'no-ort'),
      ldconfigOutput: null,
      onnxruntime: () => {
        throw new Error('binding failed');
      },
    });
    assert.equal(r.systemLibraries.source, 'unavailable');
    assert.equal(r.onnxruntime.error, 'binding failed');
    assert.deepEqual(r.models, []);
    assert.match(formatDoctorReport(r), /ldconfig not available/);
  });
  test('on this machine the real probes run: the CPU backend is listed', () => {
    const r = collectDoctorReport({ modelsDir: join(tmpdir(), 'no-such-models-dir') });
    assert.ok(r.onnxruntime.backends.some((b) => b.name === 'cpu'));
    assert.match(r.onnxruntime.version ?? '', /^\d+\.\d+\.\d+$/);
  });
});
