/**
 * Known public ONNX exports of few-step and baseline text-to-image models, with the layout they
 * are expected to have (optimum/diffusers ONNX folders) and the sampling defaults of their family.
 *
 * The repo ids were looked up in public code that loads them; none could be downloaded from the
 * machine this project is built on (no hub access), so `verified` is false for all of them: the
 * layout is what those loaders expect, not something checked here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError, MissingResourceError } from '../core/errors.js';

/** How a model is sampled: classic SD (CFG, 20-50 steps), LCM (1-8 steps, guidance embedded), Turbo/ADD (1-4 steps, no CFG). */
export type ModelFamily = 'sd' | 'lcm' | 'turbo';

/** A known ONNX export. */
export interface KnownModel {
  /** local folder name under models/ and the name `resolveModel` accepts */
  name: string;
  repo: string;
  revision: string;
  /** folder of the repo that holds the ONNX pipeline, if not the root */
  subfolder?: string;
  family: ModelFamily;
  /** what the export is of */
  baseModel: string;
  /** who publishes the export */
  publisher: string;
  defaults: { steps: number; guidanceScale: number; width: number; height: number; scheduler: string };
  /** files the repository publishes that the pipeline needs (recorded with sources in data/hub-layouts/<name>.json) */
  expectedFiles: string[];
  /** false: not downloaded and checked from this project's machines */
  verified: false;
  note: string;
}

const OPTIMUM_LAYOUT = [
  'model_index.json',
  'scheduler/scheduler_config.json',
  'text_encoder/model.onnx',
  'tokenizer/vocab.json',
  'tokenizer/merges.txt',
  'unet/model.onnx',
  'vae_decoder/model.onnx',
];

/** The registry. */
export const KNOWN_MODELS: readonly KnownModel[] = Object.freeze([
  {
    name: 'lcm-dreamshaper-v7',
    repo: 'TheyCallMeHex/LCM-Dreamshaper-V7-ONNX',
    revision: 'main',
    family: 'lcm',
    baseModel: 'SimianLuo/LCM_Dreamshaper_v7 (LCM distilled from Dreamshaper v7, an SD 1.5 fine-tune)',
    publisher: 'community (OnnxStack), fp32 UNet with model.onnx_data',
    defaults: { steps: 4, guidanceScale: 8, width: 512, height: 512, scheduler: 'LCMScheduler' },
    // The UNet's external-data name is not known (data/hub-layouts/lcm-dreamshaper-v7.json); the downloader takes any.
    expectedFiles: OPTIMUM_LAYOUT,
    verified: false,
    note: 'guidance is embedded (timestep_cond input), not classifier-free: one UNet call per step',
  },
  {
    name: 'sd-turbo',
    repo: 'onnxruntime/sd-turbo',
    revision: 'main',
    family: 'turbo',
    baseModel: 'stabilityai/sd-turbo (adversarial diffusion distillation of SD 2.1)',
    publisher: 'onnxruntime (Microsoft ONNX Runtime team)',
    defaults: { steps: 1, guidanceScale: 0, width: 512, height: 512, scheduler: 'EulerAncestralDiscreteScheduler' },
    expectedFiles: [...OPTIMUM_LAYOUT, 'unet/model.onnx.data'],
    verified: false,
    note: 'trained for 1-4 steps without CFG; timestep_spacing "trailing"',
  },
  {
    name: 'sd15',
    repo: 'runwayml/stable-diffusion-v1-5',
    revision: 'onnx',
    family: 'sd',
    baseModel: 'Stable Diffusion v1.5',
    publisher:
      'runwayml (the original publisher; its "onnx" branch held the diffusers ONNX export). Community re-export: onnx-community/stable-diffusion-v1-5-ONNX',
    defaults: { steps: 25, guidanceScale: 7.5, width: 512, height: 512, scheduler: 'PNDMScheduler' },
    // diffusers' conversion script, which wrote this branch, saves the UNet's weights to unet/weights.pb.
    expectedFiles: [...OPTIMUM_LAYOUT, 'unet/weights.pb'],
    verified: false,
    note: 'the runwayml repo was withdrawn in 2024; if it answers 404 use --name sd15 with onnx-community/stable-diffusion-v1-5-ONNX',
  },
  {
    name: 'sd21-base',
    repo: 'aislamov/stable-diffusion-2-1-base-onnx',
    revision: 'main',
    family: 'sd',
    baseModel: 'stabilityai/stable-diffusion-2-1-base (512 px, epsilon prediction)',
    publisher: 'community (diffusers.js author)',
    defaults: { steps: 25, guidanceScale: 7.5, width: 512, height: 512, scheduler: 'PNDMScheduler' },
    expectedFiles: OPTIMUM_LAYOUT,
    verified: false,
    note: 'the repo also has fp16 variants used by browser loaders',
  },
] satisfies KnownModel[]);

/** The registry entry called `name`, or undefined. */
export function findKnownModel(name: string): KnownModel | undefined {
  return KNOWN_MODELS.find((m) => m.name === name || m.repo.toLowerCase() === name.toLowerCase());
}

/** The command that fetches a registry model. */
export function fetchCommandFor(model: KnownModel): string {
  const parts = ['npm run fetch-model --', model.repo];
  if (model.revision !== 'main') parts.push('--revision', model.revision);
  if (model.subfolder) parts.push('--subfolder', model.subfolder);
  parts.push('--name', model.name);
  return parts.join(' ');
}

function isModelFolder(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'model_index.json')) || fs.existsSync(path.join(dir, 'unet', 'model.onnx'));
}

/**
 * A model folder from a registry name (-> `<modelsDir>/<name>`), a folder name under modelsDir, or a
 * path. A known model that is not downloaded throws MissingResourceError with the fetch command.
 */
export function resolveModel(nameOrPath: string, options: { modelsDir?: string } = {}): string {
  if (typeof nameOrPath !== 'string' || nameOrPath.trim() === '') {
    throw new InvalidArgumentError(
      'model',
      nameOrPath,
      `a model folder or one of ${KNOWN_MODELS.map((m) => m.name).join(', ')}`,
    );
  }
  const modelsDir = options.modelsDir ?? 'models';
  const known = findKnownModel(nameOrPath);
  if (known) {
    const dir = path.join(modelsDir, known.name);
    if (isModelFolder(dir)) return dir;
    throw new MissingResourceError(
      dir,
      `model ${known.name} (${known.repo}) is not downloaded to ${dir}; get it with: ${fetchCommandFor(known)}`,
    );
  }
  const looksLikePath = nameOrPath.includes('/') || nameOrPath.includes('\\') || nameOrPath.startsWith('.');
  const candidates = looksLikePath
    ? [nameOrPath]
    : [path.join(modelsDir, nameOrPath), path.join(modelsDir, 'fixtures', nameOrPath)];
  for (const dir of candidates) {
    if (isModelFolder(dir)) return dir;
  }
  const hint = looksLikePath
    ? `${nameOrPath} is not a model folder (no model_index.json or unet/model.onnx)`
    : `no model ${JSON.stringify(nameOrPath)} under ${modelsDir}/; known models: ${KNOWN_MODELS.map((m) => m.name).join(', ')}; download any hub export with: npm run fetch-model -- <owner/repo> --name ${nameOrPath}`;
  throw new MissingResourceError(candidates[0], hint);
}

/**
 * The family of a model folder: from `fetch.json` (the repo it came from) or the folder name via the
 * registry, else from its files: LCM when `model_index.json` names LatentConsistencyModelPipeline or
 * `unet/config.json` has `time_cond_proj_dim`; Turbo when the folder name says turbo; else SD when
 * it has a `model_index.json`. undefined when nothing tells.
 */
export function detectModelFamily(dir: string): ModelFamily | undefined {
  const readJson = (f: string): Record<string, unknown> | undefined => {
    try {
      return JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };
  const fetched = readJson('fetch.json');
  const fromRegistry =
    (typeof fetched?.repo === 'string' && findKnownModel(fetched.repo)) || findKnownModel(path.basename(dir));
  if (fromRegistry) return fromRegistry.family;
  const index = readJson('model_index.json');
  const unetConfig = readJson('unet/config.json');
  if (
    String(index?._class_name ?? '').includes('LatentConsistency') ||
    (unetConfig && unetConfig.time_cond_proj_dim != null)
  )
    return 'lcm';
  if (/turbo/i.test(path.basename(dir)) || /turbo/i.test(String(fetched?.repo ?? ''))) return 'turbo';
  if (index) return 'sd';
  return undefined;
}
