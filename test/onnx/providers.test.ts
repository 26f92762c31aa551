import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InvalidArgumentError } from '../../src/core/errors.js';
import {
  chooseProvider,
  cudaProviderLibrary,
  cudaProviderLibraryName,
  onnxRuntimeBinDir,
  ProviderUnavailableError,
  type OnnxDevice,
} from '../../src/onnx/providers.js';

function binDir(withCudaLib: boolean): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-bin-'));
  if (withCudaLib) fs.writeFileSync(path.join(dir, cudaProviderLibraryName()), '');
  return dir;
}

/** An `open` that records the provider lists it was given and fails for CUDA when told to. */
function opener(cudaWorks: boolean) {
  const calls: string[][] = [];
  const open = async (eps: string[]) => {
    calls.push(eps);
    if (eps.includes('cuda') && !cudaWorks)
      throw new Error('libcudart.so.13: cannot open shared object file\nmore detail');
    return eps.join('+');
  };
  return { calls, open };
}

describe('chooseProvider', () => {
  test("looks for the CUDA library in onnxruntime-node's bin/napi-v6/<platform>/<arch>", () => {
    assert.match(onnxRuntimeBinDir(), /onnxruntime-node[\\/]bin[\\/]napi-v6[\\/]/);
    assert.equal(cudaProviderLibraryName('linux'), 'libonnxruntime_providers_cuda.so');
    assert.equal(cudaProviderLibrary(binDir(true)).present, true);
    assert.equal(cudaProviderLibrary(binDir(false)).present, false);
  });

  test('auto without the CUDA library uses the CPU, saying which library is missing', async () => {
    const o = opener(true);
    const c = await chooseProvider('auto', o.open, binDir(false));
    assert.equal(c.provider, 'cpu');
    assert.deepEqual(o.calls, [['cpu']]);
    assert.match(c.reason, /libonnxruntime_providers_cuda\.so/);
    assert.match(c.reason, /npm run setup:cuda/);
  });

  test('auto with the library and a working GPU uses CUDA', async () => {
    const o = opener(true);
    const c = await chooseProvider('auto', o.open, binDir(true));
    assert.equal(c.provider, 'cuda');
    assert.equal(c.value, 'cuda');
  });

  test('auto falls back to the CPU when a CUDA session cannot be created, quoting the first line of the error', async () => {
    const o = opener(false);
    const c = await chooseProvider('auto', o.open, binDir(true));
    assert.equal(c.provider, 'cpu');
    assert.deepEqual(o.calls, [['cuda'], ['cpu']]);
    assert.match(c.reason, /libcudart\.so\.13/);
    assert.doesNotMatch(c.reason, /more detail/);
  });

  test('cuda without the library throws ProviderUnavailableError naming it and npm run setup:cuda', async () => {
    const o = opener(true);
    await assert.rejects(
      chooseProvider('cuda', o.open, binDir(false)),
      (e: unknown) =>
        e instanceof ProviderUnavailableError &&
        /libonnxruntime_providers_cuda\.so/.test(e.message) &&
        /npm run setup:cuda/.test(e.message),
    );
    assert.deepEqual(o.calls, []);
  });

  test('cuda with the library but a failing session throws instead of falling back', async () => {
    await assert.rejects(chooseProvider('cuda', opener(false).open, binDir(true)), ProviderUnavailableError);
  });

  test('cpu never tries CUDA', async () => {
    const o = opener(true);
    const c = await chooseProvider('cpu', o.open, binDir(true));
    assert.equal(c.provider, 'cpu');
    assert.deepEqual(o.calls, [['cpu']]);
  });

  test('an unknown device throws InvalidArgumentError listing auto, cpu, cuda', async () => {
    await assert.rejects(
      chooseProvider('gpu' as OnnxDevice, opener(true).open, binDir(true)),
      (e: unknown) =>
        e instanceof InvalidArgumentError && e.field === 'device' && /"auto", "cpu", "cuda"/.test(e.message),
    );
  });
});
