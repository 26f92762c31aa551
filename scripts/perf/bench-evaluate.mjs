#!/usr/bin/env node
// Old vs new quality evaluation, side by side in one process, on the course plan's methods:
//   old: pipelines whose ONNX Runtime threads spin (FEWSTEP_ORT_SPINNING=1), PNG encode + decode
//        before the evaluator, the text encoder run for every method, the Frechet bootstrap on the
//        plain reference features (reference side recomputed per method) plus a second plain FD;
//        i.e. EvaluationSession.measureQuality as of main 98b50df, re-implemented here.
//   new: EvaluationSession.evaluate as it is now (force: a fresh measurement, a temporary cache).
// Methods alternate which path goes first. Every number (FD interval, adherence interval, all-correct
// fraction; PSNR/SSIM intervals with --pairs) must be identical, to the last bit; the script exits 1
// otherwise. Prints wall time and process CPU time (all threads) per method and path, and ratios.
//
//   node scripts/perf/bench-evaluate.mjs [--images 200] [--methods 'DDIM 4,DDIM 8,LCM 2,LCM 4,PD 2'] [--pairs 8]
// Build first (npm run build). Measured now, on this machine: on a shared machine both paths see the
// same load only on average; report the load averages printed with the result.
import { createRequire } from 'node:module';
import * as fsn from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const fs = require('../../dist/index.js');

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '200' },
    methods: { type: 'string', default: 'DDIM 4,DDIM 8,DPM-Solver++ 4,LCM 2,LCM 4,PD 2' },
    pairs: { type: 'string', default: '0' },
  },
});
const N = Number(values.images);
const PAIRS = Number(values.pairs);
const plan = fs.coursePlan();
const all = fs.planMethods(plan, {
  ddim: [1, 2, 4, 8, 25],
  dpmSolver: [4, 15],
  fewStep: [1, 2, 4, 8],
  lcmLora: [],
  progressive: [1, 2, 4, 8],
});
const methods = values.methods.split(',').map((w) => {
  const m = all.find((x) => x.name === w.trim());
  if (!m) throw new Error(`no method "${w}" in the plan (have: ${all.map((x) => x.name).join(', ')})`);
  return m;
});
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
console.log(`${new Date().toISOString()} ${os.cpus()[0].model} x${os.cpus().length}; load ${load()}`);
console.log(
  `${N} images per method; methods: ${methods.map((m) => m.name).join(', ')}${PAIRS ? `; PSNR/SSIM pairs ${PAIRS}` : ''}`,
);

// ---- old path (re-implementation of main's measureQuality) ----
const withSpinning = async (fn) => {
  const saved = process.env.FEWSTEP_ORT_SPINNING;
  process.env.FEWSTEP_ORT_SPINNING = '1';
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.FEWSTEP_ORT_SPINNING;
    else process.env.FEWSTEP_ORT_SPINNING = saved;
  }
};
const reference = fs.sceneReference(N);
const oldEvaluator = await withSpinning(() => fs.SceneEvaluator.open(plan.evaluator));
const oldRefFeatures = (await oldEvaluator.run(reference.pixels, reference.n, reference.size)).features;
const oldPipes = new Map();
const oldPipe = (m) => {
  if (!oldPipes.has(m.dir))
    oldPipes.set(
      m.dir,
      withSpinning(() => fs.loadPipeline(m.dir, { log: () => {} })),
    );
  return oldPipes.get(m.dir);
};
const oldImages = async (m, n) =>
  fs.generateImageSet(await oldPipe(m), reference.prompts.slice(0, n), {
    steps: m.steps,
    guidance: m.guidance,
    scheduler: m.scheduler,
    width: reference.size,
    height: reference.size,
    batchSize: 25,
  });
const refMethod = fs.referenceMethod(plan);
let oldRefPngs;
async function oldQuality(m) {
  const pngs = await oldImages(m, N);
  const out = { images: pngs.length };
  const run = await oldEvaluator.run(await fs.pngsToPixels(pngs, reference.size), pngs.length, reference.size);
  const fd = fs.bootstrapFrechet(run.features, oldRefFeatures, oldEvaluator.featureDim, { reps: 40, seed: 0 });
  const check = fs.frechetDistance(run.features, oldRefFeatures, oldEvaluator.featureDim);
  if (Math.abs(check - fd.value) > 1e-9 * Math.max(1, check)) throw new Error('plain FD check');
  out.frechet = fd;
  const values = new Float64Array(N);
  let allCorrect = 0;
  run.attributes.forEach((p, i) => {
    const want = fs.promptAttributes(reference.prompts[i]);
    const hits = fs.EVAL_ATTRIBUTES.filter((a) => p[a] === want[a]).length;
    values[i] = hits / fs.EVAL_ATTRIBUTES.length;
    if (hits === fs.EVAL_ATTRIBUTES.length) allCorrect++;
  });
  out.adherence = fs.bootstrapMean(values, { reps: 1000, seed: 0 });
  out.allCorrect = allCorrect / N;
  if (PAIRS > 0) {
    oldRefPngs ??= await oldImages(refMethod, PAIRS);
    const s = await fs.pairScores(pngs.slice(0, PAIRS), oldRefPngs);
    out.psnrDb = fs.bootstrapMean(s.psnrDb, { reps: 1000, seed: 0 });
    out.ssim = fs.bootstrapMean(s.ssim, { reps: 1000, seed: 0 });
    out.pairs = PAIRS;
  }
  return out;
}

// ---- new path: the session ----
const cacheDir = fsn.mkdtempSync(path.join(os.tmpdir(), 'bench-evaluate-'));
const session = await fs.EvaluationSession.open({
  images: N,
  evaluator: plan.evaluator,
  ...(PAIRS > 0 ? { referenceMethod: refMethod, pairs: PAIRS } : {}),
  cacheDir,
  force: true,
  log: () => {},
});
const newQuality = async (m) => (await session.evaluate(m)).quality;

// Load every model on both sides before timing.
for (const m of methods) {
  await oldPipe(m);
  await session.pipeline(m);
}

const rows = [];
let failures = 0;
for (const [k, m] of methods.entries()) {
  const r = { method: m.name };
  const order = k % 2 === 0 ? ['old', 'new'] : ['new', 'old'];
  for (const side of order) {
    const c0 = cpuMs();
    const t0 = performance.now();
    r[side] = side === 'old' ? await oldQuality(m) : await newQuality(m);
    r[`${side}Wall`] = performance.now() - t0;
    r[`${side}Cpu`] = cpuMs() - c0;
  }
  r.identical = isDeepStrictEqual(r.old, r.new);
  if (!r.identical) {
    failures++;
    console.log(`DIFFERENT: ${m.name}\n  old ${JSON.stringify(r.old)}\n  new ${JSON.stringify(r.new)}`);
  }
  rows.push(r);
  console.log(
    `${m.name.padEnd(16)} old ${(r.oldWall / 1000).toFixed(2).padStart(6)} s wall ${(r.oldCpu / 1000).toFixed(2).padStart(6)} s cpu | ` +
      `new ${(r.newWall / 1000).toFixed(2).padStart(6)} s wall ${(r.newCpu / 1000).toFixed(2).padStart(6)} s cpu | ` +
      `new/old wall ${(r.newWall / r.oldWall).toFixed(2)} cpu ${(r.newCpu / r.oldCpu).toFixed(2)} | ` +
      `FD ${r.new.frechet.value.toFixed(4)} adherence ${r.new.adherence.value.toFixed(4)}${r.new.psnrDb ? ` PSNR ${r.new.psnrDb.value.toFixed(4)}` : ''} ${r.identical ? 'identical' : 'DIFFERENT'}`,
  );
}
const sum = (key) => rows.reduce((s, r) => s + r[key], 0);
console.log(
  `all: old ${(sum('oldWall') / 1000).toFixed(1)} s wall, ${(sum('oldCpu') / 1000).toFixed(1)} s cpu; ` +
    `new ${(sum('newWall') / 1000).toFixed(1)} s wall, ${(sum('newCpu') / 1000).toFixed(1)} s cpu; ` +
    `new/old wall ${(sum('newWall') / sum('oldWall')).toFixed(3)}, cpu ${(sum('newCpu') / sum('oldCpu')).toFixed(3)}`,
);
console.log(`results identical for ${rows.length - failures} of ${rows.length} methods; load at the end ${load()}`);
await session.close();
await oldEvaluator.release();
for (const p of oldPipes.values()) await (await p).release();
fsn.rmSync(cacheDir, { recursive: true, force: true });
process.exitCode = failures > 0 ? 1 : 0;
