/**
 * Which models the course notebooks run, and how: one setting, the environment variable
 * FEWSTEP_MODEL, switches every notebook from the shipped scenes family to a downloaded Stable
 * Diffusion, LCM or SD-Turbo export (a folder path, absolute or relative to the repository root, or a
 * registry name after `npm run fetch-model`). FEWSTEP_LCM_MODEL optionally adds a few-step LCM model
 * beside a downloaded SD teacher. The plan adapts step counts, guidance and resolutions to the family.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from '../core/errors.js';
import { packageRoot } from '../core/packageRoot.js';
import { FAMILY_DEFAULTS, modelDefaults, type ModelDefaults } from '../onnx/modelDefaults.js';
import { detectModelFamily, resolveModel, type ModelFamily } from '../onnx/registry.js';
import type { Method } from '../evaluation/method.js';
import { teacherDpmSolver } from '../evaluation/sweep.js';

/** The course's prompt (a valid caption of the shipped scenes model). */
export const COURSE_PROMPT = 'a beautiful sunset over mountains, oil painting style, warm colors';
/** The course's step counts, 1 to 50. */
export const COURSE_STEP_COUNTS: readonly number[] = Object.freeze([1, 2, 4, 8, 15, 25, 50]);
/** At or below this many steps the few-step model samples; above it the teacher with DPM-Solver++ (as in the course). */
export const FEW_STEP_LIMIT = 8;

/** A model of the plan with its family and recommended settings. */
export interface PlannedModel {
  dir: string;
  family: ModelFamily;
  defaults: ModelDefaults;
}

/** Everything the notebooks need to know about the models they run. */
export interface CoursePlan {
  /** The main model: FEWSTEP_MODEL, else the shipped teacher. */
  main: PlannedModel;
  /** The many-step (SD-family) model, when there is one. */
  teacher?: PlannedModel;
  /** The few-step model (LCM or Turbo family), when there is one. */
  fewStep?: PlannedModel;
  /** The LCM-LoRA adapter for the teacher (shipped family, or FEWSTEP_LCM_LORA). */
  lcmLora?: string;
  /** Progressive-distillation students, by step count (shipped family only). */
  progressive: { steps: number; dir: string }[];
  /** The adversarially distilled Turbo model (ADD; sampled at 1-4 steps, guidance 0), when shipped (shipped family only). */
  turbo?: string;
  /** Progressive adversarial distillation (Lightning) students, by step count (shipped family only). */
  lightning: { steps: number; dir: string }[];
  /** The scene evaluator (shipped family only; metrics that need it are skipped otherwise). */
  evaluator?: string;
  /** True when the shipped scenes family runs (nothing set). */
  shipped: boolean;
  /** True when a random-weight test fixture runs: pictures are noise, timings mean nothing. */
  fixture: boolean;
  /** The prompt to use: the course's for the shipped family and general models alike. */
  prompt: string;
  /** Step counts the notebooks sweep (Turbo-only plans stop at its useful range). */
  stepCounts: number[];
  /**
   * The method for a step count: the few-step model ("LCM 4", own scheduler and guidance) at <=
   * FEW_STEP_LIMIT steps, else the teacher with DPM-Solver++ 2M, trailing spacing ("DPM-Solver++ 25");
   * the few-step model everywhere when there is no teacher, the teacher everywhere when there is no
   * few-step model. The same Method (same id) as planMethods makes for that family and step count.
   */
  methodFor(steps: number): Method;
  /**
   * Every sampling line the plan uses over `steps` (default its step counts; e.g. LCM and the
   * teacher's DPM-Solver++), each at every one of those step counts: lines in order of first use,
   * step counts in the given order within a line.
   */
  sweep(steps?: readonly number[]): Method[];
  /** One paragraph saying what runs, for the notebooks' first cell. */
  describe(): string;
}

/** Options of coursePlan (tests pass their own environment and root). */
export interface CoursePlanOptions {
  env?: Record<string, string | undefined>;
  /** Repository root (default: two folders above this file, the package root). */
  root?: string;
}

function readIndex(dir: string): Record<string, unknown> {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'model_index.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function planned(dir: string, field: string): PlannedModel {
  const family = detectModelFamily(dir);
  if (family === undefined)
    throw new InvalidArgumentError(
      field,
      dir,
      'a diffusers/optimum ONNX model folder (model_index.json or unet/model.onnx)',
    );
  return { dir, family, defaults: modelDefaults(readIndex(dir), family) };
}

/** A model folder from an env value: a path (absolute, or relative to the working directory or the root) or a registry name. */
function locate(value: string, root: string): string {
  const modelsDir = path.join(root, 'models');
  if (path.isAbsolute(value)) return resolveModel(value, { modelsDir });
  const fromRoot = path.join(root, value);
  if (fs.existsSync(fromRoot)) return resolveModel(fromRoot, { modelsDir });
  if (fs.existsSync(value)) return resolveModel(path.resolve(value), { modelsDir });
  return resolveModel(value, { modelsDir });
}

const isFixture = (dir: string) => path.resolve(dir).split(path.sep).includes('fixtures');

/**
 * The course plan from the environment. Nothing set: the shipped family (teacher, LCM, LCM-LoRA,
 * progressive-distillation students, evaluator). FEWSTEP_MODEL set: that model is the main one; an
 * SD-family model is the teacher (with FEWSTEP_LCM_MODEL / FEWSTEP_LCM_LORA as its few-step
 * companions when given), an LCM or Turbo model is the few-step model (and also samples above 8
 * steps, with its own scheduler, when there is no teacher).
 */
export function coursePlan(options: CoursePlanOptions = {}): CoursePlan {
  const env = options.env ?? process.env;
  const root = options.root ?? packageRoot();
  const models = path.join(root, 'models');
  const requested = env.FEWSTEP_MODEL?.trim() || undefined;
  const shippedTeacher = path.join(models, 'scenes-teacher');
  const mainDir = requested === undefined ? shippedTeacher : locate(requested, root);
  const main = planned(mainDir, 'FEWSTEP_MODEL');
  const shipped = path.resolve(mainDir) === path.resolve(shippedTeacher);
  const lcmValue = env.FEWSTEP_LCM_MODEL?.trim() || undefined;
  const loraValue = env.FEWSTEP_LCM_LORA?.trim() || undefined;

  let teacher: PlannedModel | undefined;
  let fewStep: PlannedModel | undefined;
  if (main.family === 'sd') {
    teacher = main;
    if (lcmValue !== undefined) fewStep = planned(locate(lcmValue, root), 'FEWSTEP_LCM_MODEL');
    else if (shipped) fewStep = planned(path.join(models, 'scenes-lcm'), 'models/scenes-lcm');
  } else {
    fewStep = main;
  }
  if (fewStep && fewStep.family === 'sd')
    throw new InvalidArgumentError(
      'FEWSTEP_LCM_MODEL',
      fewStep.dir,
      'an LCM or Turbo model folder (it is a plain SD model)',
    );
  let lcmLora: string | undefined;
  if (loraValue !== undefined) {
    lcmLora = path.isAbsolute(loraValue)
      ? loraValue
      : fs.existsSync(path.join(root, loraValue))
        ? path.join(root, loraValue)
        : path.resolve(loraValue);
    if (!fs.existsSync(lcmLora))
      throw new InvalidArgumentError('FEWSTEP_LCM_LORA', loraValue, 'an existing .safetensors LoRA file');
  } else if (shipped) {
    lcmLora = path.join(models, 'scenes-lcm-lora', 'lora.safetensors');
  }
  const progressive = shipped
    ? [1, 2, 4, 8]
        .map((steps) => ({ steps, dir: path.join(models, `scenes-pd-${steps}`) }))
        .filter((p) => fs.existsSync(path.join(p.dir, 'unet', 'model.onnx')))
    : [];
  const turboDir = path.join(models, 'scenes-turbo');
  const turbo = shipped && fs.existsSync(path.join(turboDir, 'unet', 'model.onnx')) ? turboDir : undefined;
  const lightning = shipped
    ? [1, 2, 4, 8]
        .map((steps) => ({ steps, dir: path.join(models, `scenes-lightning-${steps}`) }))
        .filter((p) => fs.existsSync(path.join(p.dir, 'unet', 'model.onnx')))
    : [];
  const evaluatorDir = path.join(models, 'scenes-evaluator');
  const evaluator = shipped && fs.existsSync(path.join(evaluatorDir, 'model.onnx')) ? evaluatorDir : undefined;
  const fixture = [main, teacher, fewStep].some((m) => m !== undefined && isFixture(m.dir));
  const turboOnly = teacher === undefined && fewStep?.family === 'turbo';
  const stepCounts = turboOnly ? [1, 2, 4, 8] : [...COURSE_STEP_COUNTS];

  const fewName = (m: PlannedModel) => (m.family === 'turbo' ? 'Turbo' : 'LCM');
  const checkSteps = (steps: number, field = 'steps') => {
    if (!Number.isInteger(steps) || steps < 1 || steps > 1000)
      throw new InvalidArgumentError(field, steps, 'an integer in [1, 1000]');
  };
  const fewMethod = (f: PlannedModel, steps: number): Method => ({
    name: `${fewName(f)} ${steps}`,
    family: fewName(f),
    dir: f.dir,
    steps,
    guidance: f.defaults.guidance,
  });
  /** 'few' or 'teacher': which line samples `steps`. */
  const lineFor = (steps: number): 'few' | 'teacher' =>
    fewStep && (steps <= FEW_STEP_LIMIT || teacher === undefined) ? 'few' : 'teacher';
  const lineMethod = (line: 'few' | 'teacher', steps: number): Method =>
    line === 'few' ? fewMethod(fewStep!, steps) : teacherDpmSolver(teacher ?? main, steps);
  const methodFor = (steps: number): Method => {
    checkSteps(steps);
    return lineMethod(lineFor(steps), steps);
  };
  const sweep = (steps: readonly number[] = stepCounts): Method[] => {
    if (!Array.isArray(steps) || steps.length === 0)
      throw new InvalidArgumentError('steps', steps, 'a non-empty array of step counts');
    steps.forEach((s, i) => checkSteps(s, `steps[${i}]`));
    const lines: ('few' | 'teacher')[] = [];
    for (const s of steps) if (!lines.includes(lineFor(s))) lines.push(lineFor(s));
    return lines.flatMap((line) => steps.map((s) => lineMethod(line, s)));
  };
  const rel = (d: string) => path.relative(root, d) || d;
  const describe = () =>
    [
      shipped
        ? 'the shipped scenes family (FEWSTEP_MODEL is not set)'
        : `FEWSTEP_MODEL = ${rel(main.dir)} (${main.family})`,
      teacher
        ? `many steps: ${rel(teacher.dir)} with DPM-Solver++, guidance ${teacher.defaults.guidance}`
        : 'many steps: no SD-family teacher; the few-step model samples every step count',
      fewStep
        ? `<= ${FEW_STEP_LIMIT} steps: ${rel(fewStep.dir)} (${fewStep.family}, guidance ${fewStep.defaults.guidance})`
        : `<= ${FEW_STEP_LIMIT} steps: no few-step model; the teacher samples them too`,
      lcmLora ? `LCM-LoRA: ${rel(lcmLora)}` : 'LCM-LoRA: none (set FEWSTEP_LCM_LORA)',
      shipped
        ? `adversarial distillation: ${turbo ? rel(turbo) : 'no scenes-turbo'}; Lightning students ${lightning.length ? lightning.map((l) => l.steps).join(', ') + ' steps' : 'none'}`
        : '',
      evaluator
        ? `quality metrics: scene evaluator ${rel(evaluator)} (Frechet distance, prompt adherence) + PSNR/SSIM`
        : 'quality metrics: PSNR/SSIM against the 50-step reference only (no scene evaluator for this model)',
      fixture
        ? 'TEST FIXTURE with random weights: pictures are noise patterns and timings say nothing about a real model'
        : '',
    ]
      .filter((l) => l !== '')
      .join('\n');
  return {
    main,
    teacher,
    fewStep,
    lcmLora,
    progressive,
    turbo,
    lightning,
    evaluator,
    shipped,
    fixture,
    prompt: COURSE_PROMPT,
    stepCounts,
    methodFor,
    sweep,
    describe,
  };
}

/** The recommended defaults of a family (re-exported for notebooks that print them). */
export const familyDefaults = (family: ModelFamily): ModelDefaults => ({ ...FAMILY_DEFAULTS[family] });
