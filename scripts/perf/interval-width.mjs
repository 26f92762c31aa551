#!/usr/bin/env node
// What fewer images per quality row would cost in precision: for a few methods, the 95% intervals of
// the Frechet distance (bootstrap standard error, 40 replicates) and of adherence (1000 replicates)
// on the first N of 200 images (N = 200, 150, 100), as the notebooks compute them, and the widths
// relative to N = 200 next to the 1/sqrt(N) rule (sqrt(200/N)). Also the FD point estimate, whose
// small-sample bias grows roughly like 1/N (Chong & Forsyth 2020).
//
//   node scripts/perf/interval-width.mjs [--methods 'DDIM 8,LCM 4,PD 2'] [--sizes 200,150,100]
import { createRequire } from 'node:module';
import * as os from 'node:os';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const fs = require('../../dist/index.js');
const { values } = parseArgs({
  options: {
    methods: { type: 'string', default: 'DDIM 8,LCM 4,PD 2' },
    sizes: { type: 'string', default: '200,150,100' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const N = Math.max(...sizes);
const plan = fs.coursePlan();
const all = fs.planMethods(plan, { ddim: [4, 8, 25], dpmSolver: [4, 15], fewStep: [1, 2, 4], lcmLora: [] });
const methods = values.methods.split(',').map((w) => all.find((x) => x.name === w.trim()));
console.log(
  `${new Date().toISOString()} load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const reference = fs.sceneReference(N);
const ev = await fs.SceneEvaluator.open(plan.evaluator);
const real = (await ev.run(reference.pixels, N, reference.size)).features;
const d = ev.featureDim;
const width = (i) => i.high - i.low;
for (const m of methods) {
  const pipe = await fs.loadPipeline(m.dir, { log: () => {} });
  const pixels = await fs.generateImagePixels(pipe, reference.prompts, {
    steps: m.steps,
    guidance: m.guidance,
    scheduler: m.scheduler,
    width: reference.size,
    height: reference.size,
  });
  await pipe.release();
  const run = await ev.run(fs.rawImagesToPixels(pixels, reference.size), N, reference.size);
  let base;
  for (const n of sizes) {
    const fd = fs.bootstrapFrechet(run.features.subarray(0, n * d), real.subarray(0, n * d), d, { reps: 40, seed: 0 });
    const adh = run.attributes.slice(0, n).map((p, i) => {
      const want = fs.promptAttributes(reference.prompts[i]);
      return fs.EVAL_ATTRIBUTES.filter((a) => p[a] === want[a]).length / fs.EVAL_ATTRIBUTES.length;
    });
    const ad = fs.bootstrapMean(adh, { reps: 1000, seed: 0 });
    base ??= { fd: width(fd), ad: width(ad) };
    console.log(
      `${m.name.padEnd(10)} N=${String(n).padStart(3)}: FD ${fs.formatInterval(fd)} (width x${(width(fd) / base.fd).toFixed(2)}), ` +
        `adherence ${fs.formatInterval(ad, 4)} (width x${(width(ad) / base.ad).toFixed(2)}); 1/sqrt(N) rule x${Math.sqrt(N / n).toFixed(2)}`,
    );
  }
}
await ev.release();
