#!/usr/bin/env node
/**
 * npm run eval:models [-- --count 500 --models models --out data/model-eval.json --grids --no-speed]
 *
 * Recomputes the quality table of the shipped scenes model family through our own ONNX pipeline:
 * evaluator accuracy per attribute on held-out real scenes, autoencoder reconstruction PSNR, and for
 * each sampler row (teacher DPM-Solver++ 25 with guidance, teacher DDIM 4/8/25 with trailing spacing, LCM 1/2/4/8, LCM-LoRA 4,
 * progressive-distillation students 1/2/4/8) the Frechet distance in the evaluator's feature space
 * against real scenes drawn for the same prompts, and the prompt adherence (evaluator predictions vs
 * the attributes the prompt names). Then the speed numbers via src/bench. Writes the JSON and prints
 * the table. With --grids it also writes each model folder's samples.png (through imageGrid).
 * The LCM rows run at the LCM folder's own default guidance (model_index.json _fewstep_defaults).
 *
 * --rows <prefix>: only the rows whose name starts with it (quick checks; --out elsewhere).
 * --sweep-lcm-guidance 1.5,2,3 [--sweep-steps 2,4] [--count 200]: instead of the table, the validation
 * sweep that picks the LCM's default guidance: prompts of VALIDATION_SEED scenes, image seeds
 * VALIDATION_IMAGE_SEED + i (none of the evaluation's); --out <file> saves it as JSON.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defineCli, parseCli, parseIntegerArg, runCli } from './args.js';
import * as ort from 'onnxruntime-node';
import { benchmark } from '../bench/benchmark.js';
import { requireFinite, requireInteger } from '../core/errors.js';
import { imageGrid } from '../image/grid.js';
import { frechetDistance } from '../metrics/frechet.js';
import {
  attributeAccuracy,
  EVAL_SEED,
  pngsToPixels,
  promptAdherence,
  SceneEvaluator,
  specAttributes,
  quantizePixels,
  sceneReference,
  scoreImages,
  type EvalAttribute,
} from '../quality/sceneEvaluator.js';
import { psnr } from '../metrics/psnr.js';
import { fuseLcmLoraFolder } from '../onnx/loraFolder.js';
import { generateImageSet } from '../onnx/imageSet.js';
import { loadPipeline, orchestrationOverhead, type TextToImagePipeline } from '../onnx/pipeline.js';
import type { Method } from '../evaluation/method.js';
import { teacherDdim, teacherDpmSolver } from '../evaluation/sweep.js';
import { sceneDataset } from '../scenes/scene.js';

/** One sampler configuration of the table: a Method, optionally at the model folder's own default guidance. */
export type EvalRowMethod = Method & {
  /** Use the model folder's own default guidance (model_index.json `_fewstep_defaults.guidance`) instead of `guidance`. */
  guidanceFromModel?: boolean;
};

/**
 * The rows the issue asks for (plus LCM-LoRA and teacher DDIM 8/25 for context). The teacher rows run
 * at GUIDANCE; the LCM rows at the LCM folder's own default guidance (`_fewstep_defaults.guidance`,
 * chosen by `--sweep-lcm-guidance` on validation prompts and seeds, never on these).
 */
export const GUIDANCE = 3;
/** Validation scenes for choosing a model's default guidance: held out from training and from EVAL_SEED. */
export const VALIDATION_SEED = 4_000_000;
/** Image seeds of the validation sweep (the evaluation uses 1000 + i). */
export const VALIDATION_IMAGE_SEED = 2_000_000;
/**
 * The rows of the table under `modelsDir`: the teacher with DPM-Solver++ and DDIM, both with trailing
 * timestep spacing (the fair few-step configuration, Lin et al. 2024), LCM at 1-8 steps, LCM-LoRA 4
 * (fused into `.lcm-lora-fused`) and the progressive-distillation students.
 */
export function evalRows(modelsDir: string): EvalRowMethod[] {
  const teacher = { dir: path.join(modelsDir, 'scenes-teacher'), defaults: { guidance: GUIDANCE } };
  const named = (m: Method): Method => ({ ...m, name: `teacher ${m.name}` });
  const lcm = (steps: number): EvalRowMethod => ({
    name: `LCM ${steps}`,
    family: 'LCM',
    dir: path.join(modelsDir, 'scenes-lcm'),
    steps,
    guidance: GUIDANCE,
    guidanceFromModel: true,
  });
  const pd = (steps: number): Method => ({
    name: `PD ${steps}`,
    family: 'PD',
    dir: path.join(modelsDir, `scenes-pd-${steps}`),
    steps,
    guidance: 0,
  });
  return [
    named(teacherDpmSolver(teacher, 25)),
    named(teacherDdim(teacher, 25)),
    named(teacherDdim(teacher, 8)),
    named(teacherDdim(teacher, 4)),
    lcm(1),
    lcm(2),
    lcm(4),
    lcm(8),
    { name: 'LCM-LoRA 4', family: 'LCM-LoRA', dir: path.join(modelsDir, '.lcm-lora-fused'), steps: 4, guidance: 1 },
    pd(1),
    pd(2),
    pd(4),
    pd(8),
  ];
}

/** A measured row. */
export interface EvalRow extends Omit<EvalRowMethod, 'dir'> {
  /** Model folder name under the models dir. */
  model: string;
  images: number;
  frechet: number;
  adherence: number;
  allCorrect: number;
  perAttribute: Record<EvalAttribute, number>;
  seconds: number;
}

/** Percent with one decimal. */
const pct = (v: number | undefined): string =>
  v === undefined || Number.isNaN(v) ? 'n/a' : `${(100 * v).toFixed(1)}%`;
const num2 = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? 'n/a' : v.toFixed(2));

function rowsTable(rows: readonly EvalRow[], names: readonly string[]): string {
  const lines = [
    '| sampler | steps | guidance | Frechet distance | adherence | all 7 attributes right |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of rows.filter((x) => names.includes(x.name))) {
    lines.push(
      `| ${r.name} | ${r.steps} | ${r.guidance} | ${num2(r.frechet)} | ${pct(r.adherence)} | ${pct(r.allCorrect)} |`,
    );
  }
  return lines.join('\n');
}

/**
 * Writes the README model card of every shipped scenes model folder from the evaluation result and
 * the recipe's training record (models/scenes-training.json).
 */
export function writeModelCards(
  modelsDir: string,
  result: Record<string, unknown>,
  training: Record<string, Record<string, unknown>>,
): void {
  const rows = result.rows as EvalRow[];
  const m = result.machine as Record<string, unknown>;
  const acc = result.evaluatorAccuracy as Record<string, number>;
  const info = (k: string): Record<string, unknown> => training[k] ?? {};
  const mins = (k: string): string =>
    typeof info(k).minutes === 'number' ? (info(k).minutes as number).toFixed(1) : 'n/a';
  const hw = `${m.cores}-core ${m.cpu} CPU shared with other jobs (nice 10), PyTorch ${training.torch ?? '1.13'} with OpenBLAS, ${training.threads ?? 2} threads, device ${training.device ?? 'cpu'}`;
  const seed = String(training.seed ?? 'n/a');
  const measured = `Measured by \`npm run eval:models\` (src/cli/evalModels.ts) through fewstep's own ONNX pipeline on ${String(result.date).slice(0, 10)}, ${result.images} prompts per row (captions of held-out scenes, seed ${result.evalSeed}), image seeds 1000+i. Frechet distance: in the scene evaluator's 128-d feature space against the real held-out scenes drawn for the same prompts (lower is better). Adherence: the fraction of the prompt's 7 attributes (time of day, terrain, palette, style, sun/moon, clouds, stars) the evaluator finds in the image. Full numbers: data/model-eval.json.`;
  const common = `- Data: ${String(info('ae').train_images ?? 20000)} procedural scenes (src/scenes, \`sceneDataset(20000, 0, 64)\`, exported by \`node dist/cli/exportScenes.js\`), 64x64, plus their mirror images; captions made from the attributes.
- Hardware: ${hw}. Recipe seed ${seed}. Recipe: \`models/recipes/scenes/\` (\`run_all.sh\`).
- tokenizer/, text_encoder/ and vae_decoder/ of the student folders are symlinks to scenes-teacher/ (the same files), which keeps models/ under its size budget.
- Minutes are wall-clock minutes on a machine shared with other engineers' jobs (the recipe ran at nice 10), so the step counts, not the minutes, say how much training each stage got.
- License: MIT, like the rest of the repository; the training data is generated by our own code.`;
  const write = (folder: string, text: string): void => {
    if (fs.existsSync(path.join(modelsDir, folder)))
      fs.writeFileSync(path.join(modelsDir, folder, 'README.md'), text.trim() + '\n');
  };
  const t = info('teacher');
  write(
    'scenes-teacher',
    `
# scenes-teacher: a miniature Stable Diffusion trained on procedural scenes

A text-to-image latent diffusion model in the diffusers/optimum ONNX layout (opset 17, dynamic batch,
height and width): CLIP-style word tokenizer (${'`'}tokenizer/${'`'}, unknown words are reported),
text encoder (token + position embeddings, 2 causal transformer blocks, width 64, 32 tokens),
a fully convolutional UNet with cross-attention (1.14 M parameters, widths 64/96, one 2x down/up;
runs at other sizes that are multiples of 16 px), epsilon prediction on SD's scaled_linear 1000-step
schedule, and an autoencoder 64x64x3 <-> 8x8x4 (${'`'}vae_decoder/${'`'}, ${'`'}vae_encoder/${'`'}).
It draws 64x64 scenes from prompts such as "a beautiful sunset over mountains, oil painting style, warm colors".

![samples](samples.png)

## Training
- Autoencoder: ${info('ae').steps} steps, batch 32, MSE + 1e-4 latent L2, Adam 1e-3 cosine, ${mins('ae')} min; scaling_factor ${num2(info('ae').scaling_factor as number)} = 1 / std of the latents (measured on 4096 training images); held-out PSNR in the recipe ${num2(info('ae').heldout_psnr_db as number)} dB.
  Why 8x at 64x64 rather than 4x at 32x32: our pipeline (like diffusers' SD) assumes the VAE factor 8, and 64x64 is the resolution the issue prefers; the 8x autoencoder is built cheap (16 channels at full resolution) so it trains in minutes.
- Text encoder + UNet, trained jointly: ${t.steps} steps, batch ${t.batch}, AdamW ${t.lr} with warm-up and cosine decay, gradient clip 1, EMA ${t.ema} (shipped), condition dropout ${t.cond_dropout} (empty prompt) for classifier-free guidance, ${mins('teacher')} min.
${common}

## Measured
${measured}

Autoencoder reconstruction PSNR on held-out scenes: ${num2(result.aeReconstructionPsnrDb as number)} dB.

${rowsTable(rows, ['teacher DPM-Solver++ 25', 'teacher DDIM 25', 'teacher DDIM 8', 'teacher DDIM 4'])}

## Use
${'`'}npm run generate -- --model models/scenes-teacher --prompt "a beautiful sunset over mountains, oil painting style, warm colors" --steps 25 --guidance ${GUIDANCE}${'`'}
`,
  );
  const l = info('lcm');
  const lcmGuidance = rows.find((r) => r.name === 'LCM 4')?.guidance ?? GUIDANCE;
  write(
    'scenes-lcm',
    `
# scenes-lcm: latent consistency distillation of scenes-teacher

The teacher's UNet distilled into a Latent Consistency Model (Luo et al. 2023): same architecture plus
${'`'}timestep_cond${'`'} (the guidance-scale embedding of w = g - 1, 256-d, added to the timestep
features; zero-initialised), int64 timestep, LCMScheduler (50 original steps, timestep_scaling 10).
Runs in 1-8 steps without classifier-free guidance (the guidance is an input).

![samples](samples.png)

## Training
- Latent consistency distillation: skipping-step DDIM solver (k = ${20} on the 1000-step grid, 50 solver points), guided teacher with g drawn uniformly in ${JSON.stringify(l.guidance_range ?? [2, 8])}, EMA target (decay ${l.target_ema}; the target is what ships), LCM boundary scalings (sigma_data 0.5, timestep_scaling 10), L2 loss; student initialised from ${String(l.init ?? 'teacher') === 'teacher' ? 'the teacher' : `the ${String(l.init)}: it starts at the LCM-LoRA's quality at g = 3 (its guidance embedding is zero-initialised) and full-parameter distillation then learns the guidance range`}.
- ${l.steps} steps, batch ${l.batch}, AdamW ${l.lr}, ${mins('lcm')} min.
- Default guidance ${lcmGuidance} (model_index.json ${'`'}_fewstep_defaults${'`'}): ${typeof l.default_guidance_note === 'string' ? l.default_guidance_note : 'the scale the LCM rows below are measured at'}.
${common}

## Measured (teacher rows at guidance ${GUIDANCE}, LCM rows at the model's default guidance ${lcmGuidance})
${measured}

${rowsTable(rows, ['teacher DPM-Solver++ 25', 'teacher DDIM 4', 'LCM 1', 'LCM 2', 'LCM 4', 'LCM 8'])}
`,
  );
  const lo = info('lora');
  write(
    'scenes-lcm-lora',
    `
# scenes-lcm-lora: an LCM-LoRA adapter for scenes-teacher

Low-rank updates (rank ${lo.rank}, alpha ${lo.alpha}, kohya key style ${'`'}lora_unet_<module>.lora_down/.lora_up/.alpha${'`'}) of the
teacher UNet's ${lo.modules} Linear and 1x1 Conv layers, trained with the latent consistency distillation
objective on the frozen teacher (Luo et al. 2023, LCM-LoRA), guidance ${lo.guidance_baked} baked in (no w embedding).
Fuse it into scenes-teacher's UNet with ${'`'}fuseLora${'`'} (src/onnx/lora.ts) and sample with the LCMScheduler
config in this folder, guidance 1; ${'`'}fuseLcmLoraFolder${'`'} (src/onnx/loraFolder.ts) does both and writes a loadable folder.

![samples](samples.png)

## Training
- ${lo.steps} steps, batch ${lo.batch}, AdamW ${lo.lr}, EMA target ${lo.target_ema}, ${mins('lora')} min.
${common}

## Measured
${measured} Fusing matched ${(result.lcmLoraFuse as { matched: number } | undefined)?.matched ?? 'n/a'} modules.

${rowsTable(rows, ['teacher DDIM 4', 'LCM 4', 'LCM-LoRA 4'])}
`,
  );
  for (const n of [8, 4, 2, 1]) {
    const p = info(`pd${n}`);
    write(
      `scenes-pd-${n}`,
      `
# scenes-pd-${n}: progressive-distillation student, ${n} step${n > 1 ? 's' : ''}

Progressive distillation (Salimans & Ho 2022) of scenes-teacher with its classifier-free guidance
(g = ${GUIDANCE}) baked in (Meng et al. 2023): each student learns to do in one DDIM step (trailing spacing)
what its teacher does in two; 16 -> 8 -> 4 -> 2 -> 1. Teacher of this stage: ${p.teacher}; initialised from it.
DDIMScheduler, trailing spacing, guidance 0 (the pipeline runs it as the "turbo" family: no CFG).

![samples](samples.png)

## Training
- ${p.steps} steps, batch ${p.batch}, AdamW ${p.lr}, EMA ${p.ema} (shipped), loss on epsilon with truncated-SNR weighting max(1, 1/SNR) (= x-space error at low SNR), ${mins(`pd${n}`)} min.
${common}

## Measured
${measured}

${rowsTable(rows, ['teacher DPM-Solver++ 25', 'PD 8', 'PD 4', 'PD 2', 'PD 1'])}
`,
    );
  }
  const e = info('evaluator');
  write(
    'scenes-evaluator',
    `
# scenes-evaluator: attribute classifier and feature extractor for the scenes domain

A small CNN (stride-2 convolutions 64 -> 8 px, mean + max global pooling, 128-d features, 7 heads)
that predicts the scene attributes from RGB pixels in [0, 1] (input ${'`'}pixel_values${'`'} [b, 3, H, W];
outputs ${'`'}logits${'`'} [b, 20] laid out as config.json's heads, ${'`'}features${'`'} [b, 128]). Its features
give the course's Frechet distance on our domain and its predictions the prompt-adherence score.

## Training
- ${e.steps} steps, batch ${e.batch}, Adam 2e-3 cosine, ${mins('evaluator')} min; cross-entropy per head; mirror images; half of each batch drawn from a pool of 4,096 autoencoder reconstructions of training scenes, so that decoder blur is not read as an attribute.
${common}

## Measured (held-out real scenes, seed ${result.evalSeed}, ${result.images} images)
| attribute | accuracy |
|---|---|
${Object.entries(acc)
  .map(([k, v]) => `| ${k} | ${pct(v)} |`)
  .join('\n')}
`,
  );
}

/** Generates one image per prompt (seed seedBase + i, 1000 + i by default) for a row, in batches of 25; refuses unknown words. */
export async function generateRow(
  pipe: TextToImagePipeline,
  row: Pick<Method, 'steps' | 'guidance' | 'scheduler'>,
  prompts: readonly string[],
  seedBase = 1000,
): Promise<Uint8Array[]> {
  return generateImageSet(pipe, prompts, {
    steps: row.steps,
    guidance: row.guidance,
    scheduler: row.scheduler,
    firstSeed: seedBase,
    rejectUnknownWords: true,
  });
}

async function reconstructionPsnr(teacherDir: string, real: Float32Array, n: number, size: number): Promise<number> {
  const enc = await ort.InferenceSession.create(path.join(teacherDir, 'vae_encoder', 'model.onnx'), {
    executionProviders: ['cpu'],
  });
  const dec = await ort.InferenceSession.create(path.join(teacherDir, 'vae_decoder', 'model.onnx'), {
    executionProviders: ['cpu'],
  });
  const per = 3 * size * size;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const x = real.subarray(i * per, (i + 1) * per);
    const input = Float32Array.from(x, (v) => 2 * v - 1);
    const z = await enc.run({ sample: new ort.Tensor('float32', input, [1, 3, size, size]) });
    const y = await dec.run({ latent_sample: z.latent_sample });
    const rec = Float32Array.from(y.sample.data as Float32Array, (v) => Math.min(1, Math.max(0, (v + 1) / 2)));
    total += psnr(x, rec, { dataRange: 1 });
  }
  await enc.release();
  await dec.release();
  return total / n;
}

function machine(): Record<string, unknown> {
  const ortPkg = JSON.parse(fs.readFileSync(require.resolve('onnxruntime-node/package.json'), 'utf8')) as {
    version: string;
  };
  return {
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    onnxruntimeNode: ortPkg.version,
  };
}

async function speed(modelsDir: string): Promise<Record<string, unknown>> {
  const teacher = await loadPipeline(path.join(modelsDir, 'scenes-teacher'), { device: 'cpu', log: () => {} });
  const lcm = await loadPipeline(path.join(modelsDir, 'scenes-lcm'), { device: 'cpu', log: () => {} });
  const lat = new Float32Array(4 * 8 * 8).fill(0.1);
  const ehs = new Float32Array(32 * 64).fill(0.01);
  const unetStats = await benchmark(
    () =>
      teacher.unet.run({
        sample: { data: lat, dims: [1, 4, 8, 8] },
        timestep: { data: new Float32Array([500]), dims: [1] },
        encoder_hidden_states: { data: ehs, dims: [1, 32, 64] },
      }),
    { warmup: 20, repeats: 200 },
  );
  const prompt = 'a beautiful sunset over mountains, oil painting style, warm colors';
  let last: Awaited<ReturnType<TextToImagePipeline['generate']>> | undefined;
  const lcm4 = await benchmark(
    async () => {
      last = await lcm.generate({ prompt, steps: 4, seed: 7 });
    },
    { warmup: 5, repeats: 50 },
  );
  const t = last!.timings;
  const teacher50 = await benchmark(() => teacher.generate({ prompt, steps: 50, guidance: GUIDANCE, seed: 7 }), {
    warmup: 2,
    repeats: 10,
  });
  // Orchestration overhead at 4 steps (the pipeline's one definition: (wall - session.run - png) / wall).
  const overheads: number[] = [];
  for (let i = 0; i < 30; i++) {
    const r = await lcm.generate({ prompt, steps: 4, seed: 7 });
    overheads.push(orchestrationOverhead(r.timings).fraction);
  }
  overheads.sort((a, b) => a - b);
  await teacher.release();
  await lcm.release();
  return {
    unetBatch1Ms: unetStats.medianMs,
    lcm4EndToEndMs: lcm4.medianMs,
    lcm4Breakdown: {
      tokenizerMs: t.tokenizerMs,
      textEncoderMs: t.textEncoderMs,
      unetMs: t.unetMs,
      schedulerMs: t.schedulerMs,
      vaeMs: t.vaeMs,
      pngMs: t.pngMs,
    },
    teacher50GuidedMs: teacher50.medianMs,
    orchestrationOverhead4Steps: overheads[Math.floor(overheads.length / 2)],
    iqr: { unetBatch1Ms: unetStats.iqrMs, lcm4EndToEndMs: lcm4.iqrMs, teacher50GuidedMs: teacher50.iqrMs },
  };
}

/** Writes `<model>/samples.png`: 8 prompts x 4 seeds through the pipeline. */
async function writeGrid(
  pipe: TextToImagePipeline,
  row: Pick<Method, 'steps' | 'guidance' | 'scheduler'>,
  file: string,
  title: string,
): Promise<void> {
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
      steps: row.steps,
      guidance: row.guidance,
      scheduler: row.scheduler,
    });
    images.push(...r.images);
    labels.push(...r.images.map((_, i) => (i === 0 ? p.replace('a beautiful ', '').split(',')[0] : `seed ${i + 1}`)));
  }
  fs.writeFileSync(file, await imageGrid(images, { columns: 4, labels, cellScale: 2, fontSize: 10, title }));
}

/**
 * The validation sweep behind the LCM folder's default guidance: LCM at `stepsList` steps for each
 * guidance scale on `n` validation prompts (captions of scenes drawn with VALIDATION_SEED, image seeds
 * VALIDATION_IMAGE_SEED + i), none of them the evaluation's. Returns one row per (guidance, steps).
 */
export async function sweepLcmGuidance(
  modelsDir: string,
  guidances: readonly number[],
  stepsList: readonly number[],
  n: number,
): Promise<Array<{ guidance: number; steps: number; frechet: number; adherence: number; allCorrect: number }>> {
  const evaluator = await SceneEvaluator.open(path.join(modelsDir, 'scenes-evaluator'));
  const reference = sceneReference(n, VALIDATION_SEED, 64);
  const realFeatures = (await evaluator.run(reference.pixels, n, 64)).features;
  const pipe = await loadPipeline(path.join(modelsDir, 'scenes-lcm'), { device: 'cpu', log: () => {} });
  const out: Array<{ guidance: number; steps: number; frechet: number; adherence: number; allCorrect: number }> = [];
  try {
    for (const guidance of guidances) {
      for (const steps of stepsList) {
        const pngs = await generateRow(pipe, { steps, guidance }, reference.prompts, VALIDATION_IMAGE_SEED);
        const q = await scoreImages(evaluator, pngs, reference, realFeatures);
        out.push({ guidance, steps, frechet: q.frechet, adherence: q.adherence, allCorrect: q.allCorrect });
        console.log(
          `LCM ${steps} guidance ${guidance}: FD ${q.frechet.toFixed(2)}  adherence ${(100 * q.adherence).toFixed(1)}%  all-7 ${(100 * q.allCorrect).toFixed(1)}%`,
        );
      }
    }
  } finally {
    await pipe.release();
    await evaluator.release();
  }
  return out;
}

/** The command line of `npm run eval:models`. */
export const EVAL_MODELS_CLI = defineCli({
  command: 'npm run eval:models --',
  summary:
    'Scores the scenes model family (Frechet distance and prompt adherence with the scene evaluator) and writes data/model-eval.json.',
  options: {
    count: { type: 'string', value: 'n', default: '500', help: 'images per row, 10..100000' },
    models: { type: 'string', value: 'dir', default: 'models', help: 'models folder' },
    out: { type: 'string', value: 'file', default: path.join('data', 'model-eval.json'), help: 'result file' },
    grids: { type: 'boolean', default: false, help: 'write sample grids' },
    cards: { type: 'boolean', default: false, help: 'rewrite the model cards' },
    'no-speed': { type: 'boolean', default: false, help: 'skip the speed measurements' },
    'sweep-lcm-guidance': { type: 'string', value: 'g1,g2,...', help: 'only sweep LCM guidance on validation prompts' },
    'sweep-steps': { type: 'string', value: 's1,s2,...', default: '4', help: 'steps of the sweep' },
    rows: { type: 'string', value: 'prefix', help: 'only rows whose name starts with this' },
  },
});

async function main(): Promise<void> {
  const { values } = parseCli(EVAL_MODELS_CLI, process.argv.slice(2));
  const n = parseIntegerArg('--count', values.count!, 10, 100_000);
  const modelsDir = values.models!;
  if (values['sweep-lcm-guidance'] !== undefined) {
    // Validation sweep only (writes nothing under data/ unless --out names a file other than the default).
    const list = (s: string, field: string): number[] =>
      s.split(',').map((v) => requireFinite(field, Number(v), 0, 50));
    const guidances = list(values['sweep-lcm-guidance'], 'sweep-lcm-guidance');
    const stepsList = list(values['sweep-steps']!, 'sweep-steps').map((v) => requireInteger('sweep-steps', v, 1, 50));
    const sweep = await sweepLcmGuidance(modelsDir, guidances, stepsList, n);
    const best = new Map<number, { guidance: number; frechet: number }>();
    for (const r of sweep) if (!best.has(r.steps) || r.frechet < best.get(r.steps)!.frechet) best.set(r.steps, r);
    for (const [steps, b] of best)
      console.log(`best on validation at ${steps} steps: guidance ${b.guidance} (FD ${b.frechet.toFixed(2)})`);
    if (values.out !== path.join('data', 'model-eval.json')) {
      fs.writeFileSync(
        values.out!,
        JSON.stringify(
          {
            what: 'LCM guidance sweep on validation prompts (evalModels --sweep-lcm-guidance)',
            date: new Date().toISOString(),
            images: n,
            validationSeed: VALIDATION_SEED,
            imageSeedBase: VALIDATION_IMAGE_SEED,
            rows: sweep,
          },
          null,
          2,
        ) + '\n',
      );
    }
    return;
  }
  const size = 64;
  const t0 = Date.now();
  const scenes = sceneDataset(n, EVAL_SEED, size);
  const prompts = scenes.map((s) => s.caption);
  const real = new Float32Array(n * 3 * size * size);
  scenes.forEach((s, i) => real.set(quantizePixels(s.pixels), i * 3 * size * size));
  const truth = scenes.map((s) => specAttributes(s.spec));

  const evaluator = await SceneEvaluator.open(path.join(modelsDir, 'scenes-evaluator'));
  const realOut = await evaluator.run(real, n, size);
  const evaluatorAccuracy = attributeAccuracy(realOut.attributes, truth);
  const realAdherence = promptAdherence(realOut.attributes, prompts);
  const aePsnr = await reconstructionPsnr(path.join(modelsDir, 'scenes-teacher'), real, Math.min(n, 300), size);
  console.log(
    `evaluator accuracy on ${n} held-out real scenes:`,
    Object.entries(evaluatorAccuracy)
      .map(([k, v]) => `${k} ${(100 * v).toFixed(1)}%`)
      .join(', '),
  );
  console.log(
    `autoencoder reconstruction PSNR: ${aePsnr.toFixed(2)} dB; real-image adherence ${(100 * realAdherence.mean).toFixed(1)}%`,
  );

  const loraFile = path.join(modelsDir, 'scenes-lcm-lora', 'lora.safetensors');
  const fusedDir = path.join(modelsDir, '.lcm-lora-fused');
  let loraReport: { matched: number; unmatched: number } | undefined;
  if (fs.existsSync(loraFile))
    loraReport = fuseLcmLoraFolder(path.join(modelsDir, 'scenes-teacher'), loraFile, fusedDir);

  const rows: EvalRow[] = [];
  const pipes = new Map<string, TextToImagePipeline>();
  // --rows "LCM" evaluates only the rows whose name starts with it (for quick checks; the bars then read n/a).
  for (const rowSpec of evalRows(modelsDir).filter(
    (r) => values.rows === undefined || r.name.startsWith(values.rows),
  )) {
    const dir = rowSpec.dir;
    if (!fs.existsSync(path.join(dir, 'unet', 'model.onnx'))) {
      console.log(`${rowSpec.name}: ${dir} missing, skipped`);
      continue;
    }
    let pipe = pipes.get(dir);
    if (!pipe) {
      pipe = await loadPipeline(dir, { device: 'cpu', log: () => {} });
      pipes.set(dir, pipe);
    }
    const { dir: _dir, guidanceFromModel: _g, ...rest } = rowSpec;
    const spec = {
      ...rest,
      model: path.basename(dir),
      guidance: rowSpec.guidanceFromModel ? pipe.defaults.guidance : rowSpec.guidance,
    };
    const ts = Date.now();
    const pngs = await generateRow(pipe, spec, prompts);
    const pixels = await pngsToPixels(pngs, size);
    const out = await evaluator.run(pixels, n, size);
    const adherence = promptAdherence(out.attributes, prompts);
    const row: EvalRow = {
      ...spec,
      images: n,
      frechet: frechetDistance(out.features, realOut.features, evaluator.featureDim),
      adherence: adherence.mean,
      allCorrect: adherence.allCorrect,
      perAttribute: adherence.perAttribute,
      seconds: (Date.now() - ts) / 1000,
    };
    rows.push(row);
    console.log(
      `${spec.name.padEnd(26)} FD ${row.frechet.toFixed(2).padStart(7)}  adherence ${(100 * row.adherence).toFixed(1)}%  all-7 ${(100 * row.allCorrect).toFixed(1)}%  (${row.seconds.toFixed(1)} s)`,
    );
    if (values.grids && !spec.model.startsWith('.')) {
      const isMain =
        spec.name === 'teacher DPM-Solver++ 25' || spec.name === 'LCM 4' || spec.model.startsWith('scenes-pd-');
      if (isMain)
        await writeGrid(
          pipe,
          spec,
          path.join(dir, 'samples.png'),
          `${spec.name}, guidance ${spec.guidance}, seeds 1-4`,
        );
    }
    if (values.grids && spec.name === 'LCM-LoRA 4') {
      await writeGrid(
        pipe,
        spec,
        path.join(modelsDir, 'scenes-lcm-lora', 'samples.png'),
        'teacher + LCM-LoRA, LCMScheduler 4 steps, guidance 1, seeds 1-4',
      );
    }
  }
  for (const p of pipes.values()) await p.release();
  await evaluator.release();
  fs.rmSync(fusedDir, { recursive: true, force: true });

  const byName = new Map(rows.map((r) => [r.name, r]));
  const fd = (name: string): number => byName.get(name)?.frechet ?? NaN;
  const bars = {
    evaluatorAccuracyAtLeast90: Object.values(evaluatorAccuracy).every((v) => v >= 0.9),
    aePsnrAtLeast25: aePsnr >= 25,
    teacherAdherenceAtLeast80: (byName.get('teacher DPM-Solver++ 25')?.adherence ?? 0) >= 0.8,
    lcm4FrechetAtMost1p5xTeacher: fd('LCM 4') <= 1.5 * fd('teacher DPM-Solver++ 25'),
    lcm4AdherenceAtLeast70: (byName.get('LCM 4')?.adherence ?? 0) >= 0.7,
    ddim4AtLeast2xLcm4: fd('teacher DDIM 4') >= 2 * fd('LCM 4'),
    pdImprovesFrom1To8: fd('PD 8') < fd('PD 4') && fd('PD 4') < fd('PD 2') && fd('PD 2') < fd('PD 1'),
  };
  console.log('bars:', bars);
  const result: Record<string, unknown> = {
    what: 'scenes model family quality (npm run eval:models): Frechet distance in the scene evaluator feature space vs real scenes drawn for the same prompts; adherence = evaluator predictions vs the prompt attributes',
    date: new Date().toISOString(),
    machine: machine(),
    images: n,
    evalSeed: EVAL_SEED,
    guidance: GUIDANCE,
    evaluatorAccuracy,
    realImageAdherence: realAdherence,
    aeReconstructionPsnrDb: aePsnr,
    lcmLoraFuse: loraReport,
    rows,
    bars,
  };
  if (!values['no-speed']) {
    result.speed = await speed(modelsDir);
    console.log('speed:', result.speed);
  }
  result.totalSeconds = (Date.now() - t0) / 1000;
  fs.mkdirSync(path.dirname(values.out!), { recursive: true });
  fs.writeFileSync(values.out!, JSON.stringify(result, null, 2) + '\n');
  console.log(`wrote ${values.out} in ${result.totalSeconds} s`);
  const trainingFile = path.join(modelsDir, 'scenes-training.json');
  if (values.cards && fs.existsSync(trainingFile)) {
    writeModelCards(
      modelsDir,
      result,
      JSON.parse(fs.readFileSync(trainingFile, 'utf8')) as Record<string, Record<string, unknown>>,
    );
    console.log('wrote the model cards');
  }
}

if (require.main === module) {
  runCli('eval:models', main);
}
