import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MissingResourceError } from '../../src/core/errors.js';
import {
  binaryContainsVersion,
  CUDA_PROVIDER_FILES,
  CudaProviderVersionError,
  cudaProviderStatus,
  installCudaProviderFromPackage,
  packageReadmeOrtVersion,
  setupCuda,
} from '../../src/onnx/cudaSetup.js';

/** A fake onnxruntime-node install: package.json with a version and an empty bin folder. */
function fakeOrt(version = '1.29.0'): string {
  const root = mkdtempSync(join(tmpdir(), 'fewstep-ort-'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'onnxruntime-node', version }));
  mkdirSync(join(root, 'bin', 'napi-v6', 'linux', 'x64'), { recursive: true });
  return root;
}

/** A fake extracted provider package laid out as the npm package is (README + Plugins/Linux/x64/*.so). */
function fakePackage(readmeVersion: string | undefined, binaryVersion: string, omit?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fewstep-pkg-'));
  const lib = join(dir, 'Plugins', 'Linux', 'x64');
  mkdirSync(lib, { recursive: true });
  if (readmeVersion)
    writeFileSync(
      join(dir, 'README.md'),
      `# pkg\n\n- ONNX Runtime: [${readmeVersion}](https://example/releases/tag/v${readmeVersion})\n`,
    );
  for (const f of CUDA_PROVIDER_FILES) {
    if (f === omit) continue;
    // the version sits NUL-terminated among other strings, as in the real libraries
    const body = f.includes('shared')
      ? Buffer.from(`\x7fELF shared ${f}`)
      : Buffer.concat([
          Buffer.from('\x7fELF'),
          Buffer.alloc(100, 0x41),
          Buffer.from(`\0Replay\0${binaryVersion}\0Fallback\0`, 'latin1'),
          Buffer.from(f),
        ]);
    writeFileSync(join(lib, f), body);
  }
  return dir;
}

describe('CUDA provider install from an extracted package', () => {
  test('copies the three libraries into bin/napi-v6/linux/x64 when the versions match', () => {
    const ort = fakeOrt();
    const pkg = fakePackage('1.29.0', '1.29.0');
    const files = installCudaProviderFromPackage(pkg, ort);
    assert.equal(files.length, 3);
    const dir = join(ort, 'bin', 'napi-v6', 'linux', 'x64');
    for (const f of CUDA_PROVIDER_FILES)
      assert.deepEqual(readFileSync(join(dir, f)), readFileSync(join(pkg, 'Plugins', 'Linux', 'x64', f)));
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes('.tmp-')),
      [],
    );
    assert.deepEqual(cudaProviderStatus(ort).missing, []);
  });
  test('a README version different from onnxruntime-node is refused and nothing is copied', () => {
    const ort = fakeOrt('1.29.0');
    assert.throws(
      () => installCudaProviderFromPackage(fakePackage('1.28.1', '1.28.1'), ort),
      (e: unknown) => e instanceof CudaProviderVersionError && /1\.28\.1/.test(e.message) && /1\.29\.0/.test(e.message),
    );
    assert.deepEqual(cudaProviderStatus(ort).present, []);
  });
  test('binaries without the installed version string are refused even when the README agrees', () => {
    const ort = fakeOrt('1.29.0');
    assert.throws(() => installCudaProviderFromPackage(fakePackage('1.29.0', '1.29.1'), ort), CudaProviderVersionError);
    assert.throws(
      () => installCudaProviderFromPackage(fakePackage(undefined, '1.2.0'), ort),
      /does not contain the version string 1\.29\.0/,
    );
    assert.deepEqual(cudaProviderStatus(ort).present, []);
  });
  test('a package missing one library is a MissingResourceError naming it', () => {
    assert.throws(
      () =>
        installCudaProviderFromPackage(
          fakePackage('1.29.0', '1.29.0', 'libonnxruntime_providers_tensorrt.so'),
          fakeOrt(),
        ),
      (e: unknown) => e instanceof MissingResourceError && /tensorrt/.test(e.message),
    );
  });
  test('the version string is found only NUL-terminated, also across read chunks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fewstep-bin-'));
    const big = Buffer.alloc((8 << 20) + 10, 0x42);
    Buffer.from('\x001.29.0\x00', 'latin1').copy(big, (8 << 20) - 3); // straddles the 8 MiB chunk edge
    writeFileSync(join(dir, 'a.so'), big);
    writeFileSync(join(dir, 'b.so'), Buffer.from('x11.29.01\0', 'latin1'));
    assert.equal(binaryContainsVersion(join(dir, 'a.so'), '1.29.0'), true);
    assert.equal(binaryContainsVersion(join(dir, 'b.so'), '1.29.0'), false);
    assert.equal(packageReadmeOrtVersion(fakePackage('1.29.0', '1.29.0')), '1.29.0');
  });
});

describe('setupCuda routes', () => {
  test('NuGet unreachable: the npm package is fetched and installed', async () => {
    const ort = fakeOrt();
    let installerRan = false;
    const r = await setupCuda({
      ortRoot: ort,
      nugetReachable: async () => false,
      runInstaller: () => (installerRan = true),
      fetchPackage: () => fakePackage('1.29.0', '1.29.0'),
    });
    assert.equal(r.route, 'npm');
    assert.equal(installerRan, false);
    assert.deepEqual(cudaProviderStatus(ort).missing, []);
  });
  test("NuGet reachable: onnxruntime-node's installer is used and the npm package is not fetched", async () => {
    const ort = fakeOrt();
    let fetched = false;
    const r = await setupCuda({
      ortRoot: ort,
      nugetReachable: async () => true,
      runInstaller: (root) => {
        for (const f of CUDA_PROVIDER_FILES) writeFileSync(join(root, 'bin', 'napi-v6', 'linux', 'x64', f), 'x');
        return true;
      },
      fetchPackage: () => ((fetched = true), fakePackage('1.29.0', '1.29.0')),
    });
    assert.equal(r.route, 'nuget');
    assert.equal(fetched, false);
  });
  test('a failing installer falls back to the npm package; a mismatched package leaves nothing behind', async () => {
    const ort = fakeOrt();
    const r = await setupCuda({
      ortRoot: ort,
      nugetReachable: async () => true,
      runInstaller: () => false,
      fetchPackage: () => fakePackage('1.29.0', '1.29.0'),
    });
    assert.equal(r.route, 'npm');
    const other = fakeOrt('1.30.0');
    await assert.rejects(
      setupCuda({
        ortRoot: other,
        nugetReachable: async () => false,
        fetchPackage: () => fakePackage('1.29.0', '1.29.0'),
      }),
      CudaProviderVersionError,
    );
    assert.ok(!existsSync(join(other, 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime_providers_cuda.so')));
  });
});
