/** The session's one speed path: time() on the fixture model with sizes, batches, stage times and a minimum timed duration. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DDIM_TRAILING, type Method } from '../../src/evaluation/method.js';
import { EvaluationSession } from '../../src/evaluation/session.js';
import { InvalidArgumentError } from '../../src/core/errors.js';

const repo = path.resolve(__dirname, '..', '..', '..');
const tiny = path.join(repo, 'models', 'fixtures', 'tiny-sd');

describe('EvaluationSession.time', () => {
  test('times sizes and batches per image, reports stage times, extends cheap methods to minTimeMs, caches', async () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-time-'));
    const base: Method = { name: 'DDIM 2', family: 'DDIM', dir: tiny, steps: 2, guidance: 1, scheduler: DDIM_TRAILING };
    const methods: Method[] = [
      base,
      { ...base, name: 'DDIM 2 @ 16 px', size: 16 },
      { ...base, name: 'DDIM 2 batch 3', batch: 3 },
    ];
    const s = await EvaluationSession.open({
      images: 2,
      device: 'cpu',
      cacheDir,
      log: () => {},
      referenceMethod: base,
    });
    try {
      const first = await s.time(methods, { rounds: 3, warmupRounds: 1, minTimeMs: 1e9, maxRuns: 6 });
      for (const r of first) {
        assert.equal(r.provenance.time?.source, 'measured now');
        const t = r.time!;
        // minTimeMs far above what the runs add up to: every method is timed up to maxRuns.
        assert.equal(t.n, 6);
        assert.ok(t.q1Ms <= t.medianMs && t.medianMs <= t.q3Ms && t.q1Ms > 0);
        assert.ok(t.stages, `${r.method.name} has stage times`);
        const sum = Object.values(t.stages).reduce((a, b) => a + b, 0);
        // The stages (with "other") add up to at least the median per image (other is clipped at 0).
        assert.ok(sum >= t.medianMs - 1e-6, `${r.method.name}: stages ${sum} vs median ${t.medianMs}`);
        assert.ok(t.stages.unetMs > 0);
      }
      const again = await s.time(methods, { rounds: 3, warmupRounds: 1, minTimeMs: 1e9, maxRuns: 6 });
      assert.deepEqual(
        again.map((r) => r.provenance.time?.source),
        ['cache hit', 'cache hit', 'cache hit'],
      );
      assert.deepEqual(
        again.map((r) => r.time),
        first.map((r) => r.time),
      );
      const other = await s.time(methods, { rounds: 3, warmupRounds: 1 });
      assert.equal(other[0].provenance.time?.source, 'measured now', 'another minTimeMs is another measurement');
      assert.equal(other[0].time?.n, 3);
      await assert.rejects(
        s.time(methods, { minTimeMs: -1 }),
        (e: unknown) => e instanceof InvalidArgumentError && /minTimeMs/.test(e.message),
      );
    } finally {
      await s.close();
      fs.rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
