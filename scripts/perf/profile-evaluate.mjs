#!/usr/bin/env node
// Where the quality evaluation of notebooks 05/06 spends its time: for a few methods of the course
// plan, image generation split into text encoder / UNet / scheduler / VAE / PNG encode (the
// pipeline's own timings), then the quality path: PNG decode back to pixels, the scene evaluator,
// the Frechet bootstrap (40 replicates), the plain Frechet check and the adherence bootstrap.
// Prints one table (ms per stage, and % of the method's total) and the process CPU time vs wall time
// (CPU > wall means a second thread was busy, e.g. ONNX Runtime's spinning intra-op pool).
//
//   node scripts/perf/profile-evaluate.mjs [--images 200] [--methods 'DDIM 25,LCM 4,PD 1']
// Build first (npm run build). Measured now on this machine; on a shared machine the numbers are noisy.
import { createRequire } from 'node:module';
import * as os from 'node:os';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const fs = require('../../dist/index.js');

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '200' },
    methods: { type: 'string', default: 'DDIM 25,DPM-Solver++ 15,LCM 4,PD 1' },
    batch: { type: 'string', default: '25' },
  },
});
const N = Number(values.images);
const BATCH = Number(values.batch);
const wanted = values.methods.split(',').map((s) => s.trim());

const plan = fs.coursePlan();
const all = fs.planMethods(plan, {
  ddim: [4, 8, 25],
  dpmSolver: [4, 15],
  fewStep: [1, 2, 4],
  lcmLora: [],
  progressive: [1, 2, 4, 8],
});
const methods = wanted.map((w) => {
  const m = all.find((x) => x.name === w);
  if (!m) throw new Error(`no method "${w}" in the plan (have: ${all.map((x) => x.name).join(', ')})`);
  return m;
});

const now = () => performance.now();
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
console.log(
  `${new Date().toISOString()} ${os.cpus()[0].model} x${os.cpus().length}, load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);

let t = now();
const reference = fs.sceneReference(N);
const tRef = now() - t;
t = now();
const evaluator = await fs.SceneEvaluator.open(plan.evaluator);
const refRun = await evaluator.run(reference.pixels, reference.n, reference.size);
const tRefFeatures = now() - t;
console.log(
  `reference scenes (${N}): draw ${tRef.toFixed(0)} ms, evaluator open + features ${tRefFeatures.toFixed(0)} ms`,
);

const rows = [];
const pipes = new Map();
for (const m of methods) {
  if (!pipes.has(m.dir)) {
    t = now();
    pipes.set(m.dir, await fs.loadPipeline(m.dir, { log: () => {} }));
    console.log(`load ${m.dir.split('/').pop()}: ${(now() - t).toFixed(0)} ms`);
  }
  const pipe = pipes.get(m.dir);
  const r = { method: m.name, text: 0, unet: 0, sched: 0, vae: 0, pngEnc: 0, other: 0 };
  const c0 = cpu();
  const w0 = now();
  const pngs = [];
  for (let s = 0; s < N; s += BATCH) {
    const prompts = reference.prompts.slice(s, s + BATCH);
    const g = await pipe.generate({
      prompts,
      seeds: prompts.map((_, i) => 1000 + s + i),
      steps: m.steps,
      guidance: m.guidance,
      scheduler: m.scheduler,
      width: reference.size,
      height: reference.size,
    });
    const tm = g.timings;
    const unet = tm.unetMs.reduce((a, b) => a + b, 0);
    r.text += tm.tokenizerMs + tm.textEncoderMs;
    r.unet += unet;
    r.sched += tm.schedulerMs;
    r.vae += tm.vaeMs;
    r.pngEnc += tm.pngMs;
    r.other += tm.totalMs - tm.tokenizerMs - tm.textEncoderMs - unet - tm.schedulerMs - tm.vaeMs - tm.pngMs;
    pngs.push(...g.images);
  }
  r.generateWall = now() - w0;
  t = now();
  const pixels = await fs.pngsToPixels(pngs, reference.size);
  r.pngDec = now() - t;
  t = now();
  const run = await evaluator.run(pixels, N, reference.size);
  r.evaluator = now() - t;
  t = now();
  fs.bootstrapFrechet(run.features, refRun.features, evaluator.featureDim, { reps: 40, seed: 0 });
  r.fdBoot = now() - t;
  t = now();
  fs.frechetDistance(run.features, refRun.features, evaluator.featureDim);
  r.fdPlain = now() - t;
  t = now();
  const adh = fs.promptAdherence(run.attributes, reference.prompts);
  fs.bootstrapMean(new Float64Array(N).fill(adh.mean), { reps: 1000, seed: 0 });
  r.adherence = now() - t;
  r.total = now() - w0;
  r.cpu = cpu() - c0;
  rows.push(r);
}
await evaluator.release();
for (const p of pipes.values()) await p.release();

const cols = [
  'text',
  'unet',
  'sched',
  'vae',
  'pngEnc',
  'other',
  'pngDec',
  'evaluator',
  'fdBoot',
  'fdPlain',
  'adherence',
  'total',
  'cpu',
];
const pad = (s, n) => String(s).padStart(n);
console.log(
  `\nms per method (${N} images, batches of ${BATCH}); % of the method's total in brackets; cpu = process CPU ms over the same span`,
);
console.log(pad('method', 16) + cols.map((c) => pad(c, 13)).join(''));
for (const r of rows) {
  console.log(
    pad(r.method, 16) +
      cols
        .map((c) =>
          pad(
            c === 'total' || c === 'cpu'
              ? r[c].toFixed(0)
              : `${r[c].toFixed(0)} (${((100 * r[c]) / r.total).toFixed(0)}%)`,
            13,
          ),
        )
        .join(''),
  );
}
const sum = (c) => rows.reduce((s, r) => s + r[c], 0);
console.log(
  pad('all', 16) +
    cols
      .map((c) =>
        pad(
          c === 'total' || c === 'cpu'
            ? sum(c).toFixed(0)
            : `${sum(c).toFixed(0)} (${((100 * sum(c)) / sum('total')).toFixed(0)}%)`,
          13,
        ),
      )
      .join(''),
);
console.log(
  `load at the end ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
