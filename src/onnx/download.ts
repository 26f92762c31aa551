/**
 * Model download from a Hugging Face-compatible hub (`HF_ENDPOINT`, default https://huggingface.co).
 *
 * How the hub describes files (what this code relies on):
 * - `GET {endpoint}/api/models/{repo}/revision/{rev}?blobs=true` -> JSON `{ sha, siblings: [{ rfilename,
 *   size, blobId, lfs?: { sha256, size } }] }`. `sha` is the commit; `blobId` is the git blob id
 *   (sha1 of "blob <size>\0" + content) and, for files kept in LFS, `lfs.sha256` is the sha256 of the
 *   content and `lfs.size` its size. An unknown repo answers 401/404 with `X-Error-Code: RepoNotFound`,
 *   an unknown revision 404 with `X-Error-Code: RevisionNotFound`.
 * - `GET {endpoint}/{repo}/resolve/{rev}/{path}` -> the content, for LFS files through a redirect
 *   whose first response carries `X-Linked-Etag` (the quoted sha256) and `X-Linked-Size`. These headers
 *   fill in what the listing did not give. Range requests (`Range: bytes=N-`) answer 206.
 *
 * Files are written to `<dest>.partial` and renamed into place only when whole and verified (size,
 * then sha256 for LFS files or the git blob id for small files). An interrupted download resumes from
 * the `.partial` file; a file that fails verification is deleted and `DownloadIntegrityError` names
 * it with the expected and actual hash. No half-written final file is ever left.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { FewstepError, InvalidArgumentError, MissingResourceError } from '../core/errors.js';

/** A downloaded file failed its size or hash check (it was deleted). */
export class DownloadIntegrityError extends FewstepError {
  readonly file: string;
  readonly expected: string;
  readonly actual: string;
  constructor(file: string, what: string, expected: string, actual: string) {
    super(
      'E_DOWNLOAD_INTEGRITY',
      `${file}: ${what} mismatch, expected ${expected}, got ${actual}; the download was deleted, run the command again`,
    );
    this.file = file;
    this.expected = expected;
    this.actual = actual;
  }
}

/** The hub or the network failed in a way a retry may fix. */
export class DownloadError extends FewstepError {
  readonly url: string;
  constructor(url: string, message: string) {
    super('E_DOWNLOAD', `${url}: ${message}`);
    this.url = url;
  }
}

/** One file of a repo revision, as the hub lists it. */
export interface HubFile {
  path: string;
  size: number | undefined;
  sha256: string | undefined;
  /** git blob id (sha1), checked when there is no sha256. */
  gitOid: string | undefined;
}

/** Where and how to reach the hub. */
export interface HubOptions {
  /** default process.env.HF_ENDPOINT or https://huggingface.co */
  endpoint?: string;
  /** default 'main' */
  revision?: string;
  /** bearer token; default process.env.HF_TOKEN */
  token?: string;
  /** per-request inactivity timeout, ms (default 30 000) */
  timeoutMs?: number;
}

/** The hub used when neither the endpoint option nor HF_ENDPOINT names one. */
export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

/**
 * The hub's base URL: the endpoint option, else HF_ENDPOINT (empty counts as unset), else the default.
 * InvalidArgumentError names the option or the variable when it is not an http(s) URL.
 */
export function endpointOf(o: HubOptions): string {
  const env = process.env.HF_ENDPOINT;
  const field = o.endpoint !== undefined ? 'endpoint' : env ? 'HF_ENDPOINT' : 'endpoint';
  const raw = o.endpoint ?? (env || DEFAULT_HUB_ENDPOINT);
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    const where = field === 'HF_ENDPOINT' ? ' (the environment variable; unset it for the default hub)' : '';
    throw new InvalidArgumentError(
      field,
      raw,
      `an http:// or https:// URL of a Hugging Face-compatible hub, such as ${DEFAULT_HUB_ENDPOINT} or http://127.0.0.1:8080${where}`,
    );
  }
  return raw.replace(/\/+$/, '');
}

const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/;

function requireRepoId(repo: string): string {
  if (typeof repo !== 'string' || !REPO_ID.test(repo) || repo.includes('..')) {
    throw new InvalidArgumentError('repo', repo, 'a hub repo id such as "owner/name"');
  }
  return repo;
}

function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
  /** headers of the first response when redirects were followed */
  firstHeaders: http.IncomingHttpHeaders;
}

function request(
  url: string,
  options: HubOptions,
  headers: Record<string, string> = {},
  redirects = 5,
  firstHeaders?: http.IncomingHttpHeaders,
): Promise<Response> {
  const token = options.token ?? process.env.HF_TOKEN;
  const h: Record<string, string> = { 'user-agent': 'fewstep-fetch-model', ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  const lib = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.get(url, { headers: h }, (res) => {
      const status = res.statusCode ?? 0;
      const first = firstHeaders ?? res.headers;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirects <= 0) return reject(new DownloadError(url, 'too many redirects'));
        const next = new URL(res.headers.location, url).toString();
        // the token is not sent to another host (LFS storage)
        const sameHost = new URL(next).host === new URL(url).host;
        resolve(request(next, sameHost ? options : { ...options, token: '' }, headers, redirects - 1, first));
        return;
      }
      resolve({ status, headers: res.headers, body: res, firstHeaders: first });
    });
    req.setTimeout(options.timeoutMs ?? 30_000, () =>
      req.destroy(new DownloadError(url, `no response for ${options.timeoutMs ?? 30_000} ms`)),
    );
    req.on('error', (e) => reject(e instanceof FewstepError ? e : new DownloadError(url, e.message)));
  });
}

/** Largest file listing read (bytes): a hub listing is a few hundred KB even for repos with thousands of files. */
export const MAX_LISTING_BYTES = 16 * 1024 * 1024;

/** Largest error body read (bytes); only its start goes into messages. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * Reads a response body of at most `maxBytes`. Over it: `truncate` keeps the first maxBytes (error
 * bodies), `throw` stops reading and throws DownloadError (the listing), checking Content-Length first.
 */
async function readBody(
  res: Response,
  url: string,
  maxBytes = MAX_ERROR_BODY_BYTES,
  over: 'truncate' | 'throw' = 'truncate',
  what = 'the answer',
): Promise<string> {
  const tooBig = (n: string) =>
    new DownloadError(
      url,
      `${what} is ${n} bytes, more than the ${maxBytes}-byte limit; is the endpoint (HF_ENDPOINT) a Hugging Face-compatible hub?`,
    );
  const declared = Number(res.headers['content-length']);
  if (over === 'throw' && Number.isFinite(declared) && declared > maxBytes) {
    res.body.destroy();
    throw tooBig(String(declared));
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of res.body) {
    const chunk = c as Buffer;
    total += chunk.length;
    if (total > maxBytes) {
      res.body.destroy();
      if (over === 'throw') throw tooBig(`over ${maxBytes}`);
      chunks.push(chunk.subarray(0, chunk.length - (total - maxBytes)));
      break;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Lists the files of `repo` at a revision, with sizes and hashes where the hub gives them. */
export async function listHubFiles(
  repo: string,
  options: HubOptions = {},
): Promise<{ commit: string | undefined; files: HubFile[] }> {
  requireRepoId(repo);
  const revision = options.revision ?? 'main';
  const url = `${endpointOf(options)}/api/models/${repo}/revision/${encodeURIComponent(revision)}?blobs=true`;
  const res = await request(url, options);
  const body =
    res.status === 200
      ? await readBody(res, url, MAX_LISTING_BYTES, 'throw', `the file listing of ${repo}`)
      : await readBody(res, url);
  const code = String(res.headers['x-error-code'] ?? '');
  if (code === 'RevisionNotFound' || (res.status === 404 && /revision|rev id/i.test(body) && code !== 'RepoNotFound')) {
    throw new InvalidArgumentError(
      'revision',
      revision,
      `a branch, tag or commit of ${repo} (the hub at ${endpointOf(options)} answered ${res.status}: ${body.slice(0, 200)})`,
    );
  }
  if (res.status === 401 || res.status === 403 || res.status === 404) {
    throw new MissingResourceError(
      repo,
      `repository ${repo} was not found at ${endpointOf(options)} (HTTP ${res.status}${code ? ', ' + code : ''}); check the id, or set HF_TOKEN for a gated or private repo`,
    );
  }
  if (res.status !== 200) throw new DownloadError(url, `HTTP ${res.status}: ${body.slice(0, 200)}`);
  let info: {
    sha?: string;
    siblings?: { rfilename?: string; size?: number; blobId?: string; lfs?: { sha256?: string; size?: number } }[];
  };
  try {
    info = JSON.parse(body);
  } catch {
    throw new DownloadError(url, `the answer is not JSON: ${body.slice(0, 200)}`);
  }
  const files: HubFile[] = (info.siblings ?? []).map((s) => ({
    path: String(s.rfilename),
    size: s.lfs?.size ?? s.size,
    sha256: s.lfs?.sha256,
    gitOid: s.lfs ? undefined : s.blobId,
  }));
  for (const f of files) requireSafeRelativePath(f.path);
  return { commit: info.sha, files };
}

function requireSafeRelativePath(p: string): void {
  if (!p || path.isAbsolute(p) || p.split('/').some((s) => s === '..' || s === '')) {
    throw new InvalidArgumentError('file path', p, 'a relative path inside the repo, without ".."');
  }
}

function stripQuotes(s: string | string[] | undefined): string | undefined {
  if (s === undefined) return undefined;
  const v = Array.isArray(s) ? s[0] : s;
  return v.replace(/^W\//, '').replace(/^"|"$/g, '');
}

/** Options of `downloadHubFile`. */
export interface DownloadFileOptions extends HubOptions {
  /** attempts per file when the connection drops (each resumes from the .partial file); default 3 */
  attempts?: number;
  onProgress?: (received: number, total: number | undefined) => void;
  /** Where notes go (a file that could not be verified). */
  log?: (line: string) => void;
}

async function hashFile(file: string, algorithm: 'sha256' | 'sha1', prefix?: string): Promise<string> {
  const h = crypto.createHash(algorithm);
  if (prefix) h.update(prefix);
  for await (const c of fs.createReadStream(file)) h.update(c as Buffer);
  return h.digest('hex');
}

async function verify(file: string, partial: string, expected: HubFile): Promise<void> {
  const size = fs.statSync(partial).size;
  if (expected.size !== undefined && size !== expected.size) {
    fs.rmSync(partial, { force: true });
    throw new DownloadIntegrityError(file, 'size', `${expected.size} bytes`, `${size} bytes`);
  }
  if (expected.sha256) {
    const actual = await hashFile(partial, 'sha256');
    if (actual !== expected.sha256.toLowerCase()) {
      fs.rmSync(partial, { force: true });
      throw new DownloadIntegrityError(file, 'sha256', expected.sha256, actual);
    }
  } else if (expected.gitOid) {
    const actual = await hashFile(partial, 'sha1', `blob ${size}\0`);
    if (actual !== expected.gitOid.toLowerCase()) {
      fs.rmSync(partial, { force: true });
      throw new DownloadIntegrityError(file, 'git blob sha1', expected.gitOid, actual);
    }
  }
}

async function downloadOnce(
  url: string,
  partial: string,
  expected: HubFile,
  options: DownloadFileOptions,
): Promise<void> {
  let start = fs.existsSync(partial) ? fs.statSync(partial).size : 0;
  if (expected.size !== undefined && start > expected.size) {
    fs.rmSync(partial);
    start = 0;
  }
  if (expected.size !== undefined && start === expected.size && start > 0) return;
  const res = await request(url, options, start > 0 ? { range: `bytes=${start}-` } : {});
  // the first (hub) response tells the LFS hash and size when the listing did not
  expected.sha256 ??= res.firstHeaders['x-linked-etag'] ? stripQuotes(res.firstHeaders['x-linked-etag']) : undefined;
  const linkedSize = res.firstHeaders['x-linked-size'];
  if (expected.size === undefined && linkedSize) expected.size = Number(linkedSize);
  if (res.status === 416) {
    res.body.resume();
    fs.rmSync(partial, { force: true });
    throw new DownloadError(url, 'the server refused the resume range; the partial file was discarded');
  }
  if (res.status === 404) {
    res.body.resume();
    throw new MissingResourceError(url, `${url} was not found (HTTP 404)`);
  }
  if (res.status !== 200 && res.status !== 206) {
    const body = await readBody(res, url);
    throw new DownloadError(url, `HTTP ${res.status}: ${body.slice(0, 200)}`);
  }
  // the size the server states (Content-Range of a resume, else Content-Length) fills in what the listing did not give
  const contentRange = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''));
  if (res.status === 206 && (!contentRange || Number(contentRange[1]) !== start)) {
    res.body.resume();
    fs.rmSync(partial, { force: true });
    throw new DownloadError(
      url,
      `the resume from byte ${start} was answered with Content-Range ${JSON.stringify(res.headers['content-range'] ?? null)}; the partial file was discarded`,
    );
  }
  const contentLength = Number(res.headers['content-length'] ?? NaN);
  const stated = contentRange
    ? Number(contentRange[3])
    : res.status === 200 && Number.isSafeInteger(contentLength)
      ? contentLength
      : undefined;
  if (expected.size === undefined && stated !== undefined) expected.size = stated;
  const append = res.status === 206 && start > 0;
  const total = expected.size;
  let received = append ? start : 0;
  const out = fs.createWriteStream(partial, { flags: append ? 'a' : 'w' });
  // Every byte received is written before the error is reported (a plain pipeline would destroy the file
  // stream with writes still queued, and the next attempt would resume from fewer bytes than arrived).
  const failure = await new Promise<Error | undefined>((resolve) => {
    let failed: Error | undefined;
    let ended = false;
    const finish = (e?: Error) => {
      failed ??= e;
      if (ended) return;
      ended = true;
      out.end();
    };
    res.body.on('data', (chunk: Buffer) => {
      received += chunk.length;
      options.onProgress?.(received, total);
      if (!out.write(chunk)) {
        res.body.pause();
        out.once('drain', () => res.body.resume());
      }
    });
    res.body.on('end', () => finish());
    res.body.on('error', (e) => finish(e));
    res.body.on('close', () => finish(res.body.complete ? undefined : new Error('connection closed early')));
    out.on('error', (e) => {
      failed ??= e;
      res.body.destroy();
    });
    out.on('close', () => resolve(failed));
  });
  // report what the .partial file holds (the next attempt resumes from there)
  const onDisk = fs.existsSync(partial) ? fs.statSync(partial).size : 0;
  const of = total !== undefined ? ` of ${total}` : '';
  if (failure)
    throw new DownloadError(
      url,
      `connection failed with ${onDisk}${of} bytes on disk (${failure.message}); the next run resumes from ${partial}`,
    );
  if (total !== undefined && onDisk < total)
    throw new DownloadError(
      url,
      `connection closed with ${onDisk}${of} bytes on disk; the next run resumes from ${partial}`,
    );
}

/**
 * Downloads one file of a repo revision to `dest` (resumable through `dest + '.partial'`), checks size
 * and hash, and renames it into place. A `dest` that already exists and passes the checks is kept.
 */
export async function downloadHubFile(
  repo: string,
  file: HubFile,
  dest: string,
  options: DownloadFileOptions = {},
): Promise<'downloaded' | 'present'> {
  requireRepoId(repo);
  requireSafeRelativePath(file.path);
  const revision = options.revision ?? 'main';
  const url = `${endpointOf(options)}/${repo}/resolve/${encodeURIComponent(revision)}/${encodePath(file.path)}`;
  const expected: HubFile = { ...file };
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  if (
    fs.existsSync(dest) &&
    (expected.size === undefined || fs.statSync(dest).size === expected.size) &&
    (expected.sha256 || expected.gitOid)
  ) {
    const algorithm = expected.sha256 ? 'sha256' : 'sha1';
    const actual = await hashFile(dest, algorithm, expected.sha256 ? undefined : `blob ${fs.statSync(dest).size}\0`);
    if (actual === (expected.sha256 ?? expected.gitOid ?? '').toLowerCase()) return 'present';
  }
  const partial = dest + '.partial';
  const attempts = options.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      await downloadOnce(url, partial, expected, options);
      break;
    } catch (e) {
      if (!(e instanceof DownloadError) || attempt >= attempts) throw e;
    }
  }
  await verify(dest, partial, expected);
  if (expected.size === undefined && !expected.sha256 && !expected.gitOid) {
    options.log?.(
      `${file.path}: neither the listing nor the server gave its size or hash; only a clean end of the connection says it is whole (${fs.statSync(partial).size} bytes)`,
    );
  }
  fs.renameSync(partial, dest);
  return 'downloaded';
}

/** Options of `fetchModel`. */
export interface FetchModelOptions extends DownloadFileOptions {
  /** folder that receives `<name>/` (default `models`) */
  modelsDir?: string;
  /** local folder name (default: the repo name, lower case) */
  name?: string;
  /** only files under this folder of the repo, stored without it (e.g. `onnx`) */
  subfolder?: string;
  /** glob-like patterns (`*` within a path segment, `**` across) of files to take; default: the ONNX pipeline files */
  include?: string[];
  log?: (line: string) => void;
}

/** What an ONNX text-to-image pipeline needs (optimum layout); weights for other frameworks are skipped. */
export const DEFAULT_MODEL_INCLUDE = [
  'model_index.json',
  '*.md',
  '**/*.json',
  '**/*.txt',
  '**/*.onnx',
  '**/*.onnx_data',
  '**/*.onnx.data',
  '**/*.pb',
];

/** Converts a simple glob to a RegExp: `**` any path, `*` within a segment, `?` one character. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Downloads the model files of a hub repo into `<modelsDir>/<name>/` and writes `fetch.json` there. */
export async function fetchModel(
  repo: string,
  options: FetchModelOptions = {},
): Promise<{ dir: string; files: { path: string; status: 'downloaded' | 'present' }[] }> {
  requireRepoId(repo);
  const name = options.name ?? repo.split('/').pop()!.toLowerCase();
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
    throw new InvalidArgumentError('name', name, 'a folder name of letters, digits, ".", "_", "-"');
  const dir = path.join(options.modelsDir ?? 'models', name);
  const log = options.log ?? (() => undefined);
  const { commit, files } = await listHubFiles(repo, options);
  const sub = options.subfolder?.replace(/^\/+|\/+$/g, '');
  const patterns = (options.include ?? DEFAULT_MODEL_INCLUDE).map(globToRegExp);
  const chosen = files
    .filter((f) => !sub || f.path.startsWith(sub + '/'))
    .map((f) => ({ file: f, local: sub ? f.path.slice(sub.length + 1) : f.path }))
    .filter(({ local }) => patterns.some((re) => re.test(local)));
  if (chosen.length === 0) {
    throw new MissingResourceError(
      repo,
      `no file of ${repo}@${options.revision ?? 'main'}${sub ? ` under ${sub}/` : ''} matches ${JSON.stringify(options.include ?? DEFAULT_MODEL_INCLUDE)} (the repo has ${files.length} files)`,
    );
  }
  const results: { path: string; status: 'downloaded' | 'present' }[] = [];
  for (const { file, local } of chosen) {
    log(`${local} (${file.size ?? '?'} bytes)`);
    const status = await downloadHubFile(repo, file, path.join(dir, local), options);
    results.push({ path: local, status });
  }
  const manifest = {
    repo,
    revision: options.revision ?? 'main',
    commit,
    subfolder: sub,
    files: chosen.map(({ file, local }) => ({
      path: local,
      size: file.size,
      sha256: file.sha256,
      gitOid: file.gitOid,
    })),
  };
  fs.writeFileSync(path.join(dir, 'fetch.json.partial'), JSON.stringify(manifest, null, 1));
  fs.renameSync(path.join(dir, 'fetch.json.partial'), path.join(dir, 'fetch.json'));
  return { dir, files: results };
}
