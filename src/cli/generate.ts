#!/usr/bin/env node
/**
 * npm run generate -- --prompt "a beautiful sunset over mountains" --steps 4 --seed 42 --out out/sunset.png
 *   (default model: the shipped models/scenes-lcm; --model takes a folder or a registry name)
 *   [--device auto|cpu|cuda] [--guidance g] [--width w] [--height h] [--batch n] [--negative "..."]
 *   [--scheduler ClassName]
 * Prints the execution provider and the timing breakdown. With --batch n > 1, image i goes to
 * <out>-<i>.png and gets seed + i.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { FewstepError, InvalidArgumentError, requireOneOf } from '../core/errors.js';
import { loadPipeline, type GenerateResult } from '../onnx/pipeline.js';
import { ONNX_DEVICES, type OnnxDevice } from '../onnx/providers.js';
import { resolveModel } from '../onnx/registry.js';
import { writeFileAtomicSync } from '../core/atomicFile.js';
import { packageRoot } from '../core/packageRoot.js';


/** Default model of `npm run generate`: the tiny LCM fixture (random weights) until a real model ships. */
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

function num(field: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(field, v, 'expected a number');
  return n;
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
  const other = t.totalMs - t.tokenizerMs - t.textEncoderMs - unetTotal - t.schedulerMs - t.vaeMs - t.previewMs - t.pngMs;
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

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[], io: { log: (s: string) => void; error: (s: string) => void } = console): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        prompt: { type: 'string', default: '' },
        negative: { type: 'string' },
        steps: { type: 'string' },
        model: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string', default: 'out/generated.png' },
        device: { type: 'string', default: 'auto' },
        guidance: { type: 'string' },
        width: { type: 'string' },
        height: { type: 'string' },
        batch: { type: 'string' },
        scheduler: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      io.log('usage: npm run generate -- --prompt "..." [--steps n] [--model folder] [--seed s] [--out file.png] [--device auto|cpu|cuda] [--guidance g] [--width w] [--height h] [--batch n] [--negative "..."] [--scheduler ClassName]');
      return 0;
    }
    const device = requireOneOf('--device', values.device, ONNX_DEVICES) as OnnxDevice;
    const modelDir = values.model === undefined ? defaultModelDir() : modelFolderFor(values.model);
    // generate prints its own lines about words outside the vocabulary (below).
    const pipe = await loadPipeline(modelDir, { device, log: io.log, warn: io.error, vocabularyNote: false });
    try {
      const seed = num('--seed', values.seed) ?? 42;
      const result = await pipe.generate({
        prompt: values.prompt,
        negativePrompt: values.negative,
        steps: num('--steps', values.steps),
        guidance: num('--guidance', values.guidance),
        width: num('--width', values.width),
        height: num('--height', values.height),
        batchSize: num('--batch', values.batch),
        seed,
        scheduler: values.scheduler ? { _class_name: values.scheduler } : undefined,
      });
      const files = outputPaths(values.out!, result.images.length);
      result.images.forEach((png, i) => writeFileAtomicSync(files[i], png));
      io.log(`model ${modelDir} (${pipe.family}), provider ${result.provider}, ${result.width}x${result.height}, ${result.steps} steps, guidance ${result.guidance}`);
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
    if (e instanceof FewstepError) {
      io.error(`error: ${e.message}`);
      return 2;
    }
    if (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.error(`error: ${e.message}`);
      return 2;
    }
    io.error(`error: ${(e as Error).stack ?? e}`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
