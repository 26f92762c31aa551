/**
 * The measurement cache: a value computed once per key and re-used, stored as one JSON file per key
 * (written atomically), validated on every read. Keys of measurements are built by one function,
 * `measurementKey` (./key.ts); this file only stores and checks.
 */
import { packageRoot } from '../core/packageRoot.js';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomicFile.js';
import { warnEverywhere } from './warn.js';

/** Version of the cache file layout; part of every hash, so a new layout never reads an old file. */
const CACHE_FORMAT = 2;

/**
 * `value` as canonical JSON: object keys sorted, no whitespace, so equal data always gives the same
 * text. Accepts JSON data only (plain objects, arrays, strings, finite numbers, booleans, null;
 * object properties that are undefined are left out, as JSON.stringify does). Anything else throws
 * InvalidArgumentError naming where it sits (`field` is the name of the root, e.g. "key").
 */
export function canonicalJson(value: unknown, field = 'value'): string {
  const walk = (v: unknown, at: string): string => {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'number') {
      if (!Number.isFinite(v))
        throw new InvalidArgumentError(at, v, 'expected a finite number (JSON cannot hold NaN or Infinity)');
      return JSON.stringify(v);
    }
    if (Array.isArray(v)) {
      return (
        '[' +
        v
          .map((x, i) => {
            if (x === undefined) throw new InvalidArgumentError(`${at}[${i}]`, x, 'expected JSON data, not undefined');
            return walk(x, `${at}[${i}]`);
          })
          .join(',') +
        ']'
      );
    }
    if (typeof v === 'object') {
      if (ArrayBuffer.isView(v))
        throw new InvalidArgumentError(
          at,
          `<${v.constructor.name}>`,
          'expected JSON data: convert typed arrays with Array.from',
        );
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        throw new InvalidArgumentError(
          at,
          `<${(v as object).constructor?.name ?? 'object'}>`,
          'expected a plain object (Date: use toISOString(); Map: use Object.fromEntries)',
        );
      }
      const rec = v as Record<string, unknown>;
      const keys = Object.keys(rec)
        .filter((k) => rec[k] !== undefined)
        .sort();
      return '{' + keys.map((k) => `${JSON.stringify(k)}:${walk(rec[k], `${at}.${k}`)}`).join(',') + '}';
    }
    throw new InvalidArgumentError(
      at,
      typeof v === 'function' ? '<function>' : v,
      'expected JSON data (object, array, string, finite number, boolean, null)',
    );
  };
  return walk(value, field);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The hash a cache key is stored under: sha256 of the canonical JSON of the key and the cache format, in hex. */
export function cacheKeyHash(key: object): string {
  if (key === null || typeof key !== 'object')
    throw new InvalidArgumentError(
      'key',
      key,
      'expected an object describing the measurement (model fingerprint and settings)',
    );
  return createHash('sha256')
    .update(`fewstep-cache-v${CACHE_FORMAT}\n${canonicalJson(key, 'key')}`)
    .digest('hex');
}

/** Where cached measurements live by default: $FEWSTEP_CACHE_DIR, else `out/cache` in the project root (whatever the working directory). */
export function defaultCacheDir(): string {
  const env = process.env.FEWSTEP_CACHE_DIR;
  if (env !== undefined && env.trim() !== '') return path.resolve(env);
  return path.join(packageRoot(), 'out', 'cache');
}

/** Options of `cached`. */
export interface CachedOptions {
  /** Folder of the cache files (default: defaultCacheDir()). */
  dir?: string;
  /** Recompute and overwrite even if a cached value exists (default: environment FEWSTEP_FORCE=1). */
  force?: boolean;
  /** A readable prefix of the file name, e.g. "bench-steps" (letters, digits, "-", "_"). */
  name?: string;
  /**
   * Where to report a corrupted, mismatched or invalid cache file that was recomputed (default:
   * `warnEverywhere`: the notebook's output and the terminal of the process running the notebook).
   */
  log?: (line: string) => void;
  /**
   * Checks a stored value before it is re-used: returns the problems found (empty: valid). A value
   * with problems is reported with `log` and recomputed, never returned.
   */
  validate?: (value: unknown) => readonly string[];
}

/**
 * What happened: a valid file was re-used, there was none, it was forced, the file was bad and
 * recomputed ('corrupt'), or its value failed `validate` and was recomputed ('invalid').
 */
export type CacheOutcome = 'hit' | 'miss' | 'forced' | 'corrupt' | 'invalid';

/** A cached value and how it was obtained. */
export interface CachedValue<T> {
  value: T;
  outcome: CacheOutcome;
  /** The cache file. */
  file: string;
  /** Hex sha256 of the key. */
  hash: string;
  /** How long the computation took when it ran (now, or when the file was written). */
  computeMs: number;
  /** When the value was computed (ISO 8601). */
  createdAt: string;
  /** For 'corrupt' and 'invalid': what was wrong with the file. */
  problem?: string;
}

/** The JSON stored per key. */
interface CacheFile {
  fewstepCache: number;
  hash: string;
  key: unknown;
  createdAt: string;
  computeMs: number;
  /** sha256 of the canonical JSON of `value`: a value edited by hand no longer matches it. */
  valueSha256: string;
  value: unknown;
}

type ReadResult = { ok: true; file: CacheFile } | { ok: false; missing: boolean; problem: string };

async function readCacheFile(file: string, hash: string, keyJson: string): Promise<ReadResult> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, missing: code === 'ENOENT', problem: `cannot be read (${code ?? (e as Error).message})` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { ok: false, missing: false, problem: `is not valid JSON (${(e as Error).message})` };
  }
  const f = parsed as Partial<CacheFile> | null;
  if (f === null || typeof f !== 'object' || f.fewstepCache !== CACHE_FORMAT || !('value' in f)) {
    return { ok: false, missing: false, problem: `is not a fewstep cache file of format ${CACHE_FORMAT}` };
  }
  let storedKey: string;
  try {
    storedKey = canonicalJson(f.key, 'key');
  } catch {
    storedKey = '';
  }
  if (f.hash !== hash || storedKey !== keyJson)
    return { ok: false, missing: false, problem: 'holds a different key than its name says' };
  let valueJson: string;
  try {
    valueJson = canonicalJson(f.value, 'value');
  } catch (e) {
    return { ok: false, missing: false, problem: `holds a value that is not JSON data (${(e as Error).message})` };
  }
  if (f.valueSha256 !== sha256(valueJson))
    return {
      ok: false,
      missing: false,
      problem: 'holds a value that was changed after it was measured (checksum mismatch)',
    };
  return { ok: true, file: f as CacheFile };
}

/**
 * Like `cached`, but also says whether the value came from the cache ('hit'), was computed because
 * there was no file ('miss'), because `force` was set ('forced'), or because the file was
 * unreadable, not JSON or held another key ('corrupt', reported with `log` and overwritten).
 */
export async function cachedWithOutcome<T>(
  key: object,
  compute: () => T | Promise<T>,
  options: CachedOptions = {},
): Promise<CachedValue<T>> {
  if (typeof compute !== 'function')
    throw new InvalidArgumentError('compute', compute, 'expected a function computing the value');
  const name = options.name ?? 'm';
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(name)) {
    throw new InvalidArgumentError(
      'name',
      name,
      'expected 1-64 letters, digits, "-" or "_", starting with a letter or digit',
    );
  }
  const hash = cacheKeyHash(key);
  const keyJson = canonicalJson(key, 'key');
  const dir = path.resolve(options.dir ?? defaultCacheDir());
  const file = path.join(dir, `${name}-${hash.slice(0, 32)}.json`);
  const force = options.force ?? process.env.FEWSTEP_FORCE === '1';
  const log = options.log ?? warnEverywhere;

  let outcome: CacheOutcome = force ? 'forced' : 'miss';
  let problem: string | undefined;
  if (!force) {
    const read = await readCacheFile(file, hash, keyJson);
    const problems = read.ok && options.validate ? options.validate(read.file.value) : [];
    if (read.ok && problems.length === 0) {
      return {
        value: read.file.value as T,
        outcome: 'hit',
        file,
        hash,
        computeMs: read.file.computeMs,
        createdAt: read.file.createdAt,
      };
    }
    if (read.ok) {
      outcome = 'invalid';
      problem = `cache file ${file} holds an invalid value (${problems.slice(0, 3).join('; ')})`;
      log(`fewstep warning: ${problem}; recomputing it`);
    } else if (!read.missing) {
      outcome = 'corrupt';
      problem = `cache file ${file} ${read.problem}`;
      log(`fewstep warning: ${problem}; recomputing it`);
    }
  }
  const t0 = performance.now();
  const value = await compute();
  const computeMs = performance.now() - t0;
  const valueJson = canonicalJson(value, 'value');
  const fresh = options.validate ? options.validate(JSON.parse(valueJson)) : [];
  if (fresh.length > 0) {
    throw new InvalidArgumentError(
      'value',
      fresh.slice(0, 3).join('; '),
      'a value that passes its own validation (nothing was cached)',
    );
  }
  const createdAt = new Date().toISOString();
  const text = `{"fewstepCache":${CACHE_FORMAT},"hash":${JSON.stringify(hash)},"key":${keyJson},"createdAt":${JSON.stringify(createdAt)},"computeMs":${JSON.stringify(Math.round(computeMs * 1000) / 1000)},"valueSha256":${JSON.stringify(sha256(valueJson))},"value":${valueJson}}\n`;
  await writeFileAtomic(file, text);
  return { value, outcome, file, hash, computeMs, createdAt, ...(problem === undefined ? {} : { problem }) };
}

/**
 * A measurement computed once and re-used: looks up `key` (an object naming the model - its id or
 * fingerprint - and every setting the result depends on) in the cache folder and returns the stored
 * value; otherwise runs `compute`, stores its result as JSON (atomically: temp file + rename, so
 * concurrent runs never see half a file) and returns it. FEWSTEP_FORCE=1 (or `force`) recomputes.
 * Keys and values must be JSON data. Example:
 *
 *   const timings = await cached({ what: 'steps-vs-time', model: fingerprint, steps: [1, 2, 4] }, () => measure());
 */
export async function cached<T>(key: object, compute: () => T | Promise<T>, options: CachedOptions = {}): Promise<T> {
  return (await cachedWithOutcome(key, compute, options)).value;
}
