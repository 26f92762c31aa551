import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MissingResourceError } from '../core/errors.js';
import { packageRoot } from '../core/packageRoot.js';
import { fuseLora, loadLora } from './lora.js';

/** Bumped when the fused folder's content would change for the same inputs (fusing rule, layout). */
export const LORA_FUSE_VERSION = 1;

/** The file inside a fused folder that records its key and fuse report; written before the folder is published. */
export const FUSED_STAMP = 'fused.json';

/** A fused teacher + LCM-LoRA model folder. */
export interface FusedLoraFolder {
  /** The folder to load (a complete model folder; never half-written). */
  dir: string;
  /** sha256 over the fuse version, the teacher's copied files and UNet, the LoRA file and its scheduler config. */
  key: string;
  /** Adapted layers found in the UNet, and LoRA layers that matched nothing. */
  matched: number;
  unmatched: number;
  /** True when a folder with the same key existed and was used as it was. */
  reused: boolean;
}

/** The teacher parts copied into the fused folder (the UNet is fused, not copied). */
const COPIED_PARTS = ['tokenizer', 'text_encoder', 'vae_decoder'];

function inputFiles(teacherDir: string, loraFile: string): { name: string; file: string }[] {
  const out: { name: string; file: string }[] = [];
  const walk = (dir: string, name: string): void => {
    for (const entry of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = path.join(dir, entry.name);
      const n = `${name}/${entry.name}`;
      if (entry.isDirectory()) walk(p, n);
      else out.push({ name: n, file: p });
    }
  };
  for (const part of COPIED_PARTS) walk(path.join(teacherDir, part), `teacher/${part}`);
  out.push({ name: 'teacher/model_index.json', file: path.join(teacherDir, 'model_index.json') });
  out.push({ name: 'teacher/unet/model.onnx', file: path.join(teacherDir, 'unet', 'model.onnx') });
  out.push({ name: 'teacher/unet/config.json', file: path.join(teacherDir, 'unet', 'config.json') });
  out.push({ name: 'lora', file: loraFile });
  out.push({ name: 'lora/scheduler_config.json', file: path.join(path.dirname(loraFile), 'scheduler_config.json') });
  return out;
}

function checkInputs(teacherDir: string, loraFile: string): void {
  const needed = [
    path.join(teacherDir, 'unet', 'model.onnx'),
    path.join(teacherDir, 'model_index.json'),
    loraFile,
    path.join(path.dirname(loraFile), 'scheduler_config.json'),
  ];
  for (const part of COPIED_PARTS) needed.push(path.join(teacherDir, part));
  for (const f of needed) {
    if (!fs.existsSync(f)) throw new MissingResourceError(f, `fusing an LCM-LoRA into ${teacherDir} needs ${f}`);
  }
}

/**
 * The content key of teacher + LoRA: sha256 over LORA_FUSE_VERSION and the bytes (with names) of
 * every file the fused folder is made from. Same inputs, same key; any changed byte, a new key.
 */
export function lcmLoraFolderKey(teacherDir: string, loraFile: string): string {
  checkInputs(teacherDir, loraFile);
  const h = createHash('sha256');
  h.update(`fewstep lcm-lora fuse v${LORA_FUSE_VERSION}\0`);
  for (const { name, file } of inputFiles(teacherDir, loraFile)) {
    const bytes = fs.readFileSync(file);
    h.update(`${name}\0${bytes.length}\0`);
    h.update(bytes);
  }
  return h.digest('hex');
}

/** The stamp of a published folder, if it is complete and has `key`. */
function readStamp(dir: string, key: string): { matched: number; unmatched: number } | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(path.join(dir, FUSED_STAMP), 'utf8')) as {
      key?: unknown;
      matched?: unknown;
      unmatched?: unknown;
    };
    if (s.key !== key || typeof s.matched !== 'number' || typeof s.unmatched !== 'number') return undefined;
    if (!fs.existsSync(path.join(dir, 'unet', 'model.onnx'))) return undefined;
    return { matched: s.matched, unmatched: s.unmatched };
  } catch {
    return undefined;
  }
}

/** A unique sibling name for temporary and retired folders (same file system, so rename is atomic). */
function siblingName(target: string, what: string): string {
  return path.join(
    path.dirname(target),
    `.${path.basename(target)}.${what}.${process.pid}.${randomBytes(6).toString('hex')}`,
  );
}

/** Writes the fused folder into `tmp` (which must not exist), stamp last. */
function buildInto(
  tmp: string,
  teacherDir: string,
  loraFile: string,
  key: string,
): { matched: number; unmatched: number } {
  fs.mkdirSync(tmp, { recursive: false, mode: 0o755 });
  for (const part of COPIED_PARTS)
    fs.cpSync(path.join(teacherDir, part), path.join(tmp, part), { recursive: true, dereference: true });
  fs.mkdirSync(path.join(tmp, 'unet'));
  fs.mkdirSync(path.join(tmp, 'scheduler'));
  const { bytes, report } = fuseLora(fs.readFileSync(path.join(teacherDir, 'unet', 'model.onnx')), loadLora(loraFile));
  fs.writeFileSync(path.join(tmp, 'unet', 'model.onnx'), bytes);
  fs.copyFileSync(path.join(teacherDir, 'unet', 'config.json'), path.join(tmp, 'unet', 'config.json'));
  fs.copyFileSync(
    path.join(path.dirname(loraFile), 'scheduler_config.json'),
    path.join(tmp, 'scheduler', 'scheduler_config.json'),
  );
  const index = JSON.parse(fs.readFileSync(path.join(teacherDir, 'model_index.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  index.scheduler = ['diffusers', 'LCMScheduler'];
  fs.writeFileSync(path.join(tmp, 'model_index.json'), JSON.stringify(index, null, 2));
  const counts = { matched: report.matched.length, unmatched: report.unmatched.length };
  fs.writeFileSync(
    path.join(tmp, FUSED_STAMP),
    JSON.stringify({ key, ...counts, version: LORA_FUSE_VERSION }, null, 2),
  );
  return counts;
}

/**
 * Makes `dir` hold the fused folder of `key`: reuses a complete folder with that key, else builds a
 * new one under a unique temporary name and renames it into place. When another process published
 * the same key first, its folder is used and ours is discarded; a folder with another key or no
 * stamp (a leftover) is renamed away and removed. Safe for any number of concurrent callers.
 */
function publishKeyed(dir: string, teacherDir: string, loraFile: string, key: string): FusedLoraFolder {
  const existing = readStamp(dir, key);
  if (existing) return { dir, key, ...existing, reused: true };
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = siblingName(dir, 'building');
  try {
    const counts = buildInto(tmp, teacherDir, loraFile, key);
    for (let attempt = 0; ; attempt++) {
      try {
        fs.renameSync(tmp, dir);
        return { dir, key, ...counts, reused: false };
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EISDIR' && code !== 'ENOTDIR') throw e;
        const theirs = readStamp(dir, key);
        if (theirs) return { dir, key, ...theirs, reused: true };
        if (attempt >= 5) throw e;
        // Not ours and not complete: retire it (rename is atomic; whoever wins, the loser gets ENOENT).
        const retired = siblingName(dir, 'retired');
        try {
          fs.renameSync(dir, retired);
          fs.rmSync(retired, { recursive: true, force: true });
        } catch (r) {
          if ((r as NodeJS.ErrnoException).code !== 'ENOENT') throw r;
        }
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The teacher + LCM-LoRA model folder, keyed by content: `<parentDir>/lcm-lora-fused-<key prefix>`
 * (default parent: `out/` under the package root). An existing folder with the same key is reused;
 * a different teacher or LoRA gets a different folder; concurrent callers never see a half-written
 * folder. Contents: tokenizer, text encoder and VAE decoder copied from the teacher, the LoRA fused
 * into the teacher's UNet (W <- W + alpha/r B A), and the LCMScheduler config beside the LoRA file.
 * Load it with loadPipeline (LCMScheduler; guidance 1, as the LoRA was distilled for).
 */
export function fusedLcmLoraFolder(
  teacherDir: string,
  loraFile: string,
  parentDir = path.join(packageRoot(), 'out'),
): FusedLoraFolder {
  const key = lcmLoraFolderKey(teacherDir, loraFile);
  return publishKeyed(path.join(parentDir, `lcm-lora-fused-${key.slice(0, 16)}`), teacherDir, loraFile, key);
}

/**
 * Makes `outDir` a loadable teacher + LCM-LoRA model folder (kept for existing callers; prefer
 * `fusedLcmLoraFolder`). The content lives in the keyed sibling `<outDir>-<key prefix>`, and `outDir`
 * is a symbolic link to it, switched atomically (rename of a new link over the old one), so
 * concurrent callers and readers always see one complete folder. A real folder left at `outDir` by
 * an earlier version is replaced. Returns the fused folder (`dir` = `outDir`).
 */
export function fuseLcmLoraFolder(teacherDir: string, loraFile: string, outDir: string): FusedLoraFolder {
  const key = lcmLoraFolderKey(teacherDir, loraFile);
  const target = path.resolve(`${outDir}-${key.slice(0, 16)}`);
  const fused = publishKeyed(target, teacherDir, loraFile, key);
  const link = path.resolve(outDir);
  if (
    readStamp(link, key) &&
    fs.lstatSync(link).isSymbolicLink() &&
    path.resolve(path.dirname(link), fs.readlinkSync(link)) === target
  ) {
    return { ...fused, dir: outDir };
  }
  const tmpLink = siblingName(link, 'link');
  const windows = process.platform === 'win32';
  fs.symlinkSync(windows ? target : path.basename(target), tmpLink, windows ? 'junction' : 'dir');
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.renameSync(tmpLink, link);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if ((code !== 'EISDIR' && code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR') || attempt >= 5)
          throw e;
        // A real folder (earlier versions wrote one here): retire it, then place the link.
        const retired = siblingName(link, 'retired');
        try {
          fs.renameSync(link, retired);
          fs.rmSync(retired, { recursive: true, force: true });
        } catch (r) {
          if ((r as NodeJS.ErrnoException).code !== 'ENOENT') throw r;
        }
      }
    }
  } finally {
    fs.rmSync(tmpLink, { force: true });
  }
  return { ...fused, dir: outDir };
}
