/**
 * `npm run fetch-model -- <repo id | registry name> [--revision R] [--subfolder S] [--include GLOB]...
 *  [--name N] [--models-dir D]`: downloads an ONNX pipeline from the hub (HF_ENDPOINT, HF_TOKEN) into
 * models/<name>/, resumably and hash-checked (see src/onnx/download.ts).
 */
import { fetchModel, type FetchModelOptions } from '../onnx/download.js';
import { findKnownModel, KNOWN_MODELS } from '../onnx/registry.js';
import { defineCli, parseCli, runCli } from './args.js';

/** The command line of `npm run fetch-model`. */
export const FETCH_MODEL_CLI = defineCli({
  command: 'npm run fetch-model --',
  summary: `Downloads an ONNX text-to-image pipeline from the hub (HF_ENDPOINT, default https://huggingface.co; HF_TOKEN for gated repos) into models/<name>/. Known names: ${KNOWN_MODELS.map((m) => m.name).join(', ')}.`,
  positionals: { name: 'repo', value: 'owner/repo | registry name', min: 1, max: 1 },
  options: {
    revision: { type: 'string', value: 'R', help: "branch, tag or commit (default main, or the registry entry's)" },
    subfolder: { type: 'string', value: 'S', help: 'take only the files under this folder of the repo' },
    include: {
      type: 'string',
      value: 'GLOB',
      multiple: true,
      help: 'files to take (default: the ONNX pipeline files)',
    },
    name: { type: 'string', value: 'N', help: 'local folder name under the models folder' },
    'models-dir': { type: 'string', value: 'D', help: 'where <name>/ goes (default models)' },
  },
});

/** Parses the command line into the repo and fetchModel options; registry names fill in repo, revision, subfolder and name. */
export function parseFetchModelArgs(argv: string[]): { repo: string; options: FetchModelOptions } {
  const { values, positionals } = parseCli(FETCH_MODEL_CLI, argv);
  const options: FetchModelOptions = {};
  if (values.revision !== undefined) options.revision = values.revision;
  if (values.subfolder !== undefined) options.subfolder = values.subfolder;
  if (values.include !== undefined) options.include = values.include;
  if (values.name !== undefined) options.name = values.name;
  if (values['models-dir'] !== undefined) options.modelsDir = values['models-dir'];
  const known = findKnownModel(positionals[0]);
  if (known) {
    options.revision ??= known.revision;
    options.subfolder ??= known.subfolder;
    options.name ??= known.name;
    return { repo: known.repo, options };
  }
  return { repo: positionals[0], options };
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
  runCli('fetch-model', main);
}
