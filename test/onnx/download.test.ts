import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FewstepError, InvalidArgumentError, MissingResourceError } from '../../src/core/errors.js';
import {
  DownloadIntegrityError,
  downloadHubFile,
  fetchModel,
  globToRegExp,
  listHubFiles,
  MAX_LISTING_BYTES,
} from '../../src/onnx/download.js';
import { parseFetchModelArgs } from '../../src/cli/fetchModel.js';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

/** A fake hub on 127.0.0.1: repo listing, resolve with LFS redirects and Range, and failure switches. */
interface RepoFile {
  content: Buffer;
  lfs: boolean;
}
const bytes = (n: number, seed: number): Buffer =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed * 17) % 251));
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

function serveRange(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  body: Buffer,
  headers: Record<string, string>,
  cut: boolean,
): void {
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const start = m ? Number(m[1]) : 0;
  if (start > body.length) {
    res.writeHead(416).end();
    return;
  }
  const part = body.subarray(start);
  res.writeHead(m ? 206 : 200, {
    ...headers,
    'content-length': String(part.length),
    ...(m ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
  });
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
        res
          .writeHead(401, { 'x-error-code': 'RepoNotFound', 'content-type': 'application/json' })
          .end('{"error":"Repository not found"}');
      } else if (!['main', 'v1'].includes(decodeURIComponent(api[2]))) {
        res
          .writeHead(404, { 'x-error-code': 'RevisionNotFound', 'content-type': 'application/json' })
          .end(`{"error":"Invalid rev id: ${api[2]}"}`);
      } else {
        const siblings = Object.entries(repoFiles).map(([rfilename, f]) =>
          f.lfs
            ? {
                rfilename,
                ...(state.listLfsInfo
                  ? {
                      size: f.content.length,
                      blobId: 'x',
                      lfs: { sha256: sha256(f.content), size: f.content.length, pointerSize: 130 },
                    }
                  : {}),
              }
            : { rfilename, size: f.content.length, blobId: gitOid(f.content) },
        );
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ id: 'acme/tiny-sd', sha: 'c0ffee', siblings }));
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
      res
        .writeHead(302, {
          location: `/lfs-store/${encodeURIComponent(filePath)}`,
          'x-linked-etag': `"${sha256(file.content)}"`,
          'x-linked-size': String(file.content.length),
        })
        .end();
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
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listTree(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
    .sort();
}

describe('fetchModel from a local hub', () => {
  test('lists the revision, downloads the ONNX pipeline files into models/<name>/ and skips framework weights', async () => {
    const modelsDir = reset();
    const { dir, files } = await fetchModel('acme/tiny-sd', { endpoint, modelsDir });
    assert.equal(dir, join(modelsDir, 'tiny-sd'));
    assert.deepEqual(listTree(dir), [
      'fetch.json',
      'model_index.json',
      'onnx/text_encoder/model.onnx',
      'unet/config.json',
      'unet/model.onnx',
      'vae_decoder/model.onnx',
    ]);
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
    assert.deepEqual(
      state.requests.filter((r) => r.url.startsWith('/lfs-store/')).map((r) => r.range),
      ['bytes=1234-'],
    );
    assert.deepEqual(readFileSync(join(modelsDir, 'tiny-sd', 'vae_decoder', 'model.onnx')), content);
  });
  test('a corrupted LFS file is deleted and the error names it with expected and actual sha256', async () => {
    const modelsDir = reset();
    state.corrupt.add('vae_decoder/model.onnx');
    const content = repoFiles['vae_decoder/model.onnx'].content;
    const bad = Buffer.from(content);
    bad[bad.length - 1] ^= 0xff;
    await assert.rejects(
      fetchModel('acme/tiny-sd', { endpoint, modelsDir, include: ['vae_decoder/model.onnx'] }),
      (e: unknown) => {
        assert.ok(e instanceof DownloadIntegrityError);
        assert.match(e.message, /vae_decoder[/\\]model\.onnx/);
        assert.equal(e.expected, sha256(content));
        assert.equal(e.actual, sha256(bad));
        return true;
      },
    );
    assert.deepEqual(listTree(join(modelsDir, 'tiny-sd')), []);
  });
  test("without hashes in the listing, the redirect's X-Linked-Etag / X-Linked-Size still catch corruption", async () => {
    const modelsDir = reset();
    state.listLfsInfo = false;
    state.corrupt.add('unet/model.onnx');
    await assert.rejects(
      fetchModel('acme/tiny-sd', { endpoint, modelsDir, include: ['unet/model.onnx'] }),
      DownloadIntegrityError,
    );
    assert.ok(!existsSync(join(modelsDir, 'tiny-sd', 'unet', 'model.onnx')));
  });
  test('a corrupted small (non-LFS) file fails its git blob id', async () => {
    const modelsDir = reset();
    state.corrupt.add('unet/config.json');
    await assert.rejects(
      fetchModel('acme/tiny-sd', { endpoint, modelsDir, include: ['unet/config.json'] }),
      /git blob sha1 mismatch/,
    );
  });
  test('an unknown repo is a MissingResourceError naming it', async () => {
    reset();
    await assert.rejects(
      listHubFiles('acme/nothing', { endpoint }),
      (e: unknown) =>
        e instanceof MissingResourceError && /acme\/nothing/.test(e.message) && /RepoNotFound/.test(e.message),
    );
  });
  test('an unknown revision is an InvalidArgumentError on revision', async () => {
    reset();
    await assert.rejects(
      fetchModel('acme/tiny-sd', { endpoint, revision: 'nope', modelsDir: tmpdir() }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'revision' && e.value === 'nope',
    );
    const listed = await listHubFiles('acme/tiny-sd', { endpoint, revision: 'v1' });
    assert.equal(listed.commit, 'c0ffee');
  });
  test('bad repo ids, filters that match nothing and missing files are refused', async () => {
    reset();
    await assert.rejects(
      fetchModel('../etc', { endpoint }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'repo',
    );
    await assert.rejects(
      fetchModel('acme/tiny-sd', { endpoint, include: ['*.gguf'], modelsDir: tmpdir() }),
      MissingResourceError,
    );
    const dest = join(reset(), 'x.onnx');
    await assert.rejects(
      downloadHubFile('acme/tiny-sd', { path: 'missing.onnx', size: 3, sha256: undefined, gitOid: undefined }, dest, {
        endpoint,
      }),
      MissingResourceError,
    );
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
    assert.deepEqual(parseFetchModelArgs(['sd15']), {
      repo: 'runwayml/stable-diffusion-v1-5',
      options: { revision: 'onnx', subfolder: undefined, name: 'sd15' },
    });
    assert.deepEqual(
      parseFetchModelArgs([
        'acme/x',
        '--revision=v2',
        '--subfolder',
        'onnx',
        '--include',
        '*.onnx',
        '--include',
        '*.json',
        '--name',
        'mine',
      ]).options,
      { revision: 'v2', subfolder: 'onnx', include: ['*.onnx', '*.json'], name: 'mine' },
    );
  });
  test('missing repo, two repos, unknown flags and flags without values are refused', () => {
    assert.throws(
      () => parseFetchModelArgs([]),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'repo',
    );
    assert.throws(() => parseFetchModelArgs(['a/b', 'c/d']), InvalidArgumentError);
    assert.throws(
      () => parseFetchModelArgs(['a/b', '--force']),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'option',
    );
    assert.throws(
      () => parseFetchModelArgs(['a/b', '--revision']),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === '--revision',
    );
    assert.throws(
      () => parseFetchModelArgs(['a/b', '--revision', '--name', 'x']),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === '--revision',
    );
    assert.throws(
      () => parseFetchModelArgs(['a/b', '--name', 'x', '--name', 'y']),
      (e: unknown) => e instanceof InvalidArgumentError && /given twice/.test(e.message),
    );
  });
  test('the compiled command downloads from HF_ENDPOINT and exits 0; a bad revision exits 2 naming it', async () => {
    const modelsDir = reset();
    const cli = join(__dirname, '..', '..', 'src', 'cli', 'fetchModel.js');
    const env = { ...process.env, HF_ENDPOINT: endpoint };
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [cli, 'acme/tiny-sd', '--models-dir', modelsDir, '--include', 'unet/*.onnx', '--include', 'unet/*.json'],
      { env },
    );
    assert.match(stdout, /acme\/tiny-sd -> .*tiny-sd: 2 downloaded/);
    assert.deepEqual(listTree(join(modelsDir, 'tiny-sd')), ['fetch.json', 'unet/config.json', 'unet/model.onnx']);
    await assert.rejects(
      promisify(execFile)(process.execPath, [cli, 'acme/tiny-sd', '--revision', 'nope', '--models-dir', modelsDir], {
        env,
      }),
      (e: { code?: number; stderr?: string }) => e.code === 2 && /revision = "nope"/.test(e.stderr ?? ''),
    );
  });
});

/** A second local server whose answers each test scripts: one handler per request, in order. */
describe('fetch-model against a misbehaving server (issue 11, item 5)', () => {
  type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
  let queue: Handler[] = [];
  let srv: http.Server;
  let base = '';
  before(async () => {
    srv = http.createServer((req, res) => {
      const h = queue.shift();
      if (h) h(req, res);
      else res.writeHead(500).end('no handler');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => srv.close(() => r())));
  const noInfo = { path: 'f.bin', size: undefined, sha256: undefined, gitOid: undefined };
  const body = bytes(100_000, 9);
  /** Content-Length stated, 30 000 bytes sent, then the connection drops. */
  const cutWithLength: Handler = (_req, res) => {
    res.writeHead(200, { 'content-length': String(body.length) });
    res.write(body.subarray(0, 30_000), () => setTimeout(() => res.destroy(), 20));
  };
  /** A close-delimited answer (no length, no Content-Range): only the connection's end marks the end. */
  const rawClose =
    (status: string, part: Buffer): Handler =>
    (_req, res) => {
      res.socket!.write(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
      res.socket!.end(part);
    };

  test('a size stated by Content-Length is kept: a later short, close-delimited answer is not accepted as the file', async () => {
    for (const second of [
      rawClose('206 Partial Content', body.subarray(30_000, 50_000)),
      rawClose('200 OK', body.subarray(0, 50_000)),
    ]) {
      const dest = join(reset(), 'f.bin');
      queue = [cutWithLength, second];
      await assert.rejects(
        downloadHubFile('acme/x', noInfo, dest, { endpoint: base, attempts: 2 }),
        (e: unknown) =>
          e instanceof FewstepError && /100000 bytes on disk|Content-Range null/.test((e as Error).message),
      );
      assert.ok(!existsSync(dest), 'no final file');
    }
  });

  test('a resume answered from the wrong offset is refused and the partial file discarded', async () => {
    const dest = join(reset(), 'f.bin');
    queue = [
      cutWithLength,
      (_req, res) =>
        res
          .writeHead(206, {
            'content-range': `bytes 0-${body.length - 1}/${body.length}`,
            'content-length': String(body.length),
          })
          .end(body),
    ];
    await assert.rejects(
      downloadHubFile('acme/x', noInfo, dest, { endpoint: base, attempts: 2 }),
      /resume from byte 30000 .*Content-Range/,
    );
    assert.ok(!existsSync(dest));
  });

  test('without any size, a whole close-delimited file is kept and the log says it could not be verified', async () => {
    const dest = join(reset(), 'f.bin');
    queue = [rawClose('200 OK', body)];
    const lines: string[] = [];
    assert.equal(
      await downloadHubFile('acme/x', noInfo, dest, { endpoint: base, log: (l) => lines.push(l) }),
      'downloaded',
    );
    assert.deepEqual(readFileSync(dest), body);
    assert.match(lines.join('\n'), /f\.bin: neither the listing nor the server gave its size or hash/);
  });

  test('after a dropped connection the error reports the bytes on disk, not the bytes counted in flight', async () => {
    const big = Buffer.alloc(48 * 1024 * 1024, 3);
    for (let k = 0; k < 2; k++) {
      const dest = join(reset(), 'big.bin');
      queue = [
        (_req, res) => {
          res.writeHead(200, { 'content-length': String(big.length) });
          res.write(big.subarray(0, 32 * 1024 * 1024), () => res.destroy());
        },
      ];
      await assert.rejects(
        downloadHubFile('acme/x', { ...noInfo, path: 'big.bin' }, dest, { endpoint: base, attempts: 1 }),
        (e: unknown) => {
          const m = /with (\d+) of (\d+) bytes on disk/.exec((e as Error).message);
          assert.ok(m, (e as Error).message);
          assert.equal(Number(m[1]), statSync(dest + '.partial').size);
          assert.equal(Number(m[2]), big.length);
          return true;
        },
      );
    }
  });

  test('a file listing over 16 MiB is refused (declared by Content-Length, or streamed without it)', async () => {
    const siblings = Array.from({ length: 400_000 }, (_, i) => ({
      rfilename: `f/${i}.json`,
      size: 1,
      blobId: 'a'.repeat(40),
    }));
    const listing = Buffer.from(JSON.stringify({ sha: 'c0ffee', siblings }));
    assert.ok(listing.length > MAX_LISTING_BYTES);
    queue = [(_req, res) => res.writeHead(200, { 'content-length': String(listing.length) }).end(listing)];
    await assert.rejects(
      listHubFiles('acme/x', { endpoint: base }),
      /file listing of acme\/x is \d+ bytes, more than the 16777216-byte limit/,
    );
    queue = [
      (_req, res) => {
        res.writeHead(200); // chunked: no length
        res.end(listing);
      },
    ];
    await assert.rejects(listHubFiles('acme/x', { endpoint: base }), /file listing of acme\/x is over 16777216 bytes/);
  });

  test('HF_ENDPOINT or endpoint that is not an http(s) URL is named, with what is allowed', async () => {
    await assert.rejects(
      listHubFiles('acme/x', { endpoint: 'ftp://example.org' }),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'endpoint',
    );
    const saved = process.env.HF_ENDPOINT;
    process.env.HF_ENDPOINT = 'notaurl';
    try {
      await assert.rejects(
        listHubFiles('acme/x'),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === 'HF_ENDPOINT' && /https?:\/\//.test(e.message),
      );
    } finally {
      if (saved === undefined) delete process.env.HF_ENDPOINT;
      else process.env.HF_ENDPOINT = saved;
    }
    const cli = join(__dirname, '..', '..', 'src', 'cli', 'fetchModel.js');
    const r = spawnSync(process.execPath, [cli, 'acme/x', '--models-dir', reset()], {
      env: { ...process.env, HF_ENDPOINT: 'notaurl' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^fetch-model: HF_ENDPOINT = "notaurl" is not allowed: an http:\/\/ or https:\/\/ URL/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
});
