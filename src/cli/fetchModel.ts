/**
 * `npm run fetch-model -- <repo id | registry name> [--revision R] [--subfolder S] [--include GLOB]...
 *  [--name N] [--models-dir D]`: downloads an ONNX pipeline from the hub (HF_ENDPOINT, HF_TOKEN) into
 * models/<name>/, resumably and hash-checked (see src/onnx/download.ts).
 */
import { InvalidArgumentError } from '../core/errors.js';
import { fetchModel, type FetchModelOptions } from '../onnx/download.js';
import { findKnownModel, KNOWN_MODELS } from '../onnx/registry.js';

const USAGE = `usage: npm run fetch-model -- <owner/repo | ${KNOWN_MODELS.map((m) => m.name).join(' | ')}> [--revision R] [--subfolder S] [--include GLOB]... [--name N] [--models-dir D]`;

/** Parses the command line into the repo and fetchModel options; registry names fill in repo, revision, subfolder and name. */
export function parseFetchModelArgs(argv: string[]): { repo: string; options: FetchModelOptions } {
  const options: FetchModelOptions = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v.startsWith('--')) throw new InvalidArgumentError(flag, v, `a value after ${flag}`);
      return v;
    };
    switch (flag) {
      case '--revision': options.revision = value(); break;
      case '--subfolder': options.subfolder = value(); break;
      case '--include': (options.include ??= []).push(value()); break;
      case '--name': options.name = value(); break;
      case '--models-dir': options.modelsDir = value(); break;
      default:
        if (flag.startsWith('--')) throw new InvalidArgumentError('option', flag, '--revision, --subfolder, --include, --name, --models-dir');
        positional.push(arg);
    }
  }
  if (positional.length !== 1) throw new InvalidArgumentError('repo', positional.join(' ') || undefined, `exactly one repo id or registry name; ${USAGE}`);
  const known = findKnownModel(positional[0]);
  if (known) {
    options.revision ??= known.revision;
    options.subfolder ??= known.subfolder;
    options.name ??= known.name;
    return { repo: known.repo, options };
  }
  return { repo: positional[0], options };
}

async function main(): Promise<void> {
  const { repo, options } = parseFetchModelArgs(process.argv.slice(2));
  let lastPrint = 0;
  const { dir, files } = await fetchModel(repo, {
    ...options,
    log: (line) => console.log(`fetch ${line}`),
    onProgress: (received, total) => {
      const now = Date.now();
      if (now - lastPrint > 2000 && process.stdout.isTTY) {
        lastPrint = now;
        process.stdout.write(`  ${(received / 1e6).toFixed(1)}${total ? ` / ${(total / 1e6).toFixed(1)}` : ''} MB\r`);
      }
    },
  });
  const downloaded = files.filter((f) => f.status === 'downloaded').length;
  console.log(`${repo} -> ${dir}: ${downloaded} downloaded, ${files.length - downloaded} already present and verified`);
}

if (require.main === module) {
  main().catch((e: Error) => {
    console.error(`fetch-model: ${e.message}`);
    process.exitCode = 1;
  });
}
