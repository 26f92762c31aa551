import { promises as fsp } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { newSigningKey } from './wire.js';

/** The contents of a Jupyter connection file. */
export interface ConnectionInfo {
  transport: 'tcp';
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: 'hmac-sha256';
  kernel_name: string;
}

/** `count` distinct TCP ports that were free on `host` a moment ago (all held open together, then released). */
export async function findFreePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, host, () => resolve());
      });
      ports.push((server.address() as net.AddressInfo).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** A connection description on loopback with fresh ports and a random HMAC-SHA256 key. */
export async function newConnectionInfo(): Promise<ConnectionInfo> {
  const [shell, iopub, stdin, control, hb] = await findFreePorts(5);
  return {
    transport: 'tcp',
    ip: '127.0.0.1',
    shell_port: shell,
    iopub_port: iopub,
    stdin_port: stdin,
    control_port: control,
    hb_port: hb,
    key: newSigningKey(),
    signature_scheme: 'hmac-sha256',
    kernel_name: 'tslab',
  };
}

/** Writes `info` as `connection.json` (mode 0600) in a new private temporary folder; returns the file path. */
export async function writeConnectionFile(info: ConnectionInfo): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'fewstep-kernel-'));
  const file = path.join(dir, 'connection.json');
  await fsp.writeFile(file, JSON.stringify(info, null, 2), { mode: 0o600 });
  return file;
}

/** The zeromq endpoint of one channel. */
export function endpoint(info: ConnectionInfo, port: number): string {
  return `${info.transport}://${info.ip}:${port}`;
}
