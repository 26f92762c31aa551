/**
 * Content fingerprints of model folders for cache keys. Symbolic links are followed: a student
 * folder whose `vae_decoder` links to the teacher's is hashed with the teacher's VAE bytes, so
 * editing the teacher's VAE changes every student's fingerprint too.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from '../core/errors.js';

/**
 * Top-level documentation of a model folder: the model card and its sample grid. No pipeline reads
 * them, so they stay out of the fingerprint (regenerating a card keeps the cached results).
 */
export function isModelDoc(name: string): boolean {
  return /\.md$/i.test(name) || name === 'samples.png';
}

/** Files above this size enter a fingerprint by size and modification time instead of content. */
const HASH_CONTENT_LIMIT = 64 * 1024 * 1024;

/**
 * A fingerprint of a model folder (or one file): sha256 over every file's relative path, size and
 * content (files over 64 MiB: size and modification time, to stay fast on real Stable Diffusion
 * exports). Symbolic links to files and folders are followed and hashed by what they point to (a
 * link cycle is entered once). Hidden files and the folder's top-level documentation (README.md, other
 * *.md, samples.png; see isModelDoc) are skipped. Changes when any file the pipeline reads changes.
 */
export async function modelFingerprint(dirOrFile: string): Promise<string> {
  const root = path.resolve(dirOrFile);
  let stat;
  try {
    stat = await fsp.stat(root);
  } catch {
    throw new InvalidArgumentError('dirOrFile', dirOrFile, 'expected an existing model folder or file');
  }
  const files: { rel: string; abs: string }[] = [];
  const visiting = new Set<string>();
  const walk = async (dir: string, rel: string): Promise<void> => {
    const real = await fsp.realpath(dir);
    if (visiting.has(real)) return;
    visiting.add(real);
    const names = (await fsp.readdir(dir))
      .filter((n) => !n.startsWith('.') && !(rel === '' && isModelDoc(n)))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const name of names) {
      const p = path.join(dir, name);
      const r = rel === '' ? name : `${rel}/${name}`;
      let s;
      try {
        s = await fsp.stat(p); // follows symbolic links
      } catch {
        files.push({ rel: `${r} (dangling link)`, abs: '' });
        continue;
      }
      if (s.isDirectory()) await walk(p, r);
      else if (s.isFile()) files.push({ rel: r, abs: p });
    }
    visiting.delete(real);
  };
  if (stat.isDirectory()) await walk(root, '');
  else files.push({ rel: path.basename(root), abs: root });
  const h = createHash('sha256');
  for (const f of files) {
    if (f.abs === '') {
      h.update(`${f.rel}\0`);
      continue;
    }
    const s = await fsp.stat(f.abs);
    h.update(`${f.rel}\0${s.size}\0`);
    if (s.size <= HASH_CONTENT_LIMIT) h.update(await fsp.readFile(f.abs));
    else h.update(`mtime:${Math.round(s.mtimeMs)}`);
    h.update('\0');
  }
  return `sha256:${h.digest('hex')}`;
}
