import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, MissingResourceError } from '../../src/core/errors.js';
import { DownloadIntegrityError, downloadHubFile, fetchModel, globToRegExp, listHubFiles } from '../../src/onnx/download.js';
import { parseFetchModelArgs } from '../../src/cli/fetchModel.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** A fake hub on 127.0.0.1: repo listing, resolve with LFS redirects and Range, and failure switches. */
interface RepoFile { content: Buffer; lfs: boolean }
const bytes = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed * 17) % 251));
const repoFiles: Record<string, RepoFile> = {
  'model_index.json': { content: Buffer.from('{"_class_name": "StableDiffusionPipeline"}'), lfs: false },
  'unet/model.onnx': { content: bytes(200_000, 1), lfs: true },
  'unet/config.json': { content: Buffer.from('{"sample_size": 8}'), lfs: false },
  'vae_decoder/model.onnx': { content: bytes(5_000, 2), lfs: true },
  'unet/diffusion_pytorch_model.safetensors': { content: bytes(1000, 3), lfs: true },
  'onnx/text_encoder/model.onnx': { content: bytes(3000, 4), lfs: true },
};
const sha256 = (b: Buffer): string => crypto.createHash('sha256').update(b).digest('hex');
const gitOid = (b: Buffer): string => crypto.createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

const state = {
  requests: [] as { url: string; range?: string }[],
  dropOnce: new Set<string>(), // paths whose next resolve is cut half way
  corrupt: new Set<string>(), // paths served with one byte flipped
  listLfsInfo: true, // false: listing without hashes, only the redirect's X-Linked-* headers tell them
};
let server: http.Server;
let endpoint = '';

function serveRange(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, headers: Record<string, string>, cut: boolean): void {
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const start = m ? Number(m[1]) : 0;
  if (start > body.length) {
    res.writeHead(416).end();
    return;
  }
  const part = body.subarray(start);
  res.writeHead(m ? 206 : 200, { ...headers, 'content-length': String(part.length), ...(m ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}) });
  if (cut) {
    res.write(part.subarray(0, Math.floor(part.length / 2)), () => setTimeout(() => res.destroy(), 20));
  } else {
    res.end(part);
  }
}

before(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    state.requests.push({ url: url.pathname, range: req.headers.range });
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(url.pathname);
    if (api) {
      if (api[1] !== 'acme/tiny-sd') {
        res.writeHead(401, { 'x-error-code': 'RepoNotFound', 'content-type': 'application/json' }).end('{"error":"Repository not found"}');
      } else if (!['main', 'v1'].includes(decodeURIComponent(api[2]))) {
        res.writeHead(404, { 'x-error-code': 'RevisionNotFound', 'content-type': 'application/json' }).end(`{"error":"Invalid rev id: ${api[2]}"}`);
      } else {
        const siblings = Object.entries(repoFiles).map(([rfilename, f]) =>
          f.lfs
            ? { rfilename, ...(state.listLfsInfo ? { size: f.content.length, blobId: 'x', lfs: { sha256: sha256(f.content), size: f.content.length, pointerSize: 130 } } : {}) }
            : { rfilename, size: f.content.length, blobId: gitOid(f.content) });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'acme/tiny-sd', sha: 'c0ffee', siblings }));
      }
      return;
    }
    const resolve = /^\/acme\/tiny-sd\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const lfs = /^\/lfs-store\/(.+)$/.exec(url.pathname);
    const filePath = resolve ? decodeURIComponent(resolve[2]) : lfs ? decodeURIComponent(lfs[1]) : '';
    const file = repoFiles[filePath];
    if (!file) {
      res.writeHead(404).end('Entry not found');
      return;
    }
    if (resolve && file.lfs) {
      res.writeHead(302, { location: `/lfs-store/${encodeURIComponent(filePath)}`, 'x-linked-etag': `"${sha256(file.content)}"`, 'x-linked-size': String(file.content.length) }).end();
      return;
    }
    let body = file.content;
    if (state.corrupt.has(filePath)) {
      body = Buffer.from(body);
      body[body.length - 1] ^= 0xff;
    }
    const cut = state.dropOnce.delete(filePath);
    serveRange(req, res, body, {}, cut);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

function reset(): string {
  state.requests = [];
  state.dropOnce.clear();
  state.corrupt.clear();
  state.listLfsInfo = true;
  return mkdtempSync(join(tmpdir(), 'fewstep-dl-'));
}

function listTree(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listTree(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`])).sort();
}

describe('fetchModel from a local hub', () => {
  test('lists the revision, downloads the ONNX pipeline files into models/<name>/ and skips framework weights', async () => {
    const modelsDir = reset();
    const { dir, files } = await fetchModel('acme/tiny-sd', { endpoint, modelsDir });
    assert.equal(dir, join(modelsDir, 'tiny-sd'));
    assert.deepEqual(listTree(dir), ['fetch.json', 'model_index.json', 'onnx/text_encoder/model.onnx', 'unet/config.json', 'unet/model.onnx', 'vae_decoder/model.onnx']);
    for (const f of files) assert.deepEqual(readFileSync(join(dir, f.path)), repoFiles[f.path].content);
    const manifest = JSON.parse(readFileSync(join(dir, 'fetch.json'), 'utf8')) as { commit: string; repo: string };
    assert.deepEqual([manifest.repo, manifest.commit], ['acme/tiny-sd', 'c0ffee']);
  });
  test('a second run keeps verified files and downloads nothing', async () => {
    const modelsDir = reset();
    await fetchModel('acme/tiny-sd', { endpoint, modelsDir });
    state.requests = [];
    const { files } = await fetchModel('acme/tiny-sd', { endpoint, modelsDir });
    assert.ok(files.every((f) => f.status === 'present'));
    assert.equal(state.requests.filter((r) => !r.url.startsWith('/api/')).length, 0);
  });
  test('--subfolder takes only that folder and stores it without the prefix', async () => {
    const modelsDir = reset();
    const { dir } = await fetchModel('acme/tiny-sd', { endpoint, modelsDir, subfolder: 'onnx', name: 'sub' });
    assert.deepEqual(listTree(dir), ['fetch.json', 'text_encoder/model.onnx']);
  });
  test('a connection dropped mid-file is resumed with a Range request from the .partial file', async () => {
    const modelsDir = reset();
    state.dropOnce.add('unet/model.onnx');
    const { dir } = await fetchModel('acme/tiny-sd', { endpoint, modelsDir, include: ['unet/model.onnx'] });
    assert.deepEqual(readFileSync(join(dir, 'unet/model.onnx')), repoFiles['unet/model.onnx'].content);
    const gets = state.requests.filter((r) => r.url === '/lfs-store/unet%2Fmodel.onnx');
    assert.equal(gets.length, 2);
    assert.equal(gets[0].range, undefined);
    assert.match(gets[1].range ?? '', /^bytes=[1-9]\d*-$/);
    assert.ok(!existsSync(join(dir, 'unet/model.onnx.partial')));
  });
  test('a .partial file left by an earlier run is continued, not restarted', async () => {
    const modelsDir = reset();
    const content = repoFiles['vae_decoder/model.onnx'].content;
    mkdirSync(join(modelsDir, 'tiny-sd', 'vae_decoder'), { recursive: true });
    writeFileSync(join(modelsDir, 'tiny-sd', 'vae_decoder', 'model.onnx.partial'), content.subarray(0, 1234));
    await fetchModel('acme/tiny-sd', { endpoint, modelsDir, include: ['vae_decoder/*.onnx'] });
    assert.deepEqual(state.requests.filter((r) => r.url.startsWith('/lfs-store/')).map((r) => r.range), ['bytes=1234-']);
    assert.deepEqual(readFileSync(join(modelsDir, 'tiny-sd', 'vae_decoder', 'model.onnx')), content);
  });
  test('a corrupted LFS file is deleted and the error names it with expected and actual sha256', async () => {
    const modelsDir = reset();
    state.corrupt.add('vae_decoder/model.onnx');
    const content = repoFiles['vae_decoder/model.onnx'].content;
    const bad = Buffer.from(content);
    bad[bad.length - 1] ^= 0xff;
    await assert.rejects(fetchModel('acme/tiny-sd', { endpoint, modelsDir, include: ['vae_decoder/model.onnx'] }), (e: unknown) => {
      assert.ok(e instanceof DownloadIntegrityError);
      assert.match(e.message, /vae_decoder[/\\]model\.onnx/);
      assert.equal(e.expected, sha256(content));
      assert.equal(e.actual, sha256(bad));
      return true;
    });
    assert.deepEqual(listTree(join(modelsDir, 'tiny-sd')), []);
  });
  test('without hashes in the listing, the redirect\'s X-Linked-Etag / X-Linked-Size still catch corruption', async () => {
    const modelsDir = reset();
    state.listLfsInfo = false;
    state.corrupt.add('unet/model.onnx');
    await assert.rejects(fetchModel('acme/tiny-sd', { endpoint, modelsDir, include: ['unet/model.onnx'] }), DownloadIntegrityError);
    assert.ok(!existsSync(join(modelsDir, 'tiny-sd', 'unet', 'model.onnx')));
  });
  test('a corrupted small (non-LFS) file fails its git blob id', async () => {
    const modelsDir = reset();
    state.corrupt.add('unet/config.json');
    await assert.rejects(fetchModel('acme/tiny-sd', { endpoint, modelsDir, include: ['unet/config.json'] }), /git blob sha1 mismatch/);
  });
  test('an unknown repo is a MissingResourceError naming it', async () => {
    reset();
    await assert.rejects(listHubFiles('acme/nothing', { endpoint }), (e: unknown) => e instanceof MissingResourceError && /acme\/nothing/.test(e.message) && /RepoNotFound/.test(e.message));
  });
  test('an unknown revision is an InvalidArgumentError on revision', async () => {
    reset();
    await assert.rejects(fetchModel('acme/tiny-sd', { endpoint, revision: 'nope', modelsDir: tmpdir() }), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'revision' && e.value === 'nope');
    const listed = await listHubFiles('acme/tiny-sd', { endpoint, revision: 'v1' });
    assert.equal(listed.commit, 'c0ffee');
  });
  test('bad repo ids, filters that match nothing and missing files are refused', async () => {
    reset();
    await assert.rejects(fetchModel('../etc', { endpoint }), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'repo');
    await assert.rejects(fetchModel('acme/tiny-sd', { endpoint, include: ['*.gguf'], modelsDir: tmpdir() }), MissingResourceError);
    const dest = join(reset(), 'x.onnx');
    await assert.rejects(downloadHubFile('acme/tiny-sd', { path: 'missing.onnx', size: 3, sha256: undefined, gitOid: undefined }, dest, { endpoint }), MissingResourceError);
    assert.ok(!existsSync(dest));
  });
});

describe('include patterns', () => {
  test('* stays within a path segment, ** crosses folders', () => {
    assert.ok(globToRegExp('**/*.onnx').test('unet/model.onnx'));
    assert.ok(globToRegExp('**/*.onnx').test('model.onnx'));
    assert.ok(!globToRegExp('*.onnx').test('unet/model.onnx'));
    assert.ok(globToRegExp('unet/model.onnx').test('unet/model.onnx'));
    assert.ok(!globToRegExp('unet/model.onnx').test('unetXmodel.onnx'));
  });
});

describe('fetch-model command line', () => {
  test('registry names fill in repo, revision and folder name; flags override', () => {
    assert.deepEqual(parseFetchModelArgs(['sd15']), { repo: 'runwayml/stable-diffusion-v1-5', options: { revision: 'onnx', subfolder: undefined, name: 'sd15' } });
    assert.deepEqual(parseFetchModelArgs(['acme/x', '--revision=v2', '--subfolder', 'onnx', '--include', '*.onnx', '--include', '*.json', '--name', 'mine']).options,
      { revision: 'v2', subfolder: 'onnx', include: ['*.onnx', '*.json'], name: 'mine' });
  });
  test('missing repo, two repos, unknown flags and flags without values are refused', () => {
    assert.throws(() => parseFetchModelArgs([]), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'repo');
    assert.throws(() => parseFetchModelArgs(['a/b', 'c/d']), InvalidArgumentError);
    assert.throws(() => parseFetchModelArgs(['a/b', '--force']), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'option');
    assert.throws(() => parseFetchModelArgs(['a/b', '--revision']), (e: unknown) => e instanceof InvalidArgumentError && e.field === '--revision');
  });
  test('the compiled command downloads from HF_ENDPOINT and exits 0; a bad revision exits 1 naming it', async () => {
    const modelsDir = reset();
    const cli = join(__dirname, '..', '..', 'src', 'cli', 'fetchModel.js');
    const env = { ...process.env, HF_ENDPOINT: endpoint };
    const { stdout } = await promisify(execFile)(process.execPath, [cli, 'acme/tiny-sd', '--models-dir', modelsDir, '--include', 'unet/*.onnx', '--include', 'unet/*.json'], { env });
    assert.match(stdout, /acme\/tiny-sd -> .*tiny-sd: 2 downloaded/);
    assert.deepEqual(listTree(join(modelsDir, 'tiny-sd')), ['fetch.json', 'unet/config.json', 'unet/model.onnx']);
    await assert.rejects(promisify(execFile)(process.execPath, [cli, 'acme/tiny-sd', '--revision', 'nope', '--models-dir', modelsDir], { env }), (e: { code?: number; stderr?: string }) =>
      e.code === 1 && /revision = "nope"/.test(e.stderr ?? ''));
  });
});
