#!/usr/bin/env node
/**
 * npm run generate -- --prompt "a beautiful sunset over mountains" --steps 4 --seed 42 --out out/sunset.png
 *   (default model: the shipped models/scenes-lcm; --model takes a folder or a registry name)
 *   [--device auto|cpu|cuda] [--guidance g] [--width w] [--height h] [--batch n] [--negative "..."]
 *   [--scheduler ClassName] [--prompt-file file] (--help lists them)
 * Prints the execution provider and the timing breakdown. With --batch n > 1, image i goes to
 * <out>-<i>.<ext> and gets seed + i. `--out` is checked before the model loads; .png, .jpg/.jpeg and
 * .webp are encoded by extension; a batch is written all or nothing.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { FewstepError, InvalidArgumentError, MissingResourceError, requireOneOf } from '../core/errors.js';
import { defineCli, parseCli, parseIntegerArg, parseNumberArg, reportCliError, runCli } from './args.js';
import { loadPipeline, type GenerateResult } from '../onnx/pipeline.js';
import { ONNX_DEVICES, type OnnxDevice } from '../onnx/providers.js';
import { resolveModel } from '../onnx/registry.js';
import { packageRoot } from '../core/packageRoot.js';

/**
 * `--model`: a folder path as given, or a bare name resolved by the registry (a known hub export
 * under models/, or a folder in models/ or models/fixtures/).
 */
export function modelFolderFor(model: string): string {
  const looksLikePath = model.includes('/') || model.includes('\\') || model.startsWith('.');
  return looksLikePath ? model : resolveModel(model, { modelsDir: path.join(packageRoot(), 'models') });
}

export function defaultModelDir(): string {
  return path.join(packageRoot(), 'models', 'scenes-lcm');
}

/** Output paths: `out` itself for one image, `<out>-<i>.png` for a batch. */
export function outputPaths(out: string, count: number): string[] {
  if (count === 1) return [out];
  const ext = path.extname(out) || '.png';
  const stem = out.slice(0, out.length - path.extname(out).length);
  return Array.from({ length: count }, (_, i) => `${stem}-${i}${ext}`);
}

/** One line per timing: the breakdown `npm run generate` prints. */
export function formatTimings(r: GenerateResult): string[] {
  const t = r.timings;
  const f = (ms: number) => `${ms.toFixed(1)} ms`;
  const unetTotal = t.unetMs.reduce((a, b) => a + b, 0);
  const other =
    t.totalMs - t.tokenizerMs - t.textEncoderMs - unetTotal - t.schedulerMs - t.vaeMs - t.previewMs - t.pngMs;
  return [
    `  tokenizer     ${f(t.tokenizerMs)}`,
    `  text encoder  ${f(t.textEncoderMs)}`,
    `  unet          ${f(unetTotal)} over ${t.unetMs.length} steps (${t.unetMs.map((m) => m.toFixed(1)).join(', ')})`,
    `  scheduler     ${f(t.schedulerMs)}`,
    `  vae decoder   ${f(t.vaeMs)}`,
    ...(t.previewMs > 0 ? [`  previews      ${f(t.previewMs)}`] : []),
    `  png encoding  ${f(t.pngMs)}`,
    `  other         ${f(other)}`,
    `  total         ${f(t.totalMs)} (inside session.run: ${f(t.sessionRunMs)})`,
  ];
}

/** Output formats `--out` may name, by file extension. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp'] as const;

/** The command line of `npm run generate`. */
export const GENERATE_CLI = defineCli({
  command: 'npm run generate --',
  summary: 'Generates images from a prompt with an ONNX text-to-image model and prints the provider and the timings.',
  options: {
    prompt: {
      type: 'string',
      value: 'text',
      help: 'the prompt (the text encoder reads its first 77 tokens, the shipped model 32)',
    },
    'prompt-file': { type: 'string', value: 'file', help: 'read the prompt from a UTF-8 text file (for long prompts)' },
    negative: {
      type: 'string',
      value: 'text',
      help: 'negative prompt (used with classifier-free guidance: SD/Turbo models, guidance > 1)',
    },
    steps: { type: 'string', value: 'n', help: "sampling steps (default: the model's)" },
    model: {
      type: 'string',
      value: 'folder|name',
      help: 'model folder, or a name under models/ (default: models/scenes-lcm)',
    },
    seed: {
      type: 'string',
      value: 's',
      help: 'seed of the first image, 0..2^53-1; image i of a batch gets seed + i (default 42)',
    },
    out: {
      type: 'string',
      value: 'file',
      default: 'out/generated.png',
      help: `output image: ${IMAGE_EXTENSIONS.join(', ')} (encoded by extension)`,
    },
    device: { type: 'string', value: ONNX_DEVICES.join('|'), default: 'auto', help: 'execution provider' },
    guidance: { type: 'string', value: 'g', help: "guidance scale (default: the model's)" },
    width: { type: 'string', value: 'px', help: "image width (default: the model's native size)" },
    height: { type: 'string', value: 'px', help: "image height (default: the model's native size)" },
    batch: { type: 'string', value: 'n', help: 'images in one batch, 1..64; image i goes to <out>-<i>.<ext>' },
    scheduler: {
      type: 'string',
      value: 'ClassName',
      help: "scheduler class overriding the model's (e.g. EulerDiscreteScheduler)",
    },
  },
});

/** Largest prompt file read (bytes): far above any text encoder's window, small enough to read at once. */
export const MAX_PROMPT_FILE_BYTES = 1024 * 1024;

const ARGV_HINT =
  "a prompt that long is far beyond the text encoder's window of 77 tokens (the shipped model: 32) anyway; put it in a file and pass --prompt-file <file>";

function optionalInt(flag: string, v: string | undefined, min: number, max?: number): number | undefined {
  return v === undefined ? undefined : parseIntegerArg(flag, v, min, max);
}

/**
 * Checks `--out` before anything is loaded or generated: a non-empty file name with an image extension
 * (IMAGE_EXTENSIONS), not a folder, whose nearest existing parent is a writable folder.
 */
export function checkOutputPath(out: string, count: number): void {
  if (
    out.trim() === '' ||
    out.endsWith('/') ||
    out.endsWith(path.sep) ||
    path.basename(out) === '.' ||
    path.basename(out) === '..'
  ) {
    throw new InvalidArgumentError('--out', out, 'a file name such as out/image.png');
  }
  const ext = path.extname(out).toLowerCase();
  if (!(IMAGE_EXTENSIONS as readonly string[]).includes(ext)) {
    throw new InvalidArgumentError(
      '--out',
      out,
      `a file name ending in ${IMAGE_EXTENSIONS.join(', ')} (the image is encoded by extension)`,
    );
  }
  for (const file of outputPaths(out, count)) {
    if (fs.existsSync(file) && fs.statSync(file).isDirectory())
      throw new InvalidArgumentError('--out', file, 'a file name, not an existing folder');
  }
  let dir = path.dirname(path.resolve(out));
  while (!fs.existsSync(dir)) dir = path.dirname(dir);
  if (!fs.statSync(dir).isDirectory())
    throw new InvalidArgumentError('--out', out, `a path inside a folder, but ${dir} is a file`);
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    throw new InvalidArgumentError('--out', out, `a path in a folder this user can write to (${dir} is not writable)`);
  }
}

/** Encodes a PNG as the format `file`'s extension names (png is kept as is). */
export async function encodeForPath(png: Buffer, file: string): Promise<Buffer> {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.png') return png;
  if (ext === '.jpg' || ext === '.jpeg') return sharp(png).jpeg({ quality: 92 }).toBuffer();
  if (ext === '.webp') return sharp(png).webp({ quality: 92 }).toBuffer();
  throw new InvalidArgumentError('--out', file, `a file name ending in ${IMAGE_EXTENSIONS.join(', ')}`);
}

/**
 * Writes every image or none: each goes to a temporary file next to its target first; only when all
 * are written are they renamed into place. A failure removes the temporary files, and the error says
 * which targets (if any) were already renamed.
 */
export function writeAllOrNone(files: readonly string[], data: readonly Uint8Array[]): void {
  const tmps: string[] = [];
  let current = 0;
  try {
    files.forEach((f, i) => {
      current = i;
      fs.mkdirSync(path.dirname(path.resolve(f)), { recursive: true });
      const tmp = path.join(
        path.dirname(path.resolve(f)),
        `.${path.basename(f)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
      );
      tmps.push(tmp);
      fs.writeFileSync(tmp, data[i]);
    });
  } catch (e) {
    for (const t of tmps) fs.rmSync(t, { force: true });
    throw new FewstepError(
      'E_WRITE',
      `could not write ${files[current]}: ${(e as Error).message}; no image was written`,
    );
  }
  const done: string[] = [];
  try {
    files.forEach((f, i) => {
      fs.renameSync(tmps[i], f);
      done.push(f);
    });
  } catch (e) {
    for (const t of tmps.slice(done.length)) fs.rmSync(t, { force: true });
    const wrote = done.length ? `wrote only ${done.join(', ')}` : 'no image was written';
    throw new FewstepError('E_WRITE', `could not write ${files[done.length]}: ${(e as Error).message}; ${wrote}`);
  }
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(
  argv: string[],
  io: { log: (s: string) => void; error: (s: string) => void } = console,
): Promise<number> {
  try {
    const { values } = parseCli(GENERATE_CLI, argv);
    if (values.prompt !== undefined && values['prompt-file'] !== undefined) {
      throw new InvalidArgumentError(
        '--prompt-file',
        values['prompt-file'],
        'either --prompt or --prompt-file, not both',
      );
    }
    const prompt = values['prompt-file'] !== undefined ? readPromptFile(values['prompt-file']) : (values.prompt ?? '');
    const device = requireOneOf('--device', values.device, ONNX_DEVICES) as OnnxDevice;
    const steps = optionalInt('--steps', values.steps, 1);
    const guidance = values.guidance === undefined ? undefined : parseNumberArg('--guidance', values.guidance, 0, 50);
    const width = optionalInt('--width', values.width, 8);
    const height = optionalInt('--height', values.height, 8);
    const batch = optionalInt('--batch', values.batch, 1, 64) ?? 1;
    const maxSeed = Number.MAX_SAFE_INTEGER - (batch - 1);
    const seedWhy =
      batch > 1
        ? `with --batch ${batch}, image i gets seed + i, and the last seed must stay <= 2^53 - 1`
        : 'the generator takes seeds 0..2^53 - 1';
    const seed = values.seed === undefined ? 42 : parseIntegerArg('--seed', values.seed, 0, maxSeed, seedWhy);
    const out = values.out!;
    checkOutputPath(out, batch);
    const modelDir = values.model === undefined ? defaultModelDir() : modelFolderFor(values.model);
    // generate prints its own lines about words outside the vocabulary (below).
    const pipe = await loadPipeline(modelDir, { device, log: io.log, warn: io.error, vocabularyNote: false });
    try {
      const effectiveGuidance = guidance ?? pipe.defaults.guidance;
      if (values.negative !== undefined && (pipe.family === 'lcm' || effectiveGuidance <= 1)) {
        const why =
          pipe.family === 'lcm'
            ? 'LCM models have no unconditional branch (guidance is an input of the UNet)'
            : `guidance ${effectiveGuidance} <= 1 turns classifier-free guidance off`;
        io.error(`warning: --negative is ignored: ${why}`);
      }
      const result = await pipe.generate({
        prompt,
        negativePrompt: values.negative,
        steps,
        guidance,
        width,
        height,
        batchSize: batch,
        seed,
        scheduler: values.scheduler ? { _class_name: values.scheduler } : undefined,
      });
      const files = outputPaths(out, result.images.length);
      const encoded = await Promise.all(result.images.map((png, i) => encodeForPath(png, files[i])));
      writeAllOrNone(files, encoded);
      io.log(
        `model ${modelDir} (${pipe.family}), provider ${result.provider}, ${result.width}x${result.height}, ${result.steps} steps, guidance ${result.guidance}`,
      );
      files.forEach((f, i) => io.log(`wrote ${f} (seed ${result.seeds[i]})`));
      const unknown = [...new Set(result.unknownWords.flat())];
      if (unknown.length > 0) io.log(`words outside the vocabulary: ${unknown.join(', ')}`);
      const split = [...new Set(result.splitWords.flat())].filter((w) => !unknown.includes(w));
      if (split.length > 0) io.log(`words that are not one vocabulary token (split into pieces): ${split.join(', ')}`);
      io.log('timings:');
      formatTimings(result).forEach((l) => io.log(l));
    } finally {
      await pipe.release();
    }
    return 0;
  } catch (e) {
    return reportCliError('generate', e, io);
  }
}

/** Reads `--prompt-file`: UTF-8 text up to MAX_PROMPT_FILE_BYTES, surrounding whitespace trimmed. */
export function readPromptFile(file: string): string {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    throw new MissingResourceError(file, `--prompt-file ${file} does not exist or cannot be read`);
  }
  if (size > MAX_PROMPT_FILE_BYTES) {
    throw new InvalidArgumentError(
      '--prompt-file',
      file,
      `a text file of at most ${MAX_PROMPT_FILE_BYTES} bytes (it has ${size}); the text encoder reads only the first 77 tokens`,
    );
  }
  return fs.readFileSync(file, 'utf8').trim();
}

if (require.main === module) {
  runCli('generate', () => main(process.argv.slice(2)), ARGV_HINT);
}
