/**
 * Times the smoke notebook end to end (kernel start, all cells, shutdown) two ways: through the
 * fewstep runner (zeromq straight to tslab) and through `scripts/nbconvert-smoke.sh` (Jupyter's
 * nbconvert + nbclient + jupyter_client in Python). Prints both.
 *
 *   node dist/cli/benchNotebooks.js [--repeats <n>] [--no-nbconvert]
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { defineCli, parseCli, parseIntegerArg, runCli } from './args.js';
import { requireInteger } from '../core/errors.js';
import { packageRoot } from '../core/packageRoot.js';
import { runNotebook } from '../runner/index.js';

/** Options of `benchNotebooks`. */
export interface BenchNotebooksOptions {
  /** Runs per method (default 3); the median is reported. */
  repeats?: number;
  /** Also time scripts/nbconvert-smoke.sh (default true). */
  nbconvert?: boolean;
  /** Repository root (default: two levels above this compiled file). */
  root?: string;
  /** Where lines go (default console.log). */
  log?: (line: string) => void;
}

/** Median wall times (ms) per method; `nbconvertMs` is undefined when skipped or failed. */
export interface BenchNotebooksResult {
  runnerMs: number[];
  runnerMedianMs: number;
  nbconvertMs?: number[];
  nbconvertMedianMs?: number;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Runs notebooks/00-smoke.ipynb `repeats` times through `runNotebook` and through the nbconvert
 * script, and prints each run and the medians. Throws if the runner fails; a failing nbconvert
 * run is printed and left out.
 */
export async function benchNotebooks(options: BenchNotebooksOptions = {}): Promise<BenchNotebooksResult> {
  const repeats = requireInteger('repeats', options.repeats ?? 3, 1, 100);
  const root = options.root ?? packageRoot();
  const log = options.log ?? ((l: string) => console.log(l));
  const notebook = path.join(root, 'notebooks', '00-smoke.ipynb');
  log(
    `benchNotebooks: ${path.relative(root, notebook)}, ${repeats} run(s) per method, ${os.cpus().length} CPU(s), load ${os.loadavg()[0].toFixed(1)}`,
  );

  const runnerMs: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    const r = await runNotebook(notebook, { cellTimeoutS: 120 });
    const ms = performance.now() - t0;
    runnerMs.push(ms);
    const cells = r.cellMs.reduce<number>((a, b) => a + (b ?? 0), 0);
    log(
      `  runner    #${i + 1}: ${(ms / 1000).toFixed(2)} s (kernel start ${(r.startMs / 1000).toFixed(2)} s, cells ${(cells / 1000).toFixed(2)} s)`,
    );
  }
  const result: BenchNotebooksResult = { runnerMs, runnerMedianMs: median(runnerMs) };

  if (options.nbconvert ?? true) {
    const script = path.join(root, 'scripts', 'nbconvert-smoke.sh');
    const nbconvertMs: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      const ran = spawnSync('bash', [script], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, OUT_DIR: path.join(root, 'out', 'nbconvert-bench') },
      });
      const ms = performance.now() - t0;
      if (ran.status !== 0) {
        log(
          `  nbconvert #${i + 1}: FAILED (exit ${ran.status}): ${(ran.stderr || ran.stdout || '').trim().split('\n').slice(-3).join(' | ')}`,
        );
        break;
      }
      nbconvertMs.push(ms);
      log(`  nbconvert #${i + 1}: ${(ms / 1000).toFixed(2)} s (includes registering the kernel into a temp dir)`);
    }
    if (nbconvertMs.length) {
      result.nbconvertMs = nbconvertMs;
      result.nbconvertMedianMs = median(nbconvertMs);
    }
  }
  log(
    `  median: runner ${(result.runnerMedianMs / 1000).toFixed(2)} s` +
      (result.nbconvertMedianMs !== undefined
        ? `, nbconvert ${(result.nbconvertMedianMs / 1000).toFixed(2)} s`
        : ', nbconvert not measured'),
  );
  return result;
}

/** The command line of `node dist/cli/benchNotebooks.js`. */
export const BENCH_NOTEBOOKS_CLI = defineCli({
  command: 'node dist/cli/benchNotebooks.js',
  summary: 'Times running a notebook with the project runner and with nbconvert.',
  options: {
    repeats: { type: 'string', value: 'N', help: 'runs of each, 1..1000' },
    'no-nbconvert': { type: 'boolean', help: 'do not time nbconvert' },
  },
});

if (require.main === module) {
  // Ctrl-C, kill, hang-up: leave through process.exit so the runner's exit hook kills the kernel.
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)
    process.on(signal, () => process.exit(code));
  runCli('benchNotebooks', async () => {
    const { values } = parseCli(BENCH_NOTEBOOKS_CLI, process.argv.slice(2));
    const repeats = values.repeats === undefined ? undefined : parseIntegerArg('--repeats', values.repeats, 1, 1000);
    await benchNotebooks({ repeats, nbconvert: !values['no-nbconvert'] });
  });
}
