import * as fs from 'node:fs';
import * as path from 'node:path';
import { FewstepError, ModelFileError, requireOneOf } from '../core/errors.js';

/** Where to run: `auto` tries CUDA and falls back to the CPU; `cuda` insists; `cpu` never tries CUDA. */
export type OnnxDevice = 'auto' | 'cpu' | 'cuda';
export const ONNX_DEVICES: readonly OnnxDevice[] = ['auto', 'cpu', 'cuda'];

/** The execution provider a session actually runs on. */
export type ExecutionProviderName = 'cuda' | 'cpu';

/** The CUDA execution provider was asked for and cannot be used; `reason` says why. */
export class ProviderUnavailableError extends FewstepError {
  readonly provider: string;
  readonly reason: string;
  constructor(provider: string, reason: string) {
    super('E_PROVIDER_UNAVAILABLE', `execution provider ${provider} is not available: ${reason}`);
    this.provider = provider;
    this.reason = reason;
  }
}

/** onnxruntime-node's native folder (bin/napi-v6/<platform>/<arch>), where provider libraries live. */
export function onnxRuntimeBinDir(): string {
  const pkg = require.resolve('onnxruntime-node/package.json');
  return path.join(path.dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
}

/** File name of the CUDA provider library on this platform. */
export function cudaProviderLibraryName(platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
}

/** Whether the CUDA provider library is installed next to onnxruntime-node's binding. */
export function cudaProviderLibrary(binDir: string = onnxRuntimeBinDir()): { present: boolean; path: string } {
  const file = path.join(binDir, cudaProviderLibraryName());
  return { present: fs.existsSync(file), path: file };
}

/** The outcome of choosing a provider: which one, and a one-line reason for the log. */
export interface ProviderChoice<T> {
  provider: ExecutionProviderName;
  reason: string;
  value: T;
  /** True when `auto` chose the CPU only because the CUDA provider library is not installed (the usual laptop case). */
  cudaNotInstalled?: boolean;
}

/**
 * Chooses the execution provider for `device` by trying to open something with it (`open` gets the
 * ONNX Runtime provider list). `auto`: CUDA when its library is installed and `open` succeeds with
 * it, else the CPU. `cuda`: CUDA or ProviderUnavailableError naming the missing library (or the
 * error from ONNX Runtime) and `npm run setup:cuda`. `cpu`: the CPU.
 */
export async function chooseProvider<T>(
  device: OnnxDevice,
  open: (executionProviders: string[]) => Promise<T>,
  binDir: string = onnxRuntimeBinDir(),
): Promise<ProviderChoice<T>> {
  requireOneOf('device', device, ONNX_DEVICES);
  if (device === 'cpu') return { provider: 'cpu', reason: 'device "cpu" was asked for', value: await open(['cpu']) };
  const lib = cudaProviderLibrary(binDir);
  if (!lib.present) {
    const why = `${cudaProviderLibraryName()} is not in ${binDir} (install it with \`npm run setup:cuda\`)`;
    if (device === 'cuda') throw new ProviderUnavailableError('cuda', why);
    return { provider: 'cpu', reason: `CUDA not used: ${why}`, value: await open(['cpu']), cudaNotInstalled: true };
  }
  try {
    const value = await open(['cuda']);
    return { provider: 'cuda', reason: `CUDA provider loaded from ${lib.path}`, value };
  } catch (e) {
    if (e instanceof ModelFileError) throw e; // the model file is bad, whatever the provider
    const msg = firstLine((e as Error).message);
    if (device === 'cuda') {
      throw new ProviderUnavailableError(
        'cuda',
        `${lib.path} is installed but a session could not use it: ${msg} (check the GPU driver, CUDA 13 and cuDNN 9, or rerun \`npm run setup:cuda\`)`,
      );
    }
    return { provider: 'cpu', reason: `CUDA failed, using the CPU: ${msg}`, value: await open(['cpu']) };
  }
}

function firstLine(s: string): string {
  const line = String(s).split('\n')[0];
  return line.length > 240 ? line.slice(0, 237) + '...' : line;
}
