import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { stageBreakdown } from '../../src/bench/stages.js';

describe('stageBreakdown', () => {
  test('takes each stage median separately and never reports negative other time', () => {
    const r = (unet: number) => ({
      timings: { tokenizerMs: 0, textEncoderMs: 1, unetMs: [unet], schedulerMs: 0, vaeMs: 1, pngMs: 1 },
    });
    assert.deepEqual(stageBreakdown([r(5), r(9), r(7)], 5), {
      textEncoderMs: 1,
      unetMs: 7,
      schedulerMs: 0,
      vaeMs: 1,
      pngMs: 1,
      otherMs: 0,
    });
    assert.equal(stageBreakdown([{}, {}], 3), undefined);
  });

  test('puts the wall time outside the stages into other, and sums the UNet calls of a run', () => {
    const run = { timings: { textEncoderMs: 2, unetMs: [3, 4], schedulerMs: 1, vaeMs: 5, pngMs: 2 } };
    // stages: 2 + (3 + 4) + 1 + 5 + 2 = 17 ms; wall 20 ms -> other 3 ms.
    assert.equal(stageBreakdown([run], 20)?.otherMs, 3);
    assert.equal(stageBreakdown([run], 20)?.unetMs, 7);
  });
});
