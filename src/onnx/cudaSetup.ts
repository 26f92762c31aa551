/**
 * Installs ONNX Runtime's CUDA execution provider libraries next to onnxruntime-node's own binary
 * (`node_modules/onnxruntime-node/bin/napi-v6/linux/x64/`).
 *
 * Route 1, when api.nuget.org answers: onnxruntime-node's own installer
 * (`node node_modules/onnxruntime-node/script/install.js` with `ONNXRUNTIME_NODE_INSTALL=cuda12`,
 * which downloads Microsoft.ML.OnnxRuntime.Gpu.Linux of the same version from NuGet).
 * Route 2, otherwise: the npm registry package `com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9`
 * (`npm pack` into a temp folder, `tar` extract). Its `Plugins/Linux/x64/` holds the three provider
 * libraries; its README states the ONNX Runtime version ("ONNX Runtime: [1.29.0]") and the CUDA and
 * TensorRT provider binaries carry the version as a NUL-terminated string. Both must equal the
 * installed onnxruntime-node version (provider libraries only load into the same ORT build), or
 * nothing is copied. Files are copied to temporary names first and renamed into place together.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { FewstepError, MissingResourceError } from '../core/errors.js';

/** The provider libraries, as onnxruntime-node's install manifest names them. */
export const CUDA_PROVIDER_FILES = [
  'libonnxruntime_providers_cuda.so',
  'libonnxruntime_providers_shared.so',
  'libonnxruntime_providers_tensorrt.so',
] as const;
/** Libraries whose bytes carry the ORT version string. */
const VERSIONED_FILES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_tensorrt.so'];

/** The npm package used when NuGet is out of reach. */
export const ASUS4_GPU_PACKAGE = 'com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9';

/** The provider package's ONNX Runtime version differs from onnxruntime-node's. */
export class CudaProviderVersionError extends FewstepError {
  constructor(
    readonly packageVersion: string,
    readonly installedVersion: string,
    readonly evidence: string,
  ) {
    super(
      'E_CUDA_PROVIDER_VERSION',
      `the CUDA provider package is for ONNX Runtime ${packageVersion} (${evidence}) but onnxruntime-node is ${installedVersion}; provider libraries only load into the same version, nothing was copied`,
    );
  }
}

/** Root of the installed onnxruntime-node package. */
export function defaultOrtRoot(): string {
  return path.dirname(require.resolve('onnxruntime-node/package.json'));
}

/** Folder of onnxruntime-node's native binding for this platform. */
export function ortBinDir(ortRoot: string, platform = `${os.platform()}/${os.arch()}`): string {
  return path.join(ortRoot, 'bin', 'napi-v6', platform);
}

/** The installed onnxruntime-node version (its package.json). */
export function installedOrtVersion(ortRoot: string): string {
  const file = path.join(ortRoot, 'package.json');
  if (!fs.existsSync(file))
    throw new MissingResourceError(file, `onnxruntime-node is not installed at ${ortRoot} (run npm install)`);
  return String((JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string }).version);
}

/** Which provider libraries are present in onnxruntime-node's bin folder. */
export function cudaProviderStatus(ortRoot: string): { dir: string; present: string[]; missing: string[] } {
  const dir = ortBinDir(ortRoot, 'linux/x64');
  const present = CUDA_PROVIDER_FILES.filter((f) => fs.existsSync(path.join(dir, f)));
  return { dir, present, missing: CUDA_PROVIDER_FILES.filter((f) => !present.includes(f)) };
}

/** True when `file` contains `version` as a NUL-terminated string (read in chunks; the CUDA library is 230 MB). */
export function binaryContainsVersion(file: string, version: string): boolean {
  const needle = Buffer.from(`\0${version}\0`, 'latin1');
  const fd = fs.openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(8 << 20);
    let carry = Buffer.alloc(0);
    let position = 0;
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, position);
      if (n <= 0) return false;
      position += n;
      const window = Buffer.concat([carry, chunk.subarray(0, n)]);
      if (window.indexOf(needle) >= 0) return true;
      carry = window.subarray(Math.max(0, window.length - needle.length + 1));
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Where the provider libraries sit inside the extracted package folder. */
export function packageLibDir(packageDir: string): string {
  return path.join(packageDir, 'Plugins', 'Linux', 'x64');
}

/** The ONNX Runtime version an extracted provider package states in its README, if any. */
export function packageReadmeOrtVersion(packageDir: string): string | undefined {
  const readme = path.join(packageDir, 'README.md');
  if (!fs.existsSync(readme)) return undefined;
  return /ONNX Runtime:\s*\[?v?(\d+\.\d+\.\d+)/i.exec(fs.readFileSync(readme, 'utf8'))?.[1];
}

/**
 * Checks an extracted provider package against onnxruntime-node's version and copies the three
 * libraries into its bin folder atomically (temp names, then renames). Returns the copied paths.
 */
export function installCudaProviderFromPackage(
  packageDir: string,
  ortRoot: string,
  log: (s: string) => void = () => undefined,
): string[] {
  const installed = installedOrtVersion(ortRoot);
  const libDir = packageLibDir(packageDir);
  for (const f of CUDA_PROVIDER_FILES) {
    if (!fs.existsSync(path.join(libDir, f)))
      throw new MissingResourceError(
        path.join(libDir, f),
        `the provider package at ${packageDir} lacks ${f} (expected under Plugins/Linux/x64/)`,
      );
  }
  const readmeVersion = packageReadmeOrtVersion(packageDir);
  if (readmeVersion !== undefined && readmeVersion !== installed) {
    throw new CudaProviderVersionError(readmeVersion, installed, 'its README');
  }
  for (const f of VERSIONED_FILES) {
    if (!binaryContainsVersion(path.join(libDir, f), installed)) {
      throw new CudaProviderVersionError(
        readmeVersion ?? 'another version',
        installed,
        `${f} does not contain the version string ${installed}`,
      );
    }
  }
  log(`provider package is for ONNX Runtime ${installed} (README and binaries agree)`);
  const dest = ortBinDir(ortRoot, 'linux/x64');
  fs.mkdirSync(dest, { recursive: true });
  const temps: [string, string][] = [];
  try {
    for (const f of CUDA_PROVIDER_FILES) {
      const tmp = path.join(dest, `.${f}.tmp-${process.pid}`);
      fs.copyFileSync(path.join(libDir, f), tmp);
      fs.chmodSync(tmp, 0o755);
      temps.push([tmp, path.join(dest, f)]);
    }
    for (const [tmp, final] of temps) fs.renameSync(tmp, final);
  } finally {
    for (const [tmp] of temps) fs.rmSync(tmp, { force: true });
  }
  return temps.map(([, final]) => final);
}

/** True when https://api.nuget.org answers within `timeoutMs`. */
export function isNugetReachable(timeoutMs = 5000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get('https://api.nuget.org/v3/index.json', (res) => {
      res.resume();
      resolve((res.statusCode ?? 0) === 200);
    });
    req.setTimeout(timeoutMs, () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** Runs onnxruntime-node's own installer for the CUDA 12 files; true when it exited 0. */
export function runOrtInstaller(ortRoot: string): boolean {
  const script = path.join(ortRoot, 'script', 'install.js');
  if (!fs.existsSync(script)) return false;
  const r = spawnSync(process.execPath, [script], {
    cwd: ortRoot,
    stdio: 'inherit',
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' },
  });
  return r.status === 0;
}

/** `npm pack` of the provider package into `workDir` and `tar` extraction; returns the package folder. */
export function packAndExtract(workDir: string, spec = ASUS4_GPU_PACKAGE): string {
  const out = execFileSync('npm', ['pack', spec, '--pack-destination', workDir, '--silent'], {
    cwd: workDir,
    encoding: 'utf8',
  });
  const tgz = path.join(workDir, out.trim().split('\n').pop()!.trim());
  execFileSync('tar', ['xzf', tgz, '-C', workDir]);
  fs.rmSync(tgz, { force: true });
  return path.join(workDir, 'package');
}

/** Injection points of `setupCuda` (tests replace the network steps). */
export interface SetupCudaOptions {
  ortRoot?: string;
  log?: (line: string) => void;
  nugetReachable?: () => Promise<boolean>;
  runInstaller?: (ortRoot: string) => boolean;
  fetchPackage?: (workDir: string) => string;
}

/** Installs the CUDA provider: onnxruntime-node's installer via NuGet, else the npm package. */
export async function setupCuda(options: SetupCudaOptions = {}): Promise<{ route: 'nuget' | 'npm'; files: string[] }> {
  const ortRoot = options.ortRoot ?? defaultOrtRoot();
  const log = options.log ?? (() => undefined);
  const installed = installedOrtVersion(ortRoot);
  log(`onnxruntime-node ${installed} at ${ortRoot}`);
  if (await (options.nugetReachable ?? isNugetReachable)()) {
    log("NuGet is reachable: running onnxruntime-node's installer (ONNXRUNTIME_NODE_INSTALL=cuda12)");
    if ((options.runInstaller ?? runOrtInstaller)(ortRoot)) {
      const status = cudaProviderStatus(ortRoot);
      if (status.missing.length === 0)
        return { route: 'nuget', files: status.present.map((f) => path.join(status.dir, f)) };
      log(`the installer left ${status.missing.join(', ')} missing; trying the npm package`);
    } else {
      log('the installer failed; trying the npm package');
    }
  } else {
    log('NuGet is not reachable: using the npm package ' + ASUS4_GPU_PACKAGE);
  }
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-cuda-'));
  try {
    const packageDir = (options.fetchPackage ?? packAndExtract)(workDir);
    return { route: 'npm', files: installCudaProviderFromPackage(packageDir, ortRoot, log) };
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}
