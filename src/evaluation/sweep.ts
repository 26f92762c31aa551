/**
 * Which methods a course plan can evaluate, with fair baselines: the teacher's DDIM and
 * DPM-Solver++ use trailing timestep spacing at every step count (Lin et al. 2024), plus a
 * many-step DPM-Solver++ point; the few-step model, LCM-LoRA and the progressive-distillation
 * students use their own schedulers. And how a notebook opens its evaluation session for a plan.
 */
import * as path from 'node:path';
import { InvalidArgumentError, requireInteger } from '../core/errors.js';
import { packageRoot } from '../core/packageRoot.js';
import type { CoursePlan } from '../course/plan.js';
import { DDIM_LEADING, DDIM_TRAILING, DPM_SOLVER_PP_TRAILING, type Method } from './method.js';
import { EvaluationSession, type EvaluationOptions } from './session.js';

/** Which step counts `planMethods` sweeps per family (an empty list leaves the family out). */
export interface SweepChoice {
  ddim?: readonly number[];
  dpmSolver?: readonly number[];
  /** The plan's few-step model (LCM or Turbo) with its own scheduler. */
  fewStep?: readonly number[];
  lcmLora?: readonly number[];
  /** Progressive-distillation students: each samples at its own step count; list the counts to keep. */
  progressive?: readonly number[];
  /** The shipped Turbo model (ADD) at these step counts (Euler, trailing, guidance 0). */
  turbo?: readonly number[];
  /** Lightning students (progressive adversarial distillation): each samples at its own step count; list the counts to keep. */
  lightning?: readonly number[];
  /** Teacher DDIM with diffusers' default "leading" spacing, shown once to see why spacing matters (default none). */
  ddimLeading?: readonly number[];
  /** Where the fused LCM-LoRA folder goes (default out/lcm-lora-fused under the package root). */
  lcmLoraDir?: string;
}

/** The default sweep: every family at the step counts where it is interesting, DPM-Solver++ up to 25 steps. */
export const DEFAULT_SWEEP: Readonly<Required<Omit<SweepChoice, 'lcmLoraDir'>>> = Object.freeze({
  ddim: [2, 4, 8, 15, 25],
  dpmSolver: [4, 8, 25],
  fewStep: [1, 2, 4, 8],
  lcmLora: [2, 4, 8],
  progressive: [1, 2, 4, 8],
  turbo: [1, 2, 4],
  lightning: [1, 2, 4, 8],
  ddimLeading: [],
});

/**
 * A sweep of only the families `choice` names: every other family gets no step counts. (`planMethods`
 * fills a family left out from DEFAULT_SWEEP, which grows as the course ships new families.)
 */
export function sweepOnly(choice: SweepChoice): SweepChoice {
  const none = Object.fromEntries(Object.keys(DEFAULT_SWEEP).map((k) => [k, []])) as SweepChoice;
  return { ...none, ...choice };
}

/** Teacher DDIM at `steps` with trailing spacing (the fair baseline). */
export function teacherDdim(teacher: { dir: string; defaults: { guidance: number } }, steps: number): Method {
  return {
    name: `DDIM ${steps}`,
    family: 'DDIM',
    dir: teacher.dir,
    steps,
    guidance: teacher.defaults.guidance,
    scheduler: { ...DDIM_TRAILING },
  };
}

/** Teacher DPM-Solver++ 2M at `steps` with trailing spacing. */
export function teacherDpmSolver(teacher: { dir: string; defaults: { guidance: number } }, steps: number): Method {
  return {
    name: `DPM-Solver++ ${steps}`,
    family: 'DPM-Solver++',
    dir: teacher.dir,
    steps,
    guidance: teacher.defaults.guidance,
    scheduler: { ...DPM_SOLVER_PP_TRAILING },
  };
}

/**
 * The methods of a speed/quality sweep for a plan: teacher DDIM and DPM-Solver++ (trailing spacing,
 * teacher guidance), the few-step model (LCM or Turbo, own scheduler and guidance), LCM-LoRA fused
 * into the teacher (guidance 1, LCMScheduler), the progressive-distillation students (guidance 0)
 * and, when asked, teacher DDIM with diffusers' default leading spacing - each only where the plan
 * has the model (check the result for what is missing).
 */
export function planMethods(plan: CoursePlan, choice: SweepChoice = {}): Method[] {
  const pick = (key: keyof typeof DEFAULT_SWEEP): number[] => {
    const list = choice[key] ?? DEFAULT_SWEEP[key];
    if (!Array.isArray(list)) throw new InvalidArgumentError(`choice.${key}`, list, 'an array of step counts');
    list.forEach((s, i) => requireInteger(`choice.${key}[${i}]`, s, 1, 1000));
    return [...list];
  };
  const out: Method[] = [];
  const t = plan.teacher;
  if (t) {
    for (const steps of pick('ddim')) out.push(teacherDdim(t, steps));
    for (const steps of pick('dpmSolver')) out.push(teacherDpmSolver(t, steps));
    for (const steps of pick('ddimLeading')) {
      out.push({
        name: `DDIM ${steps} (leading)`,
        family: 'DDIM, diffusers default spacing',
        dir: t.dir,
        steps,
        guidance: t.defaults.guidance,
        scheduler: { ...DDIM_LEADING },
      });
    }
  }
  const f = plan.fewStep;
  if (f) {
    const family = f.family === 'turbo' ? 'Turbo' : 'LCM';
    for (const steps of pick('fewStep'))
      out.push({ name: `${family} ${steps}`, family, dir: f.dir, steps, guidance: f.defaults.guidance });
  }
  if (t && plan.lcmLora) {
    const dir = choice.lcmLoraDir ?? path.join(packageRoot(), 'out', 'lcm-lora-fused');
    for (const steps of pick('lcmLora'))
      out.push({
        name: `LCM-LoRA ${steps}`,
        family: 'LCM-LoRA',
        dir,
        steps,
        guidance: 1,
        lcmLora: { teacherDir: t.dir, loraFile: plan.lcmLora },
      });
  }
  const wanted = pick('progressive');
  for (const p of plan.progressive.filter((x) => wanted.includes(x.steps)))
    out.push({ name: `PD ${p.steps}`, family: 'PD', dir: p.dir, steps: p.steps, guidance: 0 });
  if (plan.turbo)
    for (const steps of pick('turbo'))
      out.push({ name: `Turbo ${steps}`, family: 'Turbo', dir: plan.turbo, steps, guidance: 0 });
  const wantedLightning = pick('lightning');
  for (const l of (plan.lightning ?? []).filter((x) => wantedLightning.includes(x.steps)))
    out.push({ name: `Lightning ${l.steps}`, family: 'Lightning', dir: l.dir, steps: l.steps, guidance: 0 });
  return out;
}

/** The reference of PSNR/SSIM for a plan: the teacher (or main model) with 50-step trailing DDIM. */
export function referenceMethod(plan: CoursePlan, steps = 50): Method {
  const m = plan.teacher ?? plan.main;
  return {
    name: `DDIM ${steps}`,
    family: 'DDIM',
    dir: m.dir,
    steps,
    guidance: m.defaults.guidance,
    scheduler: { ...DDIM_TRAILING },
  };
}

/**
 * Opens the evaluation session of a notebook for a plan: with the plan's scene evaluator, quality is
 * Frechet distance + adherence on `images` images; without one (a fixture or a downloaded model),
 * PSNR/SSIM against the teacher's 50-step DDIM images. Close it with `close()`.
 */
export function openEvaluation(
  plan: CoursePlan,
  options: Partial<EvaluationOptions> & { images: number },
): Promise<EvaluationSession> {
  if (plan === null || typeof plan !== 'object' || !plan.main)
    throw new InvalidArgumentError('plan', plan, 'a CoursePlan (coursePlan())');
  return EvaluationSession.open({
    evaluator: plan.evaluator,
    referenceMethod: plan.evaluator ? undefined : referenceMethod(plan),
    ...options,
  });
}
