/**
 * The tslab kernel process, wrapped: `node dist/runner/kernelProcess.js kernel --config-path <file>`
 * (the runner starts it so; `bin/fewstep-tslab` is the same for Jupyter's kernelspec). Before it
 * hands over to tslab's own `main()` it installs:
 *
 * - a parent-death watch: the kernel exits when the process that started it is gone (its parent
 *   pid changes, as ipykernel's ParentPollerUnix checks) or, under the runner, when the pipe on fd 3
 *   that the runner holds closes; so a killed `npm run lecture` leaves no kernel behind;
 * - cleanup: the folder named by FEWSTEP_KERNEL_CLEANUP (the runner's private connection folder) is
 *   removed on every exit path this process sees (exit, SIGTERM, SIGHUP, parent death);
 * - asynchronous-error reports: an uncaught exception or unhandled rejection (a throw in a
 *   setTimeout, an unawaited rejected promise in a cell) is written as one JSON line to fd 3, so the
 *   runner can fail the cell (tslab itself only prints it and keeps going);
 * - a retry for zeromq's "Socket is blocked by a bind or unbind operation" (EBUSY): tslab starts its
 *   receive loops before its binds complete, and a message that arrives between zmq_bind returning
 *   on the worker thread and the bind's completion on the main thread makes the next receive()
 *   (or the heartbeat's send()) throw EBUSY, which ends that socket's loop for good. Here such a
 *   call waits for the pending bind and is made again.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

/** Environment variables the runner sets for the kernel process. */
export const KERNEL_ENV = {
  /** The fd of the pipe to the runner ("3"): closed = parent gone; async errors are reported on it. */
  pipeFd: 'FEWSTEP_PARENT_PIPE',
  /** A folder to remove when the kernel exits (the runner's connection folder). */
  cleanup: 'FEWSTEP_KERNEL_CLEANUP',
  /** The tslab launcher to hand over to (default: the tslab package's bin/tslab). */
  tslabBin: 'FEWSTEP_TSLAB_BIN',
} as const;

/** One line the kernel process writes on the runner pipe. */
export interface KernelReport {
  type: 'uncaughtException' | 'unhandledRejection';
  /** The error's stack (or its text). */
  message: string;
}

/** How often the parent pid is checked (ms). */
export const PARENT_POLL_MS = 250;

const PATCHED = Symbol.for('fewstep.zeromqBindRacePatched');
/** The pending bind of each socket (the native sockets are not extensible, so not a property). */
const pendingBinds = new WeakMap<object, Promise<void>>();

/** Whether `msg` is zeromq's EBUSY for a socket whose bind has not completed. */
function isBindBusy(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === 'EBUSY' && /bind or unbind/.test(String((e as Error)?.message));
}

/**
 * Makes zeromq sockets wait for a pending bind instead of throwing EBUSY "Socket is blocked by a
 * bind or unbind operation" from receive() and send(). The native Socket's methods are read-only,
 * so the wrappers are defined on each exported socket class's own prototype (Router, Publisher,
 * Reply, Dealer...). Idempotent. Returns how many classes were patched.
 */
export function patchZeromqBindRace(zmq: Record<string, unknown>): number {
  const base = zmq.Socket as { prototype: object } | undefined;
  if (typeof base !== 'function') return 0;
  let patched = 0;
  for (const value of Object.values(zmq)) {
    if (
      typeof value !== 'function' ||
      value === base ||
      !(value.prototype instanceof (base as unknown as new () => object))
    )
      continue;
    const proto = value.prototype as Record<string | symbol, unknown>;
    if (Object.prototype.hasOwnProperty.call(proto, PATCHED)) {
      patched++;
      continue;
    }
    const bind = proto.bind as (this: object, addr: string) => Promise<void>;
    const define = (name: string, fn: unknown) =>
      Object.defineProperty(proto, name, { value: fn, writable: true, configurable: true });
    define('bind', function (this: object, addr: string) {
      const p = bind.call(this, addr);
      pendingBinds.set(
        this,
        p.then(
          () => undefined,
          () => undefined,
        ),
      );
      return p;
    });
    for (const name of ['receive', 'send']) {
      const original = proto[name] as (...args: unknown[]) => unknown;
      if (typeof original !== 'function') continue;
      define(name, function (this: object, ...args: unknown[]) {
        try {
          return original.apply(this, args);
        } catch (e) {
          const pending = pendingBinds.get(this);
          if (pending && isBindBusy(e)) return pending.then(() => original.apply(this, args));
          throw e;
        }
      });
    }
    Object.defineProperty(proto, PATCHED, { value: true });
    patched++;
  }
  return patched;
}

let cleanupDir: string | undefined;

function cleanup(): void {
  if (!cleanupDir) return;
  try {
    fs.rmSync(cleanupDir, { recursive: true, force: true });
  } catch {
    // best effort: the runner removes it too
  }
  cleanupDir = undefined;
}

/** Installs the watch, cleanup and reports, then runs tslab's main (which parses process.argv). */
export function runKernelProcess(env: NodeJS.ProcessEnv = process.env): void {
  cleanupDir = env[KERNEL_ENV.cleanup] || undefined;
  process.on('exit', cleanup);
  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.on(signal, () => {
      cleanup();
      process.exit(code);
    });
  }
  const parentGone = () => {
    cleanup();
    process.exit(0);
  };
  const originalParent = process.ppid;
  if (originalParent > 1) setInterval(() => process.ppid !== originalParent && parentGone(), PARENT_POLL_MS).unref();

  let pipe: net.Socket | undefined;
  const fd = Number(env[KERNEL_ENV.pipeFd]);
  if (Number.isInteger(fd) && fd > 2) {
    try {
      pipe = new net.Socket({ fd, readable: true, writable: true });
      pipe.on('end', parentGone);
      pipe.on('close', parentGone);
      pipe.on('error', parentGone);
      pipe.resume();
      pipe.unref();
    } catch {
      pipe = undefined;
    }
  }
  const report = (type: KernelReport['type'], error: unknown) => {
    const message = error instanceof Error ? (error.stack ?? String(error)) : String(error);
    if (pipe && !pipe.destroyed) pipe.write(JSON.stringify({ type, message } satisfies KernelReport) + '\n');
  };
  // Registered before tslab's own handlers (which print to the cell's stderr and keep the kernel alive).
  process.on('uncaughtException', (e) => report('uncaughtException', e));
  process.on('unhandledRejection', (e) => report('unhandledRejection', e));

  try {
    patchZeromqBindRace(require('zeromq') as Record<string, unknown>);
  } catch (e) {
    process.stderr.write(`fewstep kernel: zeromq bind-race patch not applied: ${(e as Error).message}\n`);
  }
  const tslabBin =
    env[KERNEL_ENV.tslabBin] || path.join(path.dirname(require.resolve('tslab/package.json')), 'bin', 'tslab');
  // tslab's launcher calls its main(), which parses process.argv[2..] ("kernel --config-path <file>").
  try {
    require(path.resolve(tslabBin));
  } catch (e) {
    process.stderr.write(`fewstep kernel: could not start tslab from ${tslabBin}: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  }
}

if (require.main === module) runKernelProcess();
