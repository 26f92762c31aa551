/**
 * Orchestration overhead of the ONNX text-to-image pipeline on the tiny fixture (CPU):
 * overhead = (wall - time inside session.run - PNG encoding) / wall, median over repeats, at
 * 1, 4 and 8 steps, batch 1 and 4; and PNG encoding on its own. Prints; asserts nothing.
 *
 *   node dist/cli/benchPipeline.js [--model folder] [--repeats n]
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { requireInteger } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { loadPipeline } from '../onnx/pipeline.js';
import { vaeOutputToPngs } from '../onnx/vaePng.js';
import { packageRoot } from './generate.js';

export interface PipelineBenchRow {
  steps: number;
  batch: number;
  wallMs: number;
  sessionRunMs: number;
  pngMs: number;
  /** (wall - sessionRun - png) / wall, median over repeats. */
  overhead: number;
}

export interface PngBenchRow {
  size: number;
  batch: number;
  ms: number;
}

export interface PipelineBenchResult {
  model: string;
  provider: string;
  repeats: number;
  rows: PipelineBenchRow[];
  png: PngBenchRow[];
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Measures and prints the pipeline's orchestration overhead; returns the numbers. */
export async function benchPipeline(options: { model?: string; repeats?: number; log?: (s: string) => void } = {}): Promise<PipelineBenchResult> {
  const log = options.log ?? console.log;
  const repeats = requireInteger('repeats', options.repeats ?? 5, 1, 1000);
  const model = options.model ?? path.join(packageRoot(), 'models', 'fixtures', 'tiny-lcm');
  const pipe = await loadPipeline(model, { device: 'cpu', log });
  const rows: PipelineBenchRow[] = [];
  try {
    await pipe.generate({ prompt: 'warm up', steps: 2, seed: 1, batchSize: 4 });
    for (const batch of [1, 4]) {
      for (const steps of [1, 4, 8]) {
        const wall: number[] = [];
        const run: number[] = [];
        const png: number[] = [];
        const over: number[] = [];
        for (let r = 0; r < repeats; r++) {
          const t0 = performance.now();
          const res = await pipe.generate({ prompt: 'a photo of a cat', steps, seed: 100 + r, batchSize: batch });
          const w = performance.now() - t0;
          wall.push(w);
          run.push(res.timings.sessionRunMs);
          png.push(res.timings.pngMs);
          over.push((w - res.timings.sessionRunMs - res.timings.pngMs) / w);
        }
        rows.push({ steps, batch, wallMs: median(wall), sessionRunMs: median(run), pngMs: median(png), overhead: median(over) });
      }
    }
  } finally {
    await pipe.release();
  }
  const pngRows: PngBenchRow[] = [];
  const rng = new Rng(7);
  for (const [size, batch] of [[32, 1], [32, 4], [512, 1]] as const) {
    const data = rng.uniform(batch * 3 * size * size).map((u) => 2 * u - 1);
    await vaeOutputToPngs(data, [batch, 3, size, size]);
    const ts: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      await vaeOutputToPngs(data, [batch, 3, size, size]);
      ts.push(performance.now() - t0);
    }
    pngRows.push({ size, batch, ms: median(ts) });
  }
  log(`pipeline orchestration overhead, ${path.relative(process.cwd(), model) || model}, cpu, median of ${repeats}`);
  log('batch steps   wall ms  session.run ms  png ms  overhead');
  for (const r of rows) {
    log(`${String(r.batch).padStart(5)} ${String(r.steps).padStart(5)} ${r.wallMs.toFixed(2).padStart(9)} ${r.sessionRunMs.toFixed(2).padStart(15)} ${r.pngMs.toFixed(2).padStart(7)} ${(100 * r.overhead).toFixed(1).padStart(8)}%`);
  }
  log('png encoding alone (random [-1, 1] images):');
  for (const p of pngRows) log(`  ${p.batch} x ${p.size}x${p.size}: ${p.ms.toFixed(2)} ms`);
  return { model, provider: pipe.provider, repeats, rows, png: pngRows };
}

if (require.main === module) {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { model: { type: 'string' }, repeats: { type: 'string' } } });
  benchPipeline({ model: values.model, repeats: values.repeats ? Number(values.repeats) : undefined }).catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
