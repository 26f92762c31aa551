/**
 * A model's content fingerprint covers every file the pipeline reads (symbolic links followed) and
 * nothing else of the folder's top level documentation: regenerating a model card or its sample grid
 * keeps the cached results, editing the VAE (even through a link) does not.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isModelDoc, modelFingerprint } from '../../src/evaluation/fingerprint.js';

const repo = path.resolve(__dirname, '..', '..', '..');
const fixture = (name: string) => path.join(repo, 'models', 'fixtures', name);

/** A teacher (copy of tiny-sd, with a README and samples.png) and a student whose vae_decoder links to it. */
function family(): { root: string; teacher: string; student: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fewstep-fp-'));
  const teacher = path.join(root, 'teacher');
  const student = path.join(root, 'student');
  fs.cpSync(fixture('tiny-sd'), teacher, { recursive: true });
  fs.mkdirSync(student);
  for (const f of ['model_index.json', 'scheduler', 'unet', 'text_encoder', 'tokenizer'])
    fs.cpSync(path.join(teacher, f), path.join(student, f), { recursive: true });
  fs.symlinkSync(path.join('..', 'teacher', 'vae_decoder'), path.join(student, 'vae_decoder'));
  for (const dir of [teacher, student]) {
    fs.writeFileSync(path.join(dir, 'README.md'), '# card\n');
    fs.writeFileSync(path.join(dir, 'samples.png'), Buffer.from([1, 2, 3]));
  }
  return { root, teacher, student };
}

describe('model fingerprints', () => {
  test('editing README.md, another top-level .md or samples.png keeps the fingerprint', async () => {
    const { root, teacher, student } = family();
    try {
      const t = await modelFingerprint(teacher);
      const s = await modelFingerprint(student);
      fs.writeFileSync(path.join(teacher, 'README.md'), '# a regenerated card with new numbers\n');
      fs.writeFileSync(path.join(student, 'README.md'), '# another\n');
      fs.writeFileSync(path.join(student, 'NOTES.md'), 'new file\n');
      fs.writeFileSync(path.join(teacher, 'samples.png'), Buffer.from([9, 9]));
      assert.equal(await modelFingerprint(teacher), t);
      assert.equal(await modelFingerprint(student), s);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('editing the VAE changes the fingerprint of the teacher and of the student that links to it', async () => {
    const { root, teacher, student } = family();
    try {
      const t = await modelFingerprint(teacher);
      const s = await modelFingerprint(student);
      const vae = path.join(teacher, 'vae_decoder', 'model.onnx');
      const bytes = fs.readFileSync(vae);
      bytes[bytes.length - 1] ^= 1;
      fs.writeFileSync(vae, bytes);
      assert.notEqual(await modelFingerprint(teacher), t);
      assert.notEqual(await modelFingerprint(student), s);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('files the pipeline reads stay in: model_index.json, configs, a README inside a sub-folder', async () => {
    const { root, teacher } = family();
    try {
      const t = await modelFingerprint(teacher);
      fs.appendFileSync(path.join(teacher, 'model_index.json'), ' ');
      const t2 = await modelFingerprint(teacher);
      assert.notEqual(t2, t);
      fs.writeFileSync(path.join(teacher, 'unet', 'README.md'), 'inside unet/\n');
      assert.notEqual(await modelFingerprint(teacher), t2, 'only the top level documentation is skipped');
      assert.equal(isModelDoc('README.md'), true);
      assert.equal(isModelDoc('samples.png'), true);
      assert.equal(isModelDoc('model_index.json'), false);
      assert.equal(isModelDoc('lora.safetensors'), false);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
