#!/usr/bin/env node
/**
 * npm run eval:models [-- --count 500 --models models --out data/model-eval.json --grids --cards]
 *
 * A thin command line over the evaluation session (src/evaluation/session.ts): it lists the Methods
 * of the shipped scenes family, asks the session for each one's quality (Frechet distance and prompt
 * adherence with the scene evaluator, 95% bootstrap intervals over the images) and for their times
 * (interleaved batch-1 rounds, median and IQR), and records them in data/model-eval.json with the
 * date and the machine (read back by src/evaluation/recorded.ts). With models/scenes-clip (or --clip)
 * each row also gets CLIPScore (Hessel et al. 2021) with its interval, and the file the CLIP model's
 * checks on real held-out scenes (own vs shuffled captions, zero-shot attributes; clipChecks).
 * Also recorded: the evaluator's accuracy on the real held-out scenes and the autoencoder's
 * reconstruction PSNR.
 *
 * Rows: the teacher with DDIM and DPM-Solver++ at 25/8/4 steps, trailing spacing (the fair few-step
 * baseline, Lin et al. 2024); teacher DDIM 4 with diffusers' default leading spacing once, labelled
 * so; LCM 1/2/4/8 at the LCM folder's own default guidance; LCM-LoRA 4; the progressive-distillation
 * students; Turbo and Lightning rows when models/scenes-turbo or models/scenes-lightning-N exist.
 *
 * --rows <prefix>: only the rows whose name starts with it (quick checks; --out elsewhere).
 * --grids: each model folder's samples.png. --cards: then rewrite the model cards (npm run model-cards).
 * --sweep-lcm-guidance 1.5,2,3 [--sweep-steps 2,4] [--count 200]: instead of the table, the validation
 * sweep that picks the LCM's default guidance: prompts of VALIDATION_SEED scenes, image seeds
 * VALIDATION_IMAGE_SEED + i (none of the evaluation's); --out <file> saves it as JSON.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { requireFinite, requireInteger } from '../core/errors.js';
import { modelFingerprint } from '../evaluation/fingerprint.js';
import { DDIM_LEADING, type Method } from '../evaluation/method.js';
import { MODEL_EVAL_SCHEMA, type ModelEvalFile, type ModelEvalRow } from '../evaluation/recorded.js';
import { EvaluationSession } from '../evaluation/session.js';
import { teacherDdim, teacherDpmSolver } from '../evaluation/sweep.js';
import { imageGrid } from '../image/grid.js';
import { psnr } from '../metrics/psnr.js';
import { clipChecks, CLIP_ZERO_SHOT_ATTRIBUTES, type ClipChecks } from '../quality/clipScore.js';
import { attributeAccuracy, promptAdherence } from '../quality/sceneEvaluator.js';
import { defineCli, parseCli, parseIntegerArg, runCli } from './args.js';
import { writeModelCards } from './modelCards.js';

/** Guidance of the teacher rows (the LCM rows use the LCM folder's own default, chosen by the validation sweep). */
export const GUIDANCE = 3;
/** Validation scenes for choosing a model's default guidance: held out from training and from EVAL_SEED. */
export const VALIDATION_SEED = 4_000_000;
/** Image seeds of the validation sweep (the evaluation uses 1000 + i). */
export const VALIDATION_IMAGE_SEED = 2_000_000;
/** Nominal coverage of the recorded intervals (the session's bootstrap default). */
const LEVEL = 0.95;

const hasUnet = (dir: string): boolean => fs.existsSync(path.join(dir, 'unet', 'model.onnx'));

/**
 * The Methods of the table under `modelsDir`, each only where its model folder exists.
 * `defaultGuidance(dir)` is a model folder's own default guidance (the LCM, Turbo and Lightning rows
 * run at it).
 */
export function evalMethods(modelsDir: string, defaultGuidance: (dir: string) => number): Method[] {
  const out: Method[] = [];
  const teacherDir = path.join(modelsDir, 'scenes-teacher');
  if (hasUnet(teacherDir)) {
    const teacher = { dir: teacherDir, defaults: { guidance: GUIDANCE } };
    const named = (m: Method): Method => ({ ...m, name: `teacher ${m.name}` });
    for (const steps of [25, 8, 4]) out.push(named(teacherDpmSolver(teacher, steps)));
    for (const steps of [25, 8, 4]) out.push(named(teacherDdim(teacher, steps)));
    out.push({
      name: 'teacher DDIM 4 (leading, diffusers default)',
      family: 'DDIM, diffusers default spacing',
      dir: teacherDir,
      steps: 4,
      guidance: GUIDANCE,
      scheduler: { ...DDIM_LEADING },
    });
  }
  const own = (family: string, dir: string, steps: number, name = `${family} ${steps}`): void => {
    if (hasUnet(dir)) out.push({ name, family, dir, steps, guidance: defaultGuidance(dir) });
  };
  for (const steps of [1, 2, 4, 8]) own('LCM', path.join(modelsDir, 'scenes-lcm'), steps);
  const loraFile = path.join(modelsDir, 'scenes-lcm-lora', 'lora.safetensors');
  if (hasUnet(teacherDir) && fs.existsSync(loraFile)) {
    out.push({
      name: 'LCM-LoRA 4',
      family: 'LCM-LoRA',
      dir: path.join(modelsDir, '.lcm-lora-fused'),
      steps: 4,
      guidance: 1,
      lcmLora: { teacherDir, loraFile },
    });
  }
  for (const steps of [1, 2, 4, 8]) {
    const dir = path.join(modelsDir, `scenes-pd-${steps}`);
    if (hasUnet(dir)) out.push({ name: `PD ${steps}`, family: 'PD', dir, steps, guidance: 0 });
  }
  for (const steps of [1, 2, 4]) own('Turbo', path.join(modelsDir, 'scenes-turbo'), steps);
  const lightning = fs.existsSync(modelsDir)
    ? fs
        .readdirSync(modelsDir)
        .map((n) => /^scenes-lightning-(\d+)$/.exec(n))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => Number(m[1]))
        .sort((a, b) => a - b)
    : [];
  for (const steps of lightning) own('Lightning', path.join(modelsDir, `scenes-lightning-${steps}`), steps);
  return out;
}

/** The timed-only Method behind `speed.teacher50GuidedMs`: the teacher, 50 trailing DDIM steps at GUIDANCE. */
function teacher50(modelsDir: string): Method {
  const m = teacherDdim({ dir: path.join(modelsDir, 'scenes-teacher'), defaults: { guidance: GUIDANCE } }, 50);
  return { ...m, name: 'teacher DDIM 50' };
}

/** A model folder's own default guidance (model_index.json `_fewstep_defaults.guidance`), through its pipeline. */
async function defaultsOf(session: EvaluationSession, dirs: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const dir of dirs) {
    if (!hasUnet(dir)) continue;
    const probe: Method = { name: path.basename(dir), family: 'probe', dir, steps: 1, guidance: 0 };
    out.set(path.resolve(dir), (await session.pipeline(probe)).defaults.guidance);
  }
  return out;
}

/** Mean reconstruction PSNR (dB) of the teacher's autoencoder on the first `n` reference scenes (a check of the VAE, not of a sampler). */
async function reconstructionPsnr(teacherDir: string, real: Float32Array, n: number, size: number): Promise<number> {
  const enc = await ort.InferenceSession.create(path.join(teacherDir, 'vae_encoder', 'model.onnx'), {
    executionProviders: ['cpu'],
  });
  const dec = await ort.InferenceSession.create(path.join(teacherDir, 'vae_decoder', 'model.onnx'), {
    executionProviders: ['cpu'],
  });
  const per = 3 * size * size;
  let total = 0;
  try {
    for (let i = 0; i < n; i++) {
      const x = real.subarray(i * per, (i + 1) * per);
      const input = Float32Array.from(x, (v) => 2 * v - 1);
      const z = await enc.run({ sample: new ort.Tensor('float32', input, [1, 3, size, size]) });
      const y = await dec.run({ latent_sample: z.latent_sample });
      const rec = Float32Array.from(y.sample.data as Float32Array, (v) => Math.min(1, Math.max(0, (v + 1) / 2)));
      total += psnr(x, rec, { dataRange: 1 });
    }
  } finally {
    await enc.release();
    await dec.release();
  }
  return total / n;
}

function machine(provider: string): ModelEvalFile['machine'] {
  const ortPkg = JSON.parse(fs.readFileSync(require.resolve('onnxruntime-node/package.json'), 'utf8')) as {
    version: string;
  };
  return {
    cpu: (os.cpus()[0]?.model ?? 'unknown CPU').trim(),
    cores: os.cpus().length,
    provider,
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    onnxruntimeNode: ortPkg.version,
  };
}

/** Writes `file`: 4 prompts x seeds 1-4 of a method through the session's pipeline. */
async function writeGrid(session: EvaluationSession, m: Method, file: string, title: string): Promise<void> {
  const pipe = await session.pipeline(m);
  const prompts = [
    'a beautiful sunset over mountains, oil painting style, warm colors',
    'a beautiful night sky over ocean with the moon and stars, flat style, purple colors',
    'a beautiful noon sky over desert with the sun, flat style, golden colors',
    'a beautiful sunrise over hills with clouds, oil painting style, cool colors',
  ];
  const images: Uint8Array[] = [];
  const labels: string[] = [];
  for (const p of prompts) {
    const r = await pipe.generate({
      prompts: [p, p, p, p],
      seeds: [1, 2, 3, 4],
      steps: m.steps,
      guidance: m.guidance,
      scheduler: m.scheduler,
    });
    images.push(...r.images);
    labels.push(...r.images.map((_, i) => (i === 0 ? p.replace('a beautiful ', '').split(',')[0] : `seed ${i + 1}`)));
  }
  fs.writeFileSync(file, await imageGrid(images, { columns: 4, labels, cellScale: 2, fontSize: 10, title }));
}

const f2 = (v: number): string => v.toFixed(2);
const pct = (v: number): string => (100 * v).toFixed(1);

/** One printed line of a row: FD, adherence and CLIPScore (or "n/a" without scenes-clip) with their intervals, time median and IQR. */
export function rowLine(r: ModelEvalRow): string {
  const fd = r.frechetInterval;
  const ad = r.adherenceInterval;
  const cs = r.clipScoreInterval;
  return (
    `${r.name.padEnd(44)} FD ${f2(r.frechet).padStart(6)} [${f2(fd.low)}, ${f2(fd.high)}]` +
    `  adherence ${pct(r.adherence)}% [${pct(ad.low)}, ${pct(ad.high)}]` +
    `  CLIPScore ${cs ? `${cs.value.toFixed(1)} [${cs.low.toFixed(1)}, ${cs.high.toFixed(1)}]` : 'n/a'}` +
    `  ${f2(r.time.medianMs)} ms (IQR ${f2(r.time.iqrMs)})${r.source === 'cache hit' ? '  (cache hit)' : ''}`
  );
}

/** The printed lines of the CLIP model's checks: own vs shuffled captions, zero-shot accuracy against chance. */
export function clipCheckLines(c: ClipChecks): string[] {
  const i1 = (i: { value: number; low: number; high: number }) =>
    `${i.value.toFixed(1)} [${i.low.toFixed(1)}, ${i.high.toFixed(1)}]`;
  const p1 = (i: { value: number; low: number; high: number }) => `${pct(i.value)}% [${pct(i.low)}, ${pct(i.high)}]`;
  return [
    `scenes-clip on ${c.n} held-out real scenes: CLIPScore with own captions ${i1(c.ownCaptions)}, with shuffled captions ${i1(c.shuffledCaptions)}, own - shuffled ${i1(c.ownMinusShuffled)}`,
    `scenes-clip zero-shot attribute accuracy: ` +
      CLIP_ZERO_SHOT_ATTRIBUTES.map(
        (a) => `${a} ${p1(c.zeroShot[a].accuracy)} (chance ${pct(c.zeroShot[a].chance)}%)`,
      ).join(', '),
  ];
}

/**
 * The validation sweep behind the LCM folder's default guidance: LCM at `stepsList` steps for each
 * guidance scale on `n` validation prompts (captions of scenes drawn with VALIDATION_SEED, image seeds
 * VALIDATION_IMAGE_SEED + i), none of them the evaluation's, through the evaluation session.
 */
export async function sweepLcmGuidance(
  modelsDir: string,
  guidances: readonly number[],
  stepsList: readonly number[],
  n: number,
): Promise<Array<{ guidance: number; steps: number; frechet: number; adherence: number; allCorrect: number }>> {
  const session = await EvaluationSession.open({
    images: n,
    evaluator: path.join(modelsDir, 'scenes-evaluator'),
    referenceSeed: VALIDATION_SEED,
    firstSeed: VALIDATION_IMAGE_SEED,
    device: 'cpu',
  });
  const out: Array<{ guidance: number; steps: number; frechet: number; adherence: number; allCorrect: number }> = [];
  try {
    for (const guidance of guidances) {
      for (const steps of stepsList) {
        const dir = path.join(modelsDir, 'scenes-lcm');
        const r = await session.evaluate({ name: `LCM ${steps}`, family: 'LCM', dir, steps, guidance });
        const q = r.quality!;
        out.push({
          guidance,
          steps,
          frechet: q.frechet!.value,
          adherence: q.adherence!.value,
          allCorrect: q.allCorrect!,
        });
        console.log(
          `LCM ${steps} guidance ${guidance}: FD ${f2(q.frechet!.value)} [${f2(q.frechet!.low)}, ${f2(q.frechet!.high)}]  adherence ${pct(q.adherence!.value)}%`,
        );
      }
    }
  } finally {
    await session.close();
  }
  return out;
}

/** The command line of `npm run eval:models`. */
export const EVAL_MODELS_CLI = defineCli({
  command: 'npm run eval:models --',
  summary:
    'Scores the scenes model family through the evaluation session (Frechet distance and prompt adherence with 95% bootstrap intervals, time median and IQR) and writes data/model-eval.json.',
  options: {
    count: { type: 'string', value: 'n', default: '500', help: 'images per row, 10..100000' },
    models: { type: 'string', value: 'dir', default: 'models', help: 'models folder' },
    out: { type: 'string', value: 'file', default: path.join('data', 'model-eval.json'), help: 'result file' },
    rounds: { type: 'string', value: 'n', default: '15', help: 'interleaved timing rounds, 3..1000' },
    grids: { type: 'boolean', default: false, help: 'write sample grids' },
    cards: { type: 'boolean', default: false, help: 'rewrite the model cards from models/recipes/card-template.md' },
    force: { type: 'boolean', default: false, help: 'measure again instead of re-using cached results' },
    'sweep-lcm-guidance': { type: 'string', value: 'g1,g2,...', help: 'only sweep LCM guidance on validation prompts' },
    'sweep-steps': { type: 'string', value: 's1,s2,...', default: '4', help: 'steps of the sweep' },
    rows: { type: 'string', value: 'prefix', help: 'only rows whose name starts with this' },
    clip: {
      type: 'string',
      value: 'dir',
      help: 'scenes-clip folder for CLIPScore (default: <models>/scenes-clip when it exists)',
    },
  },
});

async function sweepMain(values: Record<string, string | boolean | undefined>, n: number): Promise<void> {
  const list = (s: string, field: string): number[] => s.split(',').map((v) => requireFinite(field, Number(v), 0, 50));
  const guidances = list(values['sweep-lcm-guidance'] as string, 'sweep-lcm-guidance');
  const stepsList = list(values['sweep-steps'] as string, 'sweep-steps').map((v) =>
    requireInteger('sweep-steps', v, 1, 50),
  );
  const sweep = await sweepLcmGuidance(values.models as string, guidances, stepsList, n);
  const best = new Map<number, { guidance: number; frechet: number }>();
  for (const r of sweep) if (!best.has(r.steps) || r.frechet < best.get(r.steps)!.frechet) best.set(r.steps, r);
  for (const [steps, b] of best)
    console.log(`lowest FD on validation at ${steps} steps: guidance ${b.guidance} (FD ${f2(b.frechet)})`);
  if (values.out !== path.join('data', 'model-eval.json')) {
    const record = {
      what: 'LCM guidance sweep on validation prompts (evalModels --sweep-lcm-guidance)',
      date: new Date().toISOString(),
      images: n,
      validationSeed: VALIDATION_SEED,
      imageSeedBase: VALIDATION_IMAGE_SEED,
      rows: sweep,
    };
    fs.writeFileSync(values.out as string, JSON.stringify(record, null, 2) + '\n');
  }
}

async function main(): Promise<void> {
  const { values } = parseCli(EVAL_MODELS_CLI, process.argv.slice(2));
  const n = parseIntegerArg('--count', values.count!, 10, 100_000);
  const rounds = parseIntegerArg('--rounds', values.rounds!, 3, 1000);
  const modelsDir = values.models!;
  if (values['sweep-lcm-guidance'] !== undefined) return sweepMain(values, n);
  const t0 = Date.now();
  const loadAtStart = os.loadavg()[0];
  const session = await EvaluationSession.open({
    images: n,
    evaluator: path.join(modelsDir, 'scenes-evaluator'),
    ...(values.clip !== undefined ? { clip: values.clip } : {}),
    device: 'cpu',
    force: values.force,
  });
  try {
    const ref = session.reference;
    const evaluator = session.evaluator!;
    const realOut = await evaluator.run(ref.pixels, n, ref.size);
    const evaluatorAccuracy = attributeAccuracy(realOut.attributes, ref.truth);
    const realAdherence = promptAdherence(realOut.attributes, ref.prompts);
    const aePsnr = await reconstructionPsnr(path.join(modelsDir, 'scenes-teacher'), ref.pixels, Math.min(n, 300), 64);
    console.log(
      `evaluator accuracy on ${n} held-out real scenes: ` +
        Object.entries(evaluatorAccuracy)
          .map(([k, v]) => `${k} ${pct(v)}%`)
          .join(', '),
    );
    console.log(`autoencoder reconstruction PSNR ${f2(aePsnr)} dB; real-image adherence ${pct(realAdherence.mean)}%`);
    const clip = session.clip;
    const checks = clip ? await clipChecks(clip, n, ref.seed) : undefined;
    if (checks) for (const line of clipCheckLines(checks)) console.log(line);
    else console.log(`CLIPScore: not measured (no scenes-clip model at ${path.join(modelsDir, 'scenes-clip')})`);

    const own = await defaultsOf(
      session,
      ['scenes-lcm', 'scenes-turbo', ...fs.readdirSync(modelsDir).filter((d) => d.startsWith('scenes-lightning-'))].map(
        (d) => path.join(modelsDir, d),
      ),
    );
    const methods = evalMethods(modelsDir, (dir) => own.get(path.resolve(dir)) ?? GUIDANCE).filter(
      (m) => values.rows === undefined || m.name.startsWith(values.rows),
    );
    const timed = await session.time([...methods, teacher50(modelsDir)], { rounds });
    const rows: ModelEvalRow[] = [];
    for (const [k, m] of methods.entries()) {
      const r = await session.evaluate(m);
      const q = r.quality!;
      const { value: _f, ...frechetRest } = q.frechet!;
      const { value: _a, ...adherenceRest } = q.adherence!;
      const cs = q.clipScore;
      const row: ModelEvalRow = {
        name: m.name,
        family: m.family,
        model: path.basename(m.dir),
        id: r.id,
        steps: m.steps,
        guidance: m.guidance,
        ...(m.scheduler ? { scheduler: m.scheduler } : {}),
        unetEvaluations: await session.unetEvaluations(m),
        images: q.images,
        frechet: q.frechet!.value,
        frechetInterval: { value: q.frechet!.value, ...frechetRest },
        adherence: q.adherence!.value,
        adherenceInterval: { value: q.adherence!.value, ...adherenceRest },
        allCorrect: q.allCorrect!,
        ...(cs ? { clipScore: cs.value, clipScoreInterval: { ...cs } } : {}),
        time: timed[k].time!,
        source: r.provenance.quality!.source,
        measuredAt: r.provenance.quality!.measuredAt,
      };
      rows.push(row);
      console.log(rowLine(row));
    }
    if (values.grids) {
      for (const m of methods) {
        if (m.name === 'teacher DPM-Solver++ 25' || m.name === 'LCM 4' || /^(PD|Lightning) /.test(m.name)) {
          const title = `${m.name}, guidance ${m.guidance}, seeds 1-4`;
          await writeGrid(session, m, path.join(m.dir, 'samples.png'), title);
        } else if (m.name === 'LCM-LoRA 4' || m.name === 'Turbo 1') {
          const folder = m.name === 'Turbo 1' ? 'scenes-turbo' : 'scenes-lcm-lora';
          const title = `${m.name}${m.lcmLora ? ' (fused into the teacher, LCMScheduler)' : ''}, guidance ${m.guidance}, seeds 1-4`;
          await writeGrid(session, m, path.join(modelsDir, folder, 'samples.png'), title);
        }
      }
    }
    const timeOf = (name: string) => timed.find((t) => t.method.name === name)?.time;
    const lcm4 = timeOf('LCM 4');
    const t50 = timeOf('teacher DDIM 50')!;
    const result: ModelEvalFile = {
      what: 'scenes model family (npm run eval:models, through src/evaluation/session.ts): Frechet distance in the scene evaluator feature space vs real scenes drawn for the same prompts, prompt adherence (evaluator predictions vs the prompt attributes) and, with models/scenes-clip, CLIPScore (100 x max(cos, 0) of the scenes-clip image and prompt embeddings, Hessel et al. 2021), each with a 95% bootstrap interval over the images; time per image at batch 1, median and IQR of interleaved rounds',
      schema: MODEL_EVAL_SCHEMA,
      date: new Date().toISOString(),
      machine: machine((await session.machine(methods[0])).provider),
      loadAverage1m: { start: loadAtStart, end: os.loadavg()[0] },
      images: n,
      level: LEVEL,
      evalSeed: ref.seed,
      imageSeeds: 'image i: prompt i (caption of held-out scene i), seed 1000 + i',
      guidance: GUIDANCE,
      timing: { rounds, warmupRounds: 1, batch: 1, prompt: 'the course prompt (sunset over mountains), seed 0' },
      evaluatorAccuracy,
      realImageAdherence: realAdherence,
      aeReconstructionPsnrDb: aePsnr,
      ...(clip && checks
        ? {
            clipModel: {
              dir: path.relative(process.cwd(), clip.dir) || clip.dir,
              fingerprint: await modelFingerprint(clip.dir),
              embedDim: clip.embedDim,
              logitScale: clip.config.logitScale,
            },
            clipChecks: {
              what: 'scenes-clip on the held-out real scenes (8-bit): mean CLIPScore with own and with shuffled captions (a seeded derangement) and their paired difference; zero-shot accuracy of timeOfDay, terrain, palette, style (arg-max cosine over the caption with that attribute set to each value) against chance; 95% bootstrap intervals over the scenes',
              ...checks,
            },
          }
        : { clipScore: 'not measured: no scenes-clip model' }),
      rows,
      speed: {
        what: 'LCM 4 and the teacher at 50 guided trailing DDIM steps, end to end per image (from the same interleaved rounds)',
        lcm4EndToEndMs: lcm4?.medianMs ?? NaN,
        teacher50GuidedMs: t50.medianMs,
        iqr: { lcm4EndToEndMs: lcm4?.iqrMs ?? NaN, teacher50GuidedMs: t50.iqrMs },
      },
      totalSeconds: (Date.now() - t0) / 1000,
    };
    fs.mkdirSync(path.dirname(values.out!), { recursive: true });
    fs.writeFileSync(values.out!, JSON.stringify(result, null, 2) + '\n');
    console.log(`wrote ${values.out} in ${result.totalSeconds as number} s`);
    if (values.cards) {
      const written = writeModelCards(modelsDir, values.out!);
      console.log(`wrote ${written.length} model cards`);
    }
  } finally {
    await session.close();
  }
}

if (require.main === module) {
  runCli('eval:models', main);
}
