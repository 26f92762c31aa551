import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promises as fsp, rmSync } from 'node:fs';
import * as path from 'node:path';
import * as zmq from 'zeromq';
import { endpoint, newConnectionInfo, writeConnectionFile, type ConnectionInfo } from './connection.js';
import { KernelError } from './errors.js';
import { KERNEL_ENV, type KernelReport } from './kernelProcess.js';
import type { NotebookOutput } from './notebookFile.js';
import { CellOutputCollector, type DisplayRegistry } from './outputs.js';
import { decodeMessage, encodeMessage, newHeader, type JupyterMessage } from './wire.js';

/** How to start the tslab kernel. */
export interface KernelOptions {
  /** Working directory of the kernel; tslab compiles cells with it as rootDir. */
  cwd: string;
  /** The tslab launcher script; default: this project's `node_modules/tslab/bin/tslab`. */
  tslabBin?: string;
  /** How long to wait for `kernel_info_reply` (ms, default 60 000). */
  startTimeoutMs?: number;
  /** Heartbeat ping interval (ms, default 1 000). */
  heartbeatIntervalMs?: number;
  /**
   * Heartbeat silence after which an idle kernel counts as dead (ms, default 20 000). tslab answers
   * pings on its JavaScript event loop, so a cell running synchronous code silences it; during a
   * cell only the process exit and the cell timeout count.
   */
  heartbeatTimeoutMs?: number;
  /** Environment of the kernel process (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

/** What happened to one execute request. */
export interface ExecuteOutcome {
  /** The reply's status, or 'timeout' / 'kernel-died' when no reply came. */
  status: 'ok' | 'error' | 'abort' | 'timeout' | 'kernel-died';
  executionCount: number | null;
  outputs: NotebookOutput[];
  /** What the cell wrote to stderr (tslab's compile and runtime errors go only there). */
  stderr: string;
  /** Why a 'timeout' or 'kernel-died' happened, in words. */
  detail: string;
}

/** Options of one execute request. */
export interface ExecuteOptions {
  /** Time limit for the cell (ms); on expiry the kernel is interrupted (SIGINT) and the outcome is 'timeout'. */
  timeoutMs: number;
  /** Shared display-id registry so `update_display_data` reaches outputs of earlier cells. */
  displays?: DisplayRegistry;
}

interface Pending {
  collector: CellOutputCollector;
  reply?: Record<string, unknown>;
  idle: boolean;
  settle: () => void;
}

const live = new Set<ChildProcess>();
/** Connection folders of kernels this process started and has not removed yet. */
const liveDirs = new Set<string>();
let exitHookInstalled = false;

/** Kills every kernel this process started that is still running and removes their connection folders (runs on process exit). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const dir of liveDirs) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort
      }
    }
  });
}

/** The kernel process entry (parent-death watch, cleanup, async-error reports; see kernelProcess.ts). */
export function kernelProcessScript(): string {
  return path.join(__dirname, 'kernelProcess.js');
}

/**
 * Makes SIGINT, SIGTERM and SIGHUP end this process through `process.exit` (exit codes 130, 143,
 * 129), so the exit hook kills its kernels and removes their connection folders. For CLIs that run
 * notebooks (Node's default for these signals ends the process without running exit handlers).
 */
export function exitOnSignals(): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)
    process.on(signal, () => process.exit(code));
}

/**
 * Exits (code 129, as for a hang-up) when this process's parent goes away, checked every
 * `intervalMs`: for a CLI started by `npm run`, whose SIGKILL or SIGTERM npm does not pass on.
 * The timer does not keep the process alive.
 */
export function exitWithParent(intervalMs = 500): void {
  const parent = process.ppid;
  if (parent <= 1) return;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(129);
  }, intervalMs).unref();
}

/** The default tslab launcher: `bin/tslab` of the tslab package this project depends on. */
export function defaultTslabBin(): string {
  return path.join(path.dirname(require.resolve('tslab/package.json')), 'bin', 'tslab');
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A tslab kernel process and a client speaking the Jupyter messaging protocol 5.3 to it over
 * zeromq (Dealer on shell and control, Subscriber on iopub, Dealer pinging the heartbeat).
 * Start with `TslabKernel.start`, run cells with `execute`, always finish with `shutdown`.
 */
export class TslabKernel {
  private readonly session = randomUUID();
  private readonly shell = new zmq.Dealer({ linger: 0 });
  private readonly control = new zmq.Dealer({ linger: 0 });
  private readonly iopub = new zmq.Subscriber({ linger: 0 });
  private readonly hb = new zmq.Dealer({ linger: 0 });
  private readonly pending = new Map<string, Pending>();
  private readonly replyWaiters = new Map<string, (msg: JupyterMessage) => void>();
  private readonly iopubSeen = new Set<string>();
  private exitWaiters: Array<() => void> = [];
  private hbTimer: NodeJS.Timeout | undefined;
  private lastPong = Date.now();
  private executing = false;
  private closed = false;
  private kernelStderr = '';
  private reports: KernelReport[] = [];
  private reportBuffer = '';
  /** Why the kernel is dead, once it is. */
  deathReason: string | undefined;

  private constructor(
    private readonly child: ChildProcess,
    private readonly info: ConnectionInfo,
    private readonly connectionFile: string,
    private readonly options: Required<Omit<KernelOptions, 'env' | 'tslabBin'>>,
  ) {}

  /** Starts a tslab kernel in `options.cwd` and waits until it answers `kernel_info_request` and iopub is connected. */
  static async start(options: KernelOptions): Promise<TslabKernel> {
    installExitHook();
    const info = await newConnectionInfo();
    const connectionFile = await writeConnectionFile(info);
    const bin = options.tslabBin ?? defaultTslabBin();
    const dir = path.dirname(connectionFile);
    liveDirs.add(dir);
    // fd 3: a pipe the kernel watches (closed = we are gone) and reports asynchronous errors on.
    const child = spawn(process.execPath, [kernelProcessScript(), 'kernel', '--config-path', connectionFile], {
      cwd: options.cwd,
      env: {
        ...(options.env ?? process.env),
        [KERNEL_ENV.pipeFd]: '3',
        [KERNEL_ENV.cleanup]: dir,
        [KERNEL_ENV.tslabBin]: bin,
      },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    live.add(child);
    const kernel = new TslabKernel(child, info, connectionFile, {
      cwd: options.cwd,
      startTimeoutMs: options.startTimeoutMs ?? 60_000,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1_000,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 20_000,
    });
    try {
      await kernel.connect();
    } catch (e) {
      await kernel.shutdown();
      throw e;
    }
    return kernel;
  }

  /** Whether the kernel process is still running and has not been declared dead. */
  get alive(): boolean {
    return this.deathReason === undefined;
  }

  /** The kernel's process id. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The last 8 KB the kernel process wrote to its own stdout/stderr (outside of cells). */
  get processOutput(): string {
    return this.kernelStderr;
  }

  private async connect(): Promise<void> {
    const keep = (chunk: Buffer) => {
      this.kernelStderr = (this.kernelStderr + chunk.toString('utf8')).slice(-8192);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    const reports = this.child.stdio[3] as NodeJS.ReadableStream | null | undefined;
    reports?.on('data', (chunk: Buffer) => this.onReportData(chunk));
    reports?.on('error', () => {});
    this.child.on('error', (e) => this.markDead(`could not start the kernel process: ${e.message}`));
    this.child.on('exit', (code, signal) => {
      live.delete(this.child);
      this.markDead(
        signal ? `the kernel process was killed by ${signal}` : `the kernel process exited with code ${code}`,
      );
      const waiters = this.exitWaiters;
      this.exitWaiters = [];
      for (const w of waiters) w();
    });

    this.shell.connect(endpoint(this.info, this.info.shell_port));
    this.control.connect(endpoint(this.info, this.info.control_port));
    this.iopub.connect(endpoint(this.info, this.info.iopub_port));
    this.iopub.subscribe();
    this.hb.connect(endpoint(this.info, this.info.hb_port));
    void this.receiveLoop(this.shell, (m) => this.onReply(m));
    void this.receiveLoop(this.control, (m) => this.onReply(m));
    void this.receiveLoop(this.iopub, (m) => this.onIopub(m));
    void this.heartbeatLoop();

    // kernel_info until a reply arrives and iopub has delivered a message for it (ZeroMQ subscriptions
    // take a moment to reach the publisher; a cell started before that would lose its first outputs).
    const deadline = Date.now() + this.options.startTimeoutMs;
    let replied = false;
    while (Date.now() < deadline) {
      if (!this.alive)
        throw new KernelError(
          'E_KERNEL_START',
          `tslab kernel in ${this.options.cwd} did not start: ${this.deathReason}`,
          this.kernelStderr,
        );
      const header = newHeader('kernel_info_request', this.session);
      const left = deadline - Date.now();
      // The first request may wait for the whole start-up; repeats only need the iopub check.
      const reply = this.waitReply(header.msg_id, replied ? Math.min(1_000, left) : left);
      await this.shell.send(encodeMessage(this.info.key, header, {}));
      const msg = await reply;
      if (msg) replied = true;
      if (msg && (this.iopubSeen.has(header.msg_id) || (await this.waitIopub(header.msg_id, 1_000)))) {
        this.lastPong = Date.now();
        this.startHeartbeatWatch();
        return;
      }
    }
    const why = this.alive
      ? `no kernel_info_reply${replied ? ' with iopub messages' : ''} within ${this.options.startTimeoutMs} ms`
      : this.deathReason;
    throw new KernelError(
      'E_KERNEL_START',
      `tslab kernel in ${this.options.cwd} did not start: ${why}`,
      this.kernelStderr,
    );
  }

  private async receiveLoop(
    socket: zmq.Dealer | zmq.Subscriber,
    onMessage: (m: JupyterMessage) => void,
  ): Promise<void> {
    try {
      for await (const frames of socket) {
        let msg: JupyterMessage;
        try {
          msg = decodeMessage(this.info.key, frames);
        } catch {
          continue; // unsigned or malformed: ignore, as Jupyter clients do
        }
        onMessage(msg);
      }
    } catch {
      // socket closed
    }
  }

  private async heartbeatLoop(): Promise<void> {
    const receive = (async () => {
      try {
        for await (const _ of this.hb) this.lastPong = Date.now();
      } catch {
        // socket closed
      }
    })();
    while (!this.closed && this.alive) {
      try {
        await this.hb.send(['', 'ping']);
      } catch {
        break;
      }
      await sleep(this.options.heartbeatIntervalMs);
    }
    await receive;
  }

  private startHeartbeatWatch(): void {
    this.hbTimer = setInterval(() => {
      if (this.closed || !this.alive || this.executing) return;
      const silent = Date.now() - this.lastPong;
      if (silent > this.options.heartbeatTimeoutMs) {
        this.markDead(`the kernel's heartbeat has been silent for ${silent} ms while it was idle`);
        this.child.kill('SIGKILL');
      }
    }, this.options.heartbeatIntervalMs);
    this.hbTimer.unref();
  }

  private onReportData(chunk: Buffer): void {
    this.reportBuffer += chunk.toString('utf8');
    let nl: number;
    while ((nl = this.reportBuffer.indexOf('\n')) >= 0) {
      const line = this.reportBuffer.slice(0, nl);
      this.reportBuffer = this.reportBuffer.slice(nl + 1);
      try {
        const r = JSON.parse(line) as KernelReport;
        if (r && typeof r.message === 'string') this.reports.push(r);
      } catch {
        // not a report line
      }
    }
  }

  /**
   * Asynchronous errors the kernel reported since the last call (an uncaught exception in a
   * callback, an unhandled promise rejection), oldest first; tslab itself only prints them.
   */
  takeAsyncErrors(): KernelReport[] {
    const out = this.reports;
    this.reports = [];
    return out;
  }

  private markDead(reason: string): void {
    if (this.deathReason !== undefined) return;
    this.deathReason = reason;
    for (const p of this.pending.values()) p.settle();
    for (const w of this.replyWaiters.values()) w(undefined as unknown as JupyterMessage);
  }

  private onReply(msg: JupyterMessage): void {
    const parent = msg.parent_header.msg_id;
    if (!parent) return;
    const waiter = this.replyWaiters.get(parent);
    if (waiter) {
      this.replyWaiters.delete(parent);
      waiter(msg);
    }
    const p = this.pending.get(parent);
    if (p && msg.header.msg_type === 'execute_reply') {
      p.reply = msg.content;
      if (p.idle) p.settle();
    }
  }

  private onIopub(msg: JupyterMessage): void {
    const parent = msg.parent_header.msg_id;
    if (!parent) return;
    this.iopubSeen.add(parent);
    const p = this.pending.get(parent);
    if (!p) return;
    if (msg.header.msg_type === 'status') {
      if (msg.content.execution_state === 'idle') {
        p.idle = true;
        if (p.reply) p.settle();
      }
      return;
    }
    p.collector.handle(msg.header.msg_type, msg.content);
  }

  /** Resolves with the reply to `msgId` on shell or control, or undefined after `ms` or when the kernel dies. */
  private waitReply(msgId: string, ms: number): Promise<JupyterMessage | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          this.replyWaiters.delete(msgId);
          resolve(undefined);
        },
        Math.max(0, ms),
      );
      this.replyWaiters.set(msgId, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  }

  private async waitIopub(msgId: string, ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (Date.now() < until && this.alive) {
      if (this.iopubSeen.has(msgId)) return true;
      await sleep(20);
    }
    return this.iopubSeen.has(msgId);
  }

  /**
   * Runs `code` as one cell and collects its outputs until the kernel has replied and gone idle.
   * Never throws for cell failures: the outcome's status says what happened.
   */
  async execute(code: string, options: ExecuteOptions): Promise<ExecuteOutcome> {
    const collector = new CellOutputCollector(options.displays);
    const finish = (
      status: ExecuteOutcome['status'],
      executionCount: number | null,
      detail: string,
    ): ExecuteOutcome => ({
      status,
      executionCount,
      outputs: collector.outputs,
      stderr: collector.stderr,
      detail,
    });
    if (!this.alive) return finish('kernel-died', null, this.deathReason ?? 'the kernel is not running');
    const header = newHeader('execute_request', this.session);
    let settle!: () => void;
    const done = new Promise<void>((resolve) => (settle = resolve));
    const pending: Pending = { collector, idle: false, settle };
    this.pending.set(header.msg_id, pending);
    this.executing = true;
    const started = Date.now();
    try {
      await this.shell.send(
        encodeMessage(this.info.key, header, {
          code,
          silent: false,
          store_history: true,
          user_expressions: {},
          allow_stdin: false,
          stop_on_error: true,
        }),
      );
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        done.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), options.timeoutMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        const hbSilent = Date.now() - this.lastPong;
        let detail = `no reply within ${options.timeoutMs} ms`;
        if (hbSilent > 3 * this.options.heartbeatIntervalMs) {
          detail += ` (heartbeat silent for ${hbSilent} ms: the kernel's event loop is blocked by synchronous code)`;
        }
        // Interrupt (tslab rejects the pending await on SIGINT), give it a moment, then the caller shuts down.
        if (this.alive) this.child.kill('SIGINT');
        await Promise.race([done, sleep(2_000)]);
        return finish('timeout', null, detail);
      }
      if (!pending.reply) {
        return finish(
          'kernel-died',
          null,
          `${this.deathReason ?? 'the kernel stopped'} ${Date.now() - started} ms into the cell`,
        );
      }
      const status = String(pending.reply.status);
      const count = typeof pending.reply.execution_count === 'number' ? pending.reply.execution_count : null;
      if (status === 'ok' || status === 'error' || status === 'abort') return finish(status, count, '');
      return finish('error', count, `unknown execute_reply status ${JSON.stringify(status)}`);
    } finally {
      this.executing = false;
      this.lastPong = Math.max(this.lastPong, Date.now() - this.options.heartbeatIntervalMs);
      this.pending.delete(header.msg_id);
    }
  }

  /** Asks the kernel to stop (shutdown_request on control), then terminates and kills it if it lingers; closes the sockets. */
  async shutdown(graceMs = 2_000): Promise<void> {
    if (this.closed) return;
    if (this.alive && this.child.exitCode === null) {
      try {
        const header = newHeader('shutdown_request', this.session);
        const reply = this.waitReply(header.msg_id, graceMs);
        await Promise.race([
          this.control.send(encodeMessage(this.info.key, header, { restart: false })),
          sleep(graceMs),
        ]);
        await reply;
      } catch {
        // fall through to signals
      }
      await this.waitExit(graceMs);
      if (this.child.exitCode === null && this.child.signalCode === null) {
        this.child.kill('SIGTERM');
        await this.waitExit(1_000);
      }
      if (this.child.exitCode === null && this.child.signalCode === null) {
        this.child.kill('SIGKILL');
        await this.waitExit(1_000);
      }
    } else if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.waitExit(1_000);
    }
    this.closed = true;
    this.markDead('the kernel was shut down');
    if (this.hbTimer) clearInterval(this.hbTimer);
    for (const s of [this.shell, this.control, this.iopub, this.hb]) s.close();
    live.delete(this.child);
    await fsp.rm(path.dirname(this.connectionFile), { recursive: true, force: true });
    liveDirs.delete(path.dirname(this.connectionFile));
  }

  private waitExit(ms: number): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.exitWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
