/**
 * `npm run kernel`: registers this project's tslab as the user's "tslab" Jupyter kernel, so
 * JupyterLab / nbconvert run the notebooks with the same tslab the headless runner uses.
 *
 *   npm run kernel -- [--python <python with jupyter_client>]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defineCli, parseCli, reportCliError } from './args.js';
import { packageRoot } from '../core/packageRoot.js';

/** A program and its arguments, to run without a shell. */
export interface Command {
  command: string;
  args: string[];
}

/** The fallback Python (Debian's, which has jupyter_client when the jupyter packages are installed). */
export const DEFAULT_PYTHON = '/usr/bin/python3';

/** Minimal file-system view used to locate Python, injectable for tests. */
export interface PythonLookup {
  /** PATH-like list of folders. */
  pathEnv: string | undefined;
  /** Reads the first bytes of a file; undefined when it does not exist or cannot be read. */
  readHead: (file: string) => string | undefined;
}

const realLookup: PythonLookup = {
  pathEnv: process.env.PATH,
  readHead: (file) => {
    try {
      const fd = fs.openSync(file, 'r');
      try {
        const buf = Buffer.alloc(256);
        const n = fs.readSync(fd, buf, 0, 256, 0);
        return buf.subarray(0, n).toString('utf8');
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return undefined;
    }
  },
};

/**
 * The Python that runs the first `jupyter` on PATH, read from its `#!` line (`#!/usr/bin/python3`,
 * or `#!/usr/bin/env python3` resolved on PATH); DEFAULT_PYTHON when there is no such jupyter.
 */
export function findJupyterPython(lookup: PythonLookup = realLookup): string {
  const dirs = (lookup.pathEnv ?? '').split(path.delimiter).filter((d) => d !== '');
  const onPath = (name: string) => dirs.map((d) => path.join(d, name)).find((f) => lookup.readHead(f) !== undefined);
  const jupyter = onPath('jupyter');
  const head = jupyter ? lookup.readHead(jupyter) : undefined;
  const shebang = head?.startsWith('#!') ? head.slice(2).split('\n')[0].trim().split(/\s+/) : [];
  if (shebang.length === 0) return DEFAULT_PYTHON;
  if (path.basename(shebang[0]) === 'env' && shebang[1]) return onPath(shebang[1]) ?? DEFAULT_PYTHON;
  return shebang[0];
}

/**
 * The `tslab install` command that registers the kernel for the current user, installed with
 * `python`'s jupyter_client. The kernelspec's binary is `bin/fewstep-tslab` (absolute path; Jupyter
 * starts it as `<binary> kernel --config-path <file>`): tslab behind fewstep's kernel process
 * wrapper, which retries zeromq's "Socket is blocked by a bind or unbind operation" start-up race
 * and exits when the Jupyter server that started it is gone.
 */
export function kernelInstallCommand(projectRoot: string, python: string): Command {
  const tslab = path.resolve(projectRoot, 'node_modules', '.bin', 'tslab');
  const binary = path.resolve(projectRoot, 'bin', 'fewstep-tslab');
  return { command: tslab, args: ['install', `--binary=${binary}`, `--python=${python}`, '--user'] };
}

/** The command that prints where the "tslab" kernelspec is installed, using `python`'s jupyter_client. */
export function kernelspecLocationCommand(python: string): Command {
  const code =
    "from jupyter_client.kernelspec import KernelSpecManager as M; print(M().get_kernel_spec('tslab').resource_dir)";
  return { command: python, args: ['-c', code] };
}

/** The command line of `npm run kernel` (src/cli/args.ts parses it). */
export const KERNEL_CLI = defineCli({
  command: 'npm run kernel --',
  summary: 'Registers the tslab TypeScript kernel with Jupyter.',
  options: {
    python: { type: 'string', value: 'python with jupyter_client', help: 'the Python whose Jupyter gets the kernel' },
  },
});

/** Parses `--python <path>`; unknown options throw InvalidArgumentError, --help HelpRequested. */
export function parseKernelArgs(argv: readonly string[], lookup: PythonLookup = realLookup): { python: string } {
  const { values } = parseCli(KERNEL_CLI, argv);
  return { python: values.python ?? findJupyterPython(lookup) };
}

/** CLI entry: runs the install, prints the kernelspec folder and how to open the notebooks. */
export function main(argv: readonly string[] = process.argv.slice(2)): number {
  let python: string;
  try {
    ({ python } = parseKernelArgs(argv));
  } catch (e) {
    return reportCliError('kernel', e);
  }
  const root = packageRoot();
  const install = kernelInstallCommand(root, python);
  console.log(`kernel: ${install.command} ${install.args.join(' ')}`);
  const ran = spawnSync(install.command, install.args, { stdio: 'inherit' });
  if (ran.error || ran.status !== 0) {
    console.error(
      `kernel: tslab install failed (${ran.error?.message ?? `exit code ${ran.status}`}). ` +
        `Does ${python} have jupyter_client? Debian: apt install jupyter-client python3-ipykernel; or pass --python <python>.`,
    );
    return 1;
  }
  const where = kernelspecLocationCommand(python);
  const loc = spawnSync(where.command, where.args, { encoding: 'utf8' });
  const dir = loc.status === 0 ? loc.stdout.trim() : '(unknown: `jupyter kernelspec list` shows it)';
  console.log(`kernel: the "tslab" (TypeScript) kernelspec is in ${dir}`);
  console.log(
    `kernel: it starts ${path.join(root, 'bin', 'fewstep-tslab')} (tslab behind fewstep's kernel wrapper), which needs \`node\` on the PATH Jupyter sees.`,
  );
  console.log(
    'kernel: open the course with `jupyter lab notebooks/` (JupyterLab is not packaged by Debian: `pipx install jupyterlab`),',
  );
  console.log(
    '        pick the "TypeScript" kernel; run `npm run build` after changing src/ (notebooks import ../dist).',
  );
  console.log('        Headless: `npm run lecture`.');
  return 0;
}

if (require.main === module) {
  process.exit(main());
}
