/**
 * Recorded numbers: the readers of data/model-eval.json (written by `npm run eval:models` through the
 * evaluation session) and of models/scenes-training.json (written by the scenes recipe). Both are
 * "recorded" results (a date and a machine, not this run): the readers check every field they hand
 * on and throw an InvalidArgumentError that names the field (e.g. `rows[3].frechetInterval.low`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from '../core/errors.js';
import { packageRoot } from '../core/packageRoot.js';
import type { SchedulerConfig } from '../samplers/types.js';
import type { Interval } from './bootstrap.js';
import type { TimeStats } from './result.js';

/** Version of data/model-eval.json's layout; readModelEval refuses other versions. */
export const MODEL_EVAL_SCHEMA = 2;

/** One row of data/model-eval.json: a Method's quality on `images` prompts and its time per image. */
export interface ModelEvalRow {
  /** Table name, e.g. 'teacher DDIM 4' or 'LCM 4'. */
  name: string;
  /** Method family ('DDIM', 'DPM-Solver++', 'DDIM, diffusers default spacing', 'LCM', 'LCM-LoRA', 'PD', 'Turbo', 'Lightning'). */
  family: string;
  /** Model folder under models/ ('.lcm-lora-fused' for teacher + LCM-LoRA). */
  model: string;
  /** methodId of the Method measured. */
  id: string;
  steps: number;
  guidance: number;
  /** Scheduler override (sampler class, timestep spacing); absent: the model folder's own scheduler. */
  scheduler?: SchedulerConfig;
  /** UNet evaluations per image: steps x the pipeline's unetEvaluationsPerStep (2 under classifier-free guidance). */
  unetEvaluations: number;
  images: number;
  /** Frechet distance in the scene evaluator's feature space (lower is better): the point estimate. */
  frechet: number;
  /** Its bootstrap interval (images resampled). */
  frechetInterval: Interval;
  /** Mean fraction of the prompt's 7 attributes found in the image (higher is better): the point estimate. */
  adherence: number;
  /** Its bootstrap interval. */
  adherenceInterval: Interval;
  /** Fraction of images with all 7 attributes right. */
  allCorrect: number;
  /**
   * Mean CLIPScore with models/scenes-clip (100 x max(cos, 0), higher is better): the point estimate;
   * absent when eval:models ran without the scenes-clip model (files written before it existed).
   */
  clipScore?: number;
  /** Its bootstrap interval (present exactly when clipScore is). */
  clipScoreInterval?: Interval;
  /** Time per image, batch 1, end to end (median and IQR over interleaved rounds). */
  time: TimeStats;
  /** 'measured now' when eval:models measured the row in that run, 'cache hit' when it re-used the cache's value. */
  source: 'measured now' | 'cache hit';
  /** When the row's quality was measured (ISO 8601). */
  measuredAt: string;
}

/** data/model-eval.json. */
export interface ModelEvalFile {
  what: string;
  schema: number;
  /** When eval:models wrote the file (ISO 8601). */
  date: string;
  /** Images per row. */
  images: number;
  /** Nominal coverage of the intervals, 0.95. */
  level: number;
  machine: { cpu: string; cores: number; provider: string; [k: string]: unknown };
  rows: ModelEvalRow[];
  speed: {
    lcm4EndToEndMs: number;
    teacher50GuidedMs: number;
    iqr: { lcm4EndToEndMs: number; teacher50GuidedMs: number };
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

/** One stage of models/scenes-training.json: optimiser steps, batch size and wall-clock minutes on the recipe's CPU. */
export interface TrainingStage {
  steps: number;
  batch: number;
  minutes: number;
  /**
   * Stages whose result this stage started from (e.g. the LCM student from teacher + LCM-LoRA:
   * ['lora']); their cost is part of this stage's. From the record's `init_stages`, or, in records
   * written before it existed, from its `init` text.
   */
  initStages?: string[];
}

function readJson(file: string, field: string): unknown {
  if (!fs.existsSync(file))
    throw new InvalidArgumentError(
      field,
      file,
      'an existing JSON file (run npm run eval:models / the scenes recipe to make it)',
    );
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch (e) {
    throw new InvalidArgumentError(field, file, `valid JSON (${(e as Error).message})`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function num(o: Record<string, unknown>, key: string, field: string, min = -Infinity, max = Infinity): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
    throw new InvalidArgumentError(`${field}.${key}`, v, `a finite number in [${min}, ${max}]`);
  return v;
}

function str(o: Record<string, unknown>, key: string, field: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v.trim() === '')
    throw new InvalidArgumentError(`${field}.${key}`, v, 'a non-empty string');
  return v;
}

function obj(o: Record<string, unknown>, key: string, field: string): Record<string, unknown> {
  const v = o[key];
  if (!isObject(v)) throw new InvalidArgumentError(`${field}.${key}`, v, 'an object');
  return v;
}

function checkInterval(o: Record<string, unknown>, key: string, field: string, value: number, min: number): void {
  const i = obj(o, key, field);
  const f = `${field}.${key}`;
  const low = num(i, 'low', f, min);
  const high = num(i, 'high', f, min);
  num(i, 'level', f, 0.5, 0.999);
  if (num(i, 'value', f, min) !== value)
    throw new InvalidArgumentError(`${f}.value`, i.value, `the row's point estimate ${value}`);
  if (low > high) throw new InvalidArgumentError(`${f}.low`, low, `<= high (${high})`);
}

function checkTime(o: Record<string, unknown>, field: string): void {
  const t = obj(o, 'time', field);
  const f = `${field}.time`;
  const q1 = num(t, 'q1Ms', f, 0);
  const med = num(t, 'medianMs', f, 0);
  const q3 = num(t, 'q3Ms', f, 0);
  num(t, 'iqrMs', f, 0);
  num(t, 'n', f, 1);
  if (!(q1 <= med && med <= q3))
    throw new InvalidArgumentError(`${f}.medianMs`, med, `within [q1Ms, q3Ms] = [${q1}, ${q3}]`);
}

/** Reads and checks data/model-eval.json (default: the package's own); errors name the field. */
export function readModelEval(file = path.join(packageRoot(), 'data', 'model-eval.json')): ModelEvalFile {
  const data = readJson(file, 'file');
  if (!isObject(data)) throw new InvalidArgumentError('file', file, 'a JSON object written by npm run eval:models');
  if (data.schema !== MODEL_EVAL_SCHEMA)
    throw new InvalidArgumentError(
      'schema',
      data.schema,
      `${MODEL_EVAL_SCHEMA} (regenerate ${path.basename(file)} with npm run eval:models)`,
    );
  str(data, 'date', '');
  if (Number.isNaN(Date.parse(data.date as string)))
    throw new InvalidArgumentError('date', data.date, 'an ISO 8601 date');
  const images = num(data, 'images', '', 2);
  num(data, 'level', '', 0.5, 0.999);
  const m = obj(data, 'machine', '');
  str(m, 'cpu', 'machine');
  num(m, 'cores', 'machine', 1);
  str(m, 'provider', 'machine');
  if (!Array.isArray(data.rows) || data.rows.length === 0)
    throw new InvalidArgumentError('rows', data.rows, 'a non-empty array of rows');
  data.rows.forEach((r: unknown, i: number) => {
    const f = `rows[${i}]`;
    if (!isObject(r)) throw new InvalidArgumentError(f, r, 'a row object');
    for (const k of ['name', 'family', 'model', 'id', 'measuredAt']) str(r, k, f);
    num(r, 'steps', f, 1);
    num(r, 'guidance', f, 0);
    num(r, 'unetEvaluations', f, 1);
    if (num(r, 'images', f, 2) !== images)
      throw new InvalidArgumentError(`${f}.images`, r.images, `the file's images per row (${images})`);
    checkInterval(r, 'frechetInterval', f, num(r, 'frechet', f, 0), 0);
    checkInterval(r, 'adherenceInterval', f, num(r, 'adherence', f, 0, 1), 0);
    num(r, 'allCorrect', f, 0, 1);
    if ((r.clipScore === undefined) !== (r.clipScoreInterval === undefined))
      throw new InvalidArgumentError(
        `${f}.${r.clipScore === undefined ? 'clipScore' : 'clipScoreInterval'}`,
        undefined,
        'clipScore and clipScoreInterval together (or neither, for a row measured without scenes-clip)',
      );
    if (r.clipScore !== undefined) checkInterval(r, 'clipScoreInterval', f, num(r, 'clipScore', f, 0, 100), 0);
    checkTime(r, f);
    if (r.source !== 'measured now' && r.source !== 'cache hit')
      throw new InvalidArgumentError(`${f}.source`, r.source, "'measured now' or 'cache hit'");
    if (r.scheduler !== undefined && !isObject(r.scheduler))
      throw new InvalidArgumentError(`${f}.scheduler`, r.scheduler, 'a scheduler config object');
  });
  const s = obj(data, 'speed', '');
  num(s, 'lcm4EndToEndMs', 'speed', 0);
  num(s, 'teacher50GuidedMs', 'speed', 0);
  const iqr = obj(s, 'iqr', 'speed');
  num(iqr, 'lcm4EndToEndMs', 'speed.iqr', 0);
  num(iqr, 'teacher50GuidedMs', 'speed.iqr', 0);
  return data as unknown as ModelEvalFile;
}

/** The row named `name` of a model-eval file (e.g. 'LCM 4'); throws naming the rows there are. */
export function modelEvalRow(evalFile: ModelEvalFile, name: string): ModelEvalRow {
  const row = evalFile.rows.find((r) => r.name === name);
  if (!row)
    throw new InvalidArgumentError(
      'name',
      name,
      `one of ${evalFile.rows.map((r) => JSON.stringify(r.name)).join(', ')}`,
    );
  return row;
}

/** Reads models/scenes-training.json: the recipe's training stages by name (ae, teacher, lcm, lora, pd8, pd4, pd2, pd1, evaluator). */
export function readTrainingRecord(
  file = path.join(packageRoot(), 'models', 'scenes-training.json'),
): Record<string, TrainingStage> {
  const data = readJson(file, 'file');
  if (!isObject(data)) throw new InvalidArgumentError('file', file, 'a JSON object of training stages');
  const out: Record<string, TrainingStage> = {};
  for (const [name, v] of Object.entries(data)) {
    // A stage is an entry with `steps`; the rest (recorded, seed, torch...) describe the run.
    if (!isObject(v) || v.steps === undefined) continue;
    out[name] = {
      steps: num(v, 'steps', name, 1),
      batch: num(v, 'batch', name, 1),
      minutes: num(v, 'minutes', name, 0),
      initStages: initStagesOf(name, v),
    };
  }
  return out;
}

/** The stages a recorded stage was initialised from: `init_stages`, else read from its `init` text ("teacher + LCM-LoRA merged"). */
function initStagesOf(name: string, stage: Record<string, unknown>): string[] {
  const listed = stage.init_stages;
  if (listed !== undefined) {
    if (!Array.isArray(listed) || listed.some((x) => typeof x !== 'string')) {
      throw new InvalidArgumentError(`${name}.init_stages`, listed, 'an array of stage names of the training record');
    }
    return listed as string[];
  }
  return typeof stage.init === 'string' && /LCM-LoRA/i.test(stage.init) ? ['lora'] : [];
}

/** When and on which machine a training record was written (its `recorded` entry), for a 'recorded' provenance. */
export function readTrainingRecordOrigin(file = path.join(packageRoot(), 'models', 'scenes-training.json')): {
  date: string;
  machine: string;
} {
  const data = readJson(file, 'file');
  if (!isObject(data)) throw new InvalidArgumentError('file', file, 'a JSON object of training stages');
  const r = data.recorded;
  if (!isObject(r)) throw new InvalidArgumentError('recorded', r, 'a training record entry recorded: {date, machine}');
  return { date: str(r, 'date', 'recorded'), machine: str(r, 'machine', 'recorded') };
}

/** The 'recorded' provenance of numbers read from a model-eval file: its date and the machine it names. */
export function modelEvalProvenance(
  evalFile: ModelEvalFile,
  what?: string,
): { provenance: 'recorded'; date: string; machine: string; source: string } {
  if (!isObject(evalFile)) throw new InvalidArgumentError('evalFile', evalFile, 'a file read by readModelEval');
  const m = obj(evalFile as unknown as Record<string, unknown>, 'machine', 'evalFile');
  const cpu = str(m, 'cpu', 'evalFile.machine');
  const cores = num(m, 'cores', 'evalFile.machine', 1);
  const date = str(evalFile as unknown as Record<string, unknown>, 'date', 'evalFile');
  return {
    provenance: 'recorded',
    date,
    machine: `${cpu}, ${cores} cores`,
    source: what ?? `data/model-eval.json (npm run eval:models, ${evalFile.images} images per row)`,
  };
}

/**
 * Sum of the stages' minutes and training examples (steps x batch), including the stages each was
 * initialised from (`initStages`, counted once); throws naming a missing stage.
 */
export function trainingCost(
  record: Record<string, TrainingStage>,
  stages: readonly string[],
): { minutes: number; examples: number } {
  let minutes = 0;
  let examples = 0;
  const counted = new Set<string>();
  const visit = (name: string, chain: readonly string[]): void => {
    if (counted.has(name)) return;
    if (chain.includes(name))
      throw new InvalidArgumentError(
        'stages',
        name,
        `a training record without a cycle of init stages (${[...chain, name].join(' -> ')})`,
      );
    const s = record[name];
    if (!s)
      throw new InvalidArgumentError(
        'stages',
        name,
        `a stage of the training record: ${Object.keys(record).join(', ')}`,
      );
    for (const init of s.initStages ?? []) visit(init, [...chain, name]);
    counted.add(name);
    minutes += s.minutes;
    examples += s.steps * s.batch;
  };
  for (const name of stages) visit(name, []);
  return { minutes, examples };
}

/**
 * The training stages (names in models/scenes-training.json) a model needs on top of the teacher:
 * none for the teacher itself, 'lcm' for the LCM student, 'lora' for teacher + LCM-LoRA, the
 * progressive-distillation chain pd8 -> pd4 -> pd2 -> pd1 down to the student's step count, 'turbo'
 * for scenes-turbo (adversarial diffusion distillation) and the Lightning chain lightning8 -> ... -> lightning<N>
 * for scenes-lightning-N.
 */
export function trainingStagesFor(model: string): string[] {
  if (typeof model !== 'string')
    throw new InvalidArgumentError('model', model, 'a model folder name such as scenes-lcm');
  if (model === 'scenes-teacher') return [];
  if (model === 'scenes-lcm') return ['lcm'];
  if (model.includes('lcm-lora')) return ['lora'];
  if (model === 'scenes-turbo') return ['turbo'];
  // Progressive chains: a student of N steps needs every round before it (8 -> 4 -> 2 -> 1).
  const chained = /^scenes-(pd|lightning)-(\d+)$/.exec(model);
  if (chained) {
    const chain = [8, 4, 2, 1];
    const k = chain.indexOf(Number(chained[2]));
    if (k >= 0) return chain.slice(0, k + 1).map((n) => `${chained[1]}${n}`);
  }
  throw new InvalidArgumentError(
    'model',
    model,
    "a shipped sampler model: 'scenes-teacher', 'scenes-lcm', a fused LCM-LoRA folder, 'scenes-pd-<8|4|2|1>', 'scenes-turbo' or 'scenes-lightning-<8|4|2|1>'",
  );
}

/** A row of the course summary: a recorded eval row with its training cost. */
export interface MethodSummaryRow extends ModelEvalRow {
  /** UNet evaluations per image (= unetEvaluations; steps, doubled under classifier-free guidance). */
  unetRows: number;
  /** Training on top of the teacher, minutes on the recipe's CPU (0 for the teacher's own samplers). */
  trainingMinutes: number;
  /** Training examples seen on top of the teacher (optimiser steps x batch). */
  trainingExamples: number;
}

/** Every row of a model-eval file with its UNet evaluations per image and its training cost from the training record. */
export function summarizeShippedMethods(
  evalFile: ModelEvalFile,
  training: Record<string, TrainingStage>,
): MethodSummaryRow[] {
  return evalFile.rows.map((r) => {
    const cost = trainingCost(training, trainingStagesFor(r.model));
    return { ...r, unetRows: r.unetEvaluations, trainingMinutes: cost.minutes, trainingExamples: cost.examples };
  });
}
