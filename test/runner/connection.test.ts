import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { findFreePorts, newConnectionInfo, writeConnectionFile } from '../../src/runner/index.js';

describe('connection file', () => {
  test('findFreePorts returns distinct ports in the unprivileged range', async () => {
    const ports = await findFreePorts(5);
    assert.equal(new Set(ports).size, 5);
    for (const p of ports) assert.ok(p > 1024 && p < 65536, `port ${p}`);
  });

  test('a new connection uses loopback, hmac-sha256 and a 64-hex-digit key', async () => {
    const info = await newConnectionInfo();
    assert.equal(info.ip, '127.0.0.1');
    assert.equal(info.transport, 'tcp');
    assert.equal(info.signature_scheme, 'hmac-sha256');
    assert.match(info.key, /^[0-9a-f]{64}$/);
    const ports = [info.shell_port, info.iopub_port, info.stdin_port, info.control_port, info.hb_port];
    assert.equal(new Set(ports).size, 5);
  });

  test('the connection file is private to the user and holds the connection info', async () => {
    const info = await newConnectionInfo();
    const file = await writeConnectionFile(info);
    try {
      const stat = await fsp.stat(file);
      assert.equal(stat.mode & 0o077, 0, `mode ${stat.mode.toString(8)}`);
      assert.deepEqual(JSON.parse(await fsp.readFile(file, 'utf8')), info);
    } finally {
      await fsp.rm(path.dirname(file), { recursive: true, force: true });
    }
  });
});
