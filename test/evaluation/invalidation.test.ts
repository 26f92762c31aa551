/**
 * The cache can never serve a stale result: editing the teacher's VAE (which a student reaches
 * through a symbolic link), editing a cached value, or switching the execution provider must each
 * make the affected result be measured again (or flagged), never silently re-used.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { cachedWithOutcome, canonicalJson } from '../../src/evaluation/cache.js';
import { modelFingerprint } from '../../src/evaluation/fingerprint.js';
import { machineIdentity, measurementKey } from '../../src/evaluation/key.js';
import { DDIM_TRAILING, type Method } from '../../src/evaluation/method.js';
import { EvaluationSession } from '../../src/evaluation/session.js';

const repo = path.resolve(__dirname, '..', '..', '..');
const fixture = (name: string) => path.join(repo, 'models', 'fixtures', name);

/** A teacher (copy of tiny-sd) and a student whose vae_decoder, text_encoder and tokenizer link to the teacher's. */
function family(): { root: string; teacher: string; student: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-inval-'));
  const teacher = path.join(root, 'teacher');
  const student = path.join(root, 'student');
  fs.cpSync(fixture('tiny-sd'), teacher, { recursive: true });
  fs.mkdirSync(student);
  for (const f of ['model_index.json', 'scheduler', 'unet'])
    fs.cpSync(path.join(teacher, f), path.join(student, f), { recursive: true });
  for (const f of ['vae_decoder', 'text_encoder', 'tokenizer'])
    fs.symlinkSync(path.join('..', 'teacher', f), path.join(student, f));
  return { root, teacher, student };
}

describe('cache invalidation', () => {
  test('editing the teacher VAE changes the fingerprint of a student that links to it', async () => {
    const { root, teacher, student } = family();
    try {
      const before = await modelFingerprint(student);
      fs.copyFileSync(
        path.join(fixture('tiny-turbo'), 'vae_decoder', 'model.onnx'),
        path.join(teacher, 'vae_decoder', 'model.onnx'),
      );
      assert.notEqual(await modelFingerprint(student), before);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('two students that differ only in their linked sub-folders get different fingerprints', async () => {
    const { root, student } = family();
    try {
      const other = path.join(root, 'other');
      fs.cpSync(student, other, { recursive: true, verbatimSymlinks: true });
      fs.rmSync(path.join(other, 'vae_decoder'));
      fs.symlinkSync(fixture('tiny-turbo') + '/vae_decoder', path.join(other, 'vae_decoder'));
      assert.notEqual(await modelFingerprint(other), await modelFingerprint(student));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('a session re-measures a student after the teacher VAE changes, and reports hits with when and where', async () => {
    const { root, teacher, student } = family();
    const cacheDir = path.join(root, 'cache');
    const lines: string[] = [];
    const open = () =>
      EvaluationSession.open({
        images: 3,
        device: 'cpu',
        cacheDir,
        force: false,
        log: (l) => lines.push(l),
        referenceMethod: {
          name: 'teacher DDIM 6',
          family: 'DDIM',
          dir: teacher,
          steps: 6,
          guidance: 1,
          scheduler: DDIM_TRAILING,
        },
      });
    const m: Method = { name: 'student 2', family: 'PD', dir: student, steps: 2, guidance: 0 };
    try {
      let s = await open();
      const first = await s.evaluate(m);
      assert.equal(first.provenance.quality?.source, 'measured now');
      const second = await s.evaluate(m);
      assert.equal(second.provenance.quality?.source, 'cache hit');
      assert.deepEqual(second.quality, first.quality);
      assert.ok(
        lines.some((l) =>
          /student 2 PSNR\/SSIM vs teacher DDIM 6 \(3 pairs\): cache hit, measured \d{4}-\d\d-\d\d \d\d:\d\d UTC on \d+ x .+, provider cpu/.test(
            l,
          ),
        ),
        lines.join('\n'),
      );
      await s.close();
      fs.copyFileSync(
        path.join(fixture('tiny-turbo'), 'vae_decoder', 'model.onnx'),
        path.join(teacher, 'vae_decoder', 'model.onnx'),
      );
      s = await open();
      const third = await s.evaluate(m);
      await s.close();
      assert.equal(
        third.provenance.quality?.source,
        'measured now',
        'the edited teacher VAE must invalidate the student result',
      );
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('an edited cached value (negative FD, NaN, wrong shape) is warned about and recomputed', async () => {
    const { root, teacher } = family();
    const cacheDir = path.join(root, 'cache');
    const warnings: string[] = [];
    const origError = console.error;
    console.error = (...a: unknown[]) => warnings.push(a.join(' '));
    try {
      const s = await EvaluationSession.open({
        images: 3,
        device: 'cpu',
        cacheDir,
        log: () => {},
        referenceMethod: {
          name: 'teacher DDIM 6',
          family: 'DDIM',
          dir: teacher,
          steps: 6,
          guidance: 1,
          scheduler: DDIM_TRAILING,
        },
      });
      const m: Method = {
        name: 'teacher DDIM 2',
        family: 'DDIM',
        dir: teacher,
        steps: 2,
        guidance: 1,
        scheduler: DDIM_TRAILING,
      };
      const first = await s.evaluate(m);
      const file = first.provenance.quality!.file!;
      // [what, edit, rewrite the checksum too (a value that is wrong but consistently stored)]
      const edits: [string, (v: Record<string, unknown>) => void, boolean][] = [
        ['a plausible hand edit', (v) => ((v.psnrDb as { value: number }).value += 1), false],
        ['negative PSNR', (v) => ((v.psnrDb as { value: number }).value = -3), true],
        ['NaN written as null', (v) => ((v.ssim as { low: unknown }).low = null), true],
        ['wrong shape', (v) => (v.psnrDb = [1, 2, 3]), true],
        ['interval upside down', (v) => Object.assign(v.psnrDb as object, { low: 50, high: 10 }), true],
      ];
      for (const [what, edit, rehash] of edits) {
        const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as {
          value: Record<string, unknown>;
          valueSha256: string;
        };
        edit(stored.value);
        if (rehash) stored.valueSha256 = createHash('sha256').update(canonicalJson(stored.value)).digest('hex');
        fs.writeFileSync(file, JSON.stringify(stored));
        warnings.length = 0;
        const again = await s.evaluate(m);
        assert.equal(again.provenance.quality?.source, 'measured now', what);
        assert.deepEqual(again.quality, first.quality, `${what}: recomputed to the same numbers`);
        assert.ok(
          warnings.some(
            (w) => w.startsWith('fewstep warning:') && /invalid value|changed after it was measured/.test(w),
          ),
          `${what}: warned (${warnings.join(' | ')})`,
        );
      }
      await s.close();
    } finally {
      console.error = origError;
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('switching the execution provider string gives another key: the other provider result is not re-used', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-inval-'));
    try {
      const m: Method = { name: 'tiny 2', family: 'DDIM', dir: fixture('tiny-sd'), steps: 2, guidance: 1 };
      const cpuKey = await measurementKey('time', [m], machineIdentity('cpu'));
      const cudaKey = await measurementKey('time', [m], machineIdentity('cuda'));
      assert.notDeepEqual(cpuKey, cudaKey);
      let calls = 0;
      const compute = () => [{ medianMs: ++calls, q1Ms: calls, q3Ms: calls, iqrMs: 0, n: 1 }];
      assert.equal((await cachedWithOutcome(cpuKey, compute, { dir: root })).outcome, 'miss');
      assert.equal((await cachedWithOutcome(cpuKey, compute, { dir: root })).outcome, 'hit');
      const other = await cachedWithOutcome(cudaKey, compute, { dir: root });
      assert.equal(other.outcome, 'miss');
      assert.equal(calls, 2);
      // the machine (CPU model, cores) is part of the key too
      const otherCpu = await measurementKey('time', [m], { ...machineIdentity('cpu'), cpu: 'another CPU' });
      assert.equal((await cachedWithOutcome(otherCpu, compute, { dir: root })).outcome, 'miss');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
