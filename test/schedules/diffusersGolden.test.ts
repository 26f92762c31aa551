import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { vpSigmaTable } from '../../src/schedules/sigmas.js';
import { trainingScheduleFromConfig } from '../../src/schedules/trainingSchedule.js';
import { DDIM_DEFAULTS } from '../../src/samplers/ddim.js';
import type { SchedulerConfig } from '../../src/samplers/types.js';
import { FACTORIES, assertClose, describeCase, loadGolden } from '../samplers/goldenSupport.js';

interface ScheduleCase {
  config: SchedulerConfig;
  t: number[];
  betas: number[];
  alphas_cumprod: number[];
  /** null where diffusers' sigma is infinite (zero terminal SNR). */
  sigma: (number | null)[];
}

interface TimestepCase {
  class: string;
  config: SchedulerConfig;
  steps: number;
  timesteps: number[];
  sigmas?: number[];
  init_noise_sigma?: number;
}

describe('beta schedules match diffusers (test/golden/diffusers_schedules.json)', () => {
  for (const c of loadGolden<ScheduleCase>('diffusers_schedules.json')) {
    test(`betas, alphas_cumprod and sigma for ${JSON.stringify(c.config)} agree to float32 precision`, () => {
      const schedule = trainingScheduleFromConfig({ ...DDIM_DEFAULTS, ...c.config });
      const sigmas = vpSigmaTable(schedule.alphasCumprod);
      assertClose(
        c.t.map((t) => schedule.betas[t]),
        c.betas,
        'betas',
      );
      assertClose(
        c.t.map((t) => schedule.alphasCumprod[t]),
        c.alphas_cumprod,
        'alphas_cumprod',
        1e-5,
        1e-9,
      );
      c.t.forEach((t, i) => {
        const expected = c.sigma[i];
        if (expected === null) assert.equal(sigmas[t], Infinity, `sigma[${t}]`);
        else assertClose([sigmas[t]], [expected], `sigma[${t}]`);
      });
    });
  }
});

describe('timesteps, sigmas and init noise sigma match diffusers (test/golden/diffusers_timesteps.json)', () => {
  const cases = loadGolden<TimestepCase>('diffusers_timesteps.json');
  test('the golden file covers every class, spacing and 1, 2, 3, 4, 8 and 50 steps', () => {
    for (const cls of Object.keys(FACTORIES)) {
      for (const spacing of ['leading', 'trailing', 'linspace']) {
        const steps = new Set(
          cases.filter((c) => c.class === cls && c.config.timestep_spacing === spacing).map((c) => c.steps),
        );
        for (const n of [1, 2, 3, 4, 8, 50]) assert.ok(steps.has(n), `${cls} ${spacing} ${n}`);
      }
    }
  });
  for (const c of cases) {
    // diffusers' numpy.arange quirk: some "trailing" grids get an extra, invalid timestep -1 (see spacedTimesteps).
    const spurious = c.timesteps.length === c.steps + 1;
    const name = spurious
      ? `${describeCase(c)}: the first ${c.steps} timesteps, without diffusers' spurious trailing -1`
      : describeCase(c);
    test(name, () => {
      const expectedTimesteps = spurious ? c.timesteps.slice(0, c.steps) : c.timesteps;
      if (spurious) assert.equal(c.timesteps[c.steps], -1);
      const s = FACTORIES[c.class](c.config);
      s.setTimesteps(c.steps);
      assert.equal(s.numInferenceSteps, c.steps);
      // Integer grids must match exactly; Euler's fractional (float32) timesteps to float32 precision.
      if (c.class.startsWith('Euler')) assertClose(s.timesteps, expectedTimesteps, 'timesteps');
      else assert.deepEqual(s.timesteps, expectedTimesteps);
      if (c.sigmas) {
        const expectedSigmas = spurious ? [...c.sigmas.slice(0, c.steps), c.sigmas[c.sigmas.length - 1]] : c.sigmas;
        assertClose(s.sigmas, expectedSigmas, 'sigmas');
      }
      if (c.init_noise_sigma !== undefined) assertClose([s.initNoiseSigma], [c.init_noise_sigma], 'initNoiseSigma');
    });
  }
});
