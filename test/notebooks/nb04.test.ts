import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runNotebook } from '../../src/runner/index.js';
import { checkCommon, figure, figuresOf, fixtureEnv, notebookPath, textOf } from './support.js';

const NB04 = '04-speed-benchmarking';

describe('course notebook 04 (speed benchmarking)', { timeout: 240_000 }, () => {
  test('runs on the fixture models (nothing cached) and shows every sweep, the breakdown, the published panels and the floor', async () => {
    const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'fewstep-nb04-cache-'));
    try {
      const env = { ...fixtureEnv, FEWSTEP_CACHE_DIR: cacheDir, FEWSTEP_FORCE: '' };
      const { notebook: nb } = await runNotebook(notebookPath(NB04), { cellTimeoutS: 90, kernel: { env } });
      checkCommon(nb, 10, 0);
      const text = textOf(nb);
      assert.match(text, /TEST FIXTURE/);
      assert.match(text, /tiny-sd/);
      // The fixture's native size is 32 px: the sweeps follow the model, not a hard-coded 64.
      const steps = figure(nb, 'Time per image vs steps (32 px');
      assert.deepEqual(steps.series('DPM-Solver++ (teacher)').x, [1, 2, 4, 8, 15, 25, 50]);
      assert.deepEqual(steps.series('LCM').x, [1, 2, 4, 8]);
      for (const y of steps.series('DPM-Solver++ (teacher)').y) assert.ok(y > 0);
      const sizes = figure(nb, 'Time per image vs steps at several resolutions');
      for (const name of ['16 x 16 px', '32 x 32 px', '48 x 48 px', '64 x 64 px']) assert.deepEqual(sizes.series(name).x, [1, 8, 25]);
      assert.deepEqual(figure(nb, 'Time per image vs batch size').series('LCM, 4 steps').x, [1, 2, 4, 8, 16]);
      figure(nb, 'Where the time goes');
      figure(nb, 'Speed-up over the 50-step DPM-Solver++ teacher');
      // The course table: methodFor picks LCM at <= 8 steps and DPM-Solver++ above.
      assert.match(text, /\n\s+4\s+LCM\s/);
      assert.match(text, /\n\s+25\s+DPM-Solver\+\+\s/);
      assert.match(text, /fit \(DPM-Solver\+\+\): t0 = [\d.-]+ ms, t_step = [\d.-]+ ms per step/);
      // FLOPs are counted where Python with onnx is there, else the cell says why it skipped.
      assert.ok(/UNet per guided step at 32 px: [\d.]+ GFLOP/.test(text) || /skipped: /.test(text), 'neither a FLOP count nor a skip message');
      const published = figuresOf(nb).filter((f) => f.layout.meta?.provenance === 'published');
      assert.equal(published.length, 5);
      assert.match(text, /H100\s+989\s+1\.62/);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
