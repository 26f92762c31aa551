import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runNotebook } from '../../src/runner/index.js';
import { checkCommon, figure, figuresOf, fixtureEnv, notebookPath, structuredResult, textOf } from './support.js';
import { checkResult04Consistent, type Result04 } from './shippedChecks/nb04.js';

const NB04 = '04-speed-benchmarking';

describe('course notebook 04 (speed benchmarking)', { timeout: 300_000 }, () => {
  test('runs on the fixture models (nothing cached) and shows every sweep, the breakdown, the published panels and the floor', async () => {
    const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'fewstep-nb04-cache-'));
    try {
      const env = { ...fixtureEnv, FEWSTEP_CACHE_DIR: cacheDir, FEWSTEP_FORCE: '' };
      const { notebook: nb } = await runNotebook(notebookPath(NB04), { cellTimeoutS: 90, kernel: { env } });
      checkCommon(nb, 12, 0);
      const text = textOf(nb);
      assert.match(text, /TEST FIXTURE/);
      assert.match(text, /tiny-sd/);
      const r = structuredResult<Result04>(nb, '04');
      checkResult04Consistent(r);
      assert.equal(r.fixture, true);
      // The fixture's native size is 32 px: the sweeps follow the model, not a hard-coded 64.
      assert.equal(r.native, 32);
      assert.deepEqual(r.sizes, [16, 32, 48, 64]);
      assert.deepEqual(
        r.steps.filter((s) => s.family === 'DPM-Solver++').map((s) => s.steps),
        [1, 2, 4, 8, 15, 25, 50],
      );
      assert.deepEqual(
        r.steps.filter((s) => s.family === 'LCM').map((s) => s.steps),
        [1, 2, 4, 8],
      );
      // The course rule: LCM at <= 8 steps, DPM-Solver++ above.
      assert.deepEqual(
        r.course.map((c) => c.name),
        ['LCM 1', 'LCM 2', 'LCM 4', 'LCM 8', 'DPM-Solver++ 15', 'DPM-Solver++ 25', 'DPM-Solver++ 50'],
      );
      assert.deepEqual(
        r.batch.map((b) => b.points.map((p) => p.batch)),
        [
          [1, 2, 4, 8, 16],
          [1, 2, 4, 8, 16],
        ],
      );
      // Charts: the sweeps, the issue-12 charts (images per minute, speed-up per resolution), the breakdown.
      const steps = figure(nb, 'Time per image vs steps (32 px');
      assert.deepEqual(steps.series('DPM-Solver++ (teacher)').x, [1, 2, 4, 8, 15, 25, 50]);
      for (const title of [
        'Speed-up over the 50-step DPM-Solver++ teacher',
        'Images per minute on this machine',
        'Speed-up of LCM 4 over DPM-Solver++ 25, per resolution',
        'Time per image vs batch size',
        'Where the time goes',
      ])
        assert.equal(figure(nb, title).fig.layout.meta?.provenance, 'measured', title);
      // FLOPs are counted where Python with onnx is there, else the result says why it skipped.
      assert.ok(r.perSize.every((p) => typeof p.flops === 'number') || r.flopsSkipped !== null);
      assert.deepEqual(
        r.publishedFlops.map((p) => p.resolution),
        [256, 512, 768, 1024],
      );
      const published = figuresOf(nb).filter((f) => f.layout.meta?.provenance === 'published');
      assert.equal(published.length, 5);
      assert.match(text, /H100\s+989\s+1\.62/);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
