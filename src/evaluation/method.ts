/**
 * What is evaluated: one `Method` (a model folder, a sampler configuration with its timestep
 * spacing, a step count, a guidance scale, and where it matters an image size and batch size), with
 * one stable string id. Every notebook, solution and `npm run eval:models` describes what it measures
 * with this type.
 */
import * as path from 'node:path';
import { InvalidArgumentError, requireInteger } from '../core/errors.js';
import { packageRoot } from '../core/packageRoot.js';
import type { SchedulerConfig } from '../samplers/types.js';
import { canonicalJson } from './cache.js';

/** One way to make images: which model, which sampler, how many steps, what guidance. */
export interface Method {
  /** Label for legends and tables, e.g. "LCM 4" or "DDIM 25". */
  name: string;
  /** The method family, one line per family in charts: 'DDIM', 'DPM-Solver++', 'LCM', 'LCM-LoRA', 'PD', 'Turbo', ... */
  family: string;
  /** Model folder (diffusers/optimum ONNX layout). For LCM-LoRA it is written on first use from `lcmLora`. */
  dir: string;
  steps: number;
  /** Classifier-free guidance scale (LCM: the embedded w + 1; 0 or 1 = one UNet evaluation per step). */
  guidance: number;
  /** Scheduler config keys overriding the model's own (sampler class, timestep spacing, solver order). */
  scheduler?: SchedulerConfig;
  /** LCM-LoRA: `dir` is the teacher with this LoRA fused in (fuseLcmLoraFolder), written by the session. */
  lcmLora?: { teacherDir: string; loraFile: string };
  /** Image side in pixels (default: the model's native size). */
  size?: number;
  /** Images per generate() call when timing (default 1). */
  batch?: number;
}

/**
 * DDIM (Song et al. 2021) with "trailing" timestep spacing: the fair few-step configuration of a
 * Stable-Diffusion-style teacher (Lin et al. 2024, "Common diffusion noise schedules and sample steps
 * are flawed": the first step starts at t = T - 1 instead of t = T - T/n, so 1 step denoises pure
 * noise from the right noise level).
 */
export const DDIM_TRAILING: SchedulerConfig = Object.freeze({
  _class_name: 'DDIMScheduler',
  timestep_spacing: 'trailing',
});
/** DPM-Solver++ 2M (Lu et al. 2022) with trailing timestep spacing (Lin et al. 2024), the course's solver baseline. */
export const DPM_SOLVER_PP_TRAILING: SchedulerConfig = Object.freeze({
  _class_name: 'DPMSolverMultistepScheduler',
  algorithm_type: 'dpmsolver++',
  solver_order: 2,
  timestep_spacing: 'trailing',
});
/**
 * DDIM with diffusers' default "leading" spacing for Stable Diffusion (steps_offset 1): 4 steps start
 * at t = 751 and 1 step runs at t = 1 on pure noise. Shown once (notebook 05) to show why spacing
 * matters; never a baseline.
 */
export const DDIM_LEADING: SchedulerConfig = Object.freeze({
  _class_name: 'DDIMScheduler',
  timestep_spacing: 'leading',
  steps_offset: 1,
});

/** Throws InvalidArgumentError naming the field unless `m` is a usable Method; returns it. */
export function validateMethod(m: Method, field = 'method'): Method {
  if (m === null || typeof m !== 'object')
    throw new InvalidArgumentError(field, m, 'a Method {name, family, dir, steps, guidance}');
  for (const key of ['name', 'family', 'dir'] as const) {
    if (typeof m[key] !== 'string' || m[key].trim() === '')
      throw new InvalidArgumentError(`${field}.${key}`, m[key], 'a non-empty string');
  }
  requireInteger(`${field}.steps`, m.steps, 1, 1000);
  if (typeof m.guidance !== 'number' || !Number.isFinite(m.guidance) || m.guidance < 0) {
    throw new InvalidArgumentError(`${field}.guidance`, m.guidance, 'a finite number >= 0');
  }
  if (m.size !== undefined) requireInteger(`${field}.size`, m.size, 8, 4096);
  if (m.batch !== undefined) requireInteger(`${field}.batch`, m.batch, 1, 256);
  if (
    m.scheduler !== undefined &&
    (m.scheduler === null || typeof m.scheduler !== 'object' || Array.isArray(m.scheduler))
  ) {
    throw new InvalidArgumentError(`${field}.scheduler`, m.scheduler, 'a scheduler config object or undefined');
  }
  if (
    m.lcmLora !== undefined &&
    (typeof m.lcmLora?.teacherDir !== 'string' || typeof m.lcmLora?.loraFile !== 'string')
  ) {
    throw new InvalidArgumentError(`${field}.lcmLora`, m.lcmLora, '{teacherDir, loraFile}');
  }
  return m;
}

/** A path as the id shows it: relative to the package root when inside it, else absolute; '/' separators. */
function pathIdentity(p: string): string {
  const abs = path.resolve(p);
  const rel = path.relative(packageRoot(), abs);
  const shown = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
  return shown.split(path.sep).join('/');
}

/**
 * The method's stable id: model identity (folder, or teacher + LoRA file), sampler configuration
 * (canonical JSON of the scheduler override, "model" when none), steps, guidance, and size/batch when
 * set. Two methods with the same id make the same images; the id does not cover the files' content
 * (cache keys add content fingerprints, see measurementKey).
 */
export function methodId(m: Method): string {
  validateMethod(m);
  const model = m.lcmLora
    ? `${pathIdentity(m.lcmLora.teacherDir)}+lora:${pathIdentity(m.lcmLora.loraFile)}`
    : pathIdentity(m.dir);
  const sampler = m.scheduler === undefined ? 'model' : canonicalJson(m.scheduler, 'method.scheduler');
  const parts = [`model=${model}`, `sampler=${sampler}`, `steps=${m.steps}`, `guidance=${m.guidance}`];
  if (m.size !== undefined) parts.push(`size=${m.size}`);
  if (m.batch !== undefined) parts.push(`batch=${m.batch}`);
  return parts.join(';');
}
