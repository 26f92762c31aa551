/**
 * `npm run doctor`: what this machine can run. Node and ONNX Runtime versions, the execution
 * providers onnxruntime-node lists, the CUDA provider libraries and CUDA/cuDNN libraries on the
 * loader path, and the models under models/ (and models/fixtures/) with their family.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cudaProviderStatus, defaultOrtRoot } from '../onnx/cudaSetup.js';
import { detectModelFamily, KNOWN_MODELS, type ModelFamily } from '../onnx/registry.js';
import { defineCli, parseCli, runCli } from './args.js';

/** Libraries the CUDA provider needs from the system (CUDA runtime, cuBLAS, cuDNN, ...). */
export const CUDA_SYSTEM_LIBRARIES = [
  'libcudart',
  'libcublas',
  'libcublasLt',
  'libcurand',
  'libcufft',
  'libcudnn',
  'libnvinfer',
] as const;

/** One model folder found on disk. */
export interface DoctorModel {
  name: string;
  dir: string;
  family: ModelFamily | undefined;
  /** parts of the optimum layout present */
  parts: string[];
}

/** Everything `npm run doctor` prints. */
export interface DoctorReport {
  node: string;
  platform: string;
  onnxruntime: { version: string | undefined; backends: { name: string; bundled: boolean }[]; error?: string };
  cudaProvider: { dir: string; present: string[]; missing: string[] };
  systemLibraries: { source: 'ldconfig' | 'unavailable'; found: { name: string; path: string }[]; missing: string[] };
  models: DoctorModel[];
  knownModels: { name: string; repo: string; family: ModelFamily; downloaded: boolean }[];
}

/** Parses `ldconfig -p` output into library file names and paths. */
export function parseLdconfig(output: string): { name: string; path: string }[] {
  const out: { name: string; path: string }[] = [];
  for (const line of output.split('\n')) {
    const m = /^\s*(\S+)\s+\(.*\)\s+=>\s+(\S+)\s*$/.exec(line);
    if (m) out.push({ name: m[1], path: m[2] });
  }
  return out;
}

function runLdconfig(): string | null {
  for (const bin of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    try {
      return execFileSync(bin, ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      // try the next location
    }
  }
  return null;
}

const MODEL_PARTS = [
  'model_index.json',
  'text_encoder/model.onnx',
  'unet/model.onnx',
  'vae_decoder/model.onnx',
  'tokenizer',
  'scheduler/scheduler_config.json',
];

function scanModels(root: string, prefix: string): DoctorModel[] {
  if (!fs.existsSync(root)) return [];
  const out: DoctorModel[] = [];
  for (const entry of fs.readdirSync(root, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() || entry.name.startsWith('.') || entry.name === 'recipes' || entry.name === 'fixtures')
      continue;
    const dir = path.join(root, entry.name);
    const parts = MODEL_PARTS.filter((p) => fs.existsSync(path.join(dir, p)));
    if (!parts.includes('model_index.json') && !parts.includes('unet/model.onnx')) continue;
    out.push({ name: prefix + entry.name, dir, family: detectModelFamily(dir), parts });
  }
  return out;
}

/** Options: where to look, and injected probes for tests. */
export interface DoctorOptions {
  modelsDir?: string;
  ortRoot?: string;
  /** `ldconfig -p` output; null = not available; default: run it */
  ldconfigOutput?: string | null;
  /** default: onnxruntime-node's listSupportedBackends() and env.versions */
  onnxruntime?: () => { version: string | undefined; backends: { name: string; bundled: boolean }[] };
}

function probeOnnxruntime(): { version: string | undefined; backends: { name: string; bundled: boolean }[] } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-node') as {
    listSupportedBackends(): { name: string; bundled: boolean }[];
    env: { versions?: Record<string, string> };
  };
  return {
    version: ort.env.versions?.node,
    backends: ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled })),
  };
}

/** Collects the doctor report. Never throws: a failing probe is reported in the report. */
export function collectDoctorReport(options: DoctorOptions = {}): DoctorReport {
  const modelsDir = options.modelsDir ?? 'models';
  let onnxruntime: DoctorReport['onnxruntime'];
  try {
    onnxruntime = (options.onnxruntime ?? probeOnnxruntime)();
  } catch (e) {
    onnxruntime = { version: undefined, backends: [], error: (e as Error).message };
  }
  let cudaProvider: DoctorReport['cudaProvider'];
  try {
    cudaProvider = cudaProviderStatus(options.ortRoot ?? defaultOrtRoot());
  } catch (e) {
    cudaProvider = { dir: `(onnxruntime-node not found: ${(e as Error).message})`, present: [], missing: [] };
  }
  const ld = options.ldconfigOutput === undefined ? runLdconfig() : options.ldconfigOutput;
  const libs = ld === null ? [] : parseLdconfig(ld);
  const found: { name: string; path: string }[] = [];
  const missing: string[] = [];
  for (const lib of CUDA_SYSTEM_LIBRARIES) {
    // libcudnn also matches its split parts (libcudnn_ops.so.9, ...)
    const hits = libs.filter((l) => l.name.startsWith(lib + '.so') || l.name.startsWith(lib + '_'));
    if (hits.length) found.push(...hits);
    else missing.push(lib);
  }
  const models = [...scanModels(modelsDir, ''), ...scanModels(path.join(modelsDir, 'fixtures'), 'fixtures/')];
  return {
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    onnxruntime,
    cudaProvider,
    systemLibraries: { source: ld === null ? 'unavailable' : 'ldconfig', found, missing },
    models,
    knownModels: KNOWN_MODELS.map((m) => ({
      name: m.name,
      repo: m.repo,
      family: m.family,
      downloaded: models.some((d) => d.name === m.name),
    })),
  };
}

/** The report as text for the terminal. */
export function formatDoctorReport(r: DoctorReport): string {
  const lines: string[] = [];
  lines.push(`node          ${r.node} (${r.platform})`);
  lines.push(
    `onnxruntime   ${r.onnxruntime.version ?? 'not loadable'}${r.onnxruntime.error ? ` (${r.onnxruntime.error})` : ''}`,
  );
  lines.push(
    `backends      ${r.onnxruntime.backends.map((b) => `${b.name}${b.bundled ? '' : ' (needs provider libraries)'}`).join(', ') || 'none'}`,
  );
  lines.push(
    `CUDA provider ${r.cudaProvider.missing.length === 0 && r.cudaProvider.present.length ? 'installed' : `missing ${r.cudaProvider.missing.join(', ')} (npm run setup:cuda)`}  [${r.cudaProvider.dir}]`,
  );
  if (r.systemLibraries.source === 'unavailable')
    lines.push('system libs   ldconfig not available: CUDA/cuDNN libraries not checked');
  else {
    for (const l of r.systemLibraries.found) lines.push(`system lib    ${l.name} => ${l.path}`);
    if (r.systemLibraries.missing.length) lines.push(`not on loader path: ${r.systemLibraries.missing.join(', ')}`);
  }
  if (r.models.length === 0) lines.push('models        none under models/ (npm run fetch-model -- <repo>)');
  for (const m of r.models)
    lines.push(`model         ${m.name}  family=${m.family ?? 'unknown'}  [${m.parts.join(', ')}]`);
  for (const k of r.knownModels.filter((k) => !k.downloaded))
    lines.push(`available     ${k.name} (${k.family}): npm run fetch-model -- ${k.name}`);
  return lines.join('\n');
}

/** The command line of `npm run doctor`. */
export const DOCTOR_CLI = defineCli({
  command: 'npm run doctor --',
  summary:
    'Says what this machine can run: Node and ONNX Runtime versions, execution providers, CUDA libraries, and the models found.',
  options: {
    'models-dir': { type: 'string', value: 'dir', default: 'models', help: 'where to look for models' },
  },
});

if (require.main === module) {
  runCli('doctor', () => {
    const { values } = parseCli(DOCTOR_CLI, process.argv.slice(2));
    console.log(formatDoctorReport(collectDoctorReport({ modelsDir: values['models-dir'] })));
  });
}
