// Runs a golden loop case through runSampler (the library's loop), recording the sample after each step.
import { runSampler } from '../../src/samplers/loop.js';
import type { Scheduler } from '../../src/samplers/types.js';
import { FixedNoise, X, fakeModel, loadGolden, checkLoopCase, describeCase, type LoopCase } from './goldenSupport.js';

export function runGoldenLoop(
  s: Scheduler,
  steps: number,
  noise: FixedNoise,
): { trace: Float32Array[]; sample: Float32Array; denoised: Float32Array } {
  const trace: Float32Array[] = [];
  const { sample, denoised } = runSampler(s, (scaled, t) => fakeModel(scaled, t), X, {
    steps,
    noise,
    callback: (info) => trace.push(info.sample),
  });
  return { trace, sample, denoised };
}

/** The golden loop cases of one class, each with a spec-like name and a check. */
export function goldenLoops(className: string): { name: string; check: () => void }[] {
  return loadGolden<LoopCase>('diffusers_loops.json')
    .filter((c) => c.class === className)
    .map((c) => ({
      name: `a ${c.steps}-step loop matches diffusers at every step: ${describeCase(c)}`,
      check: () => checkLoopCase(c, (s, noise) => runGoldenLoop(s, c.steps, noise)),
    }));
}
