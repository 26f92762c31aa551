/** `npm run setup:cuda`: installs ONNX Runtime's CUDA provider for onnxruntime-node (see src/onnx/cudaSetup.ts). */
import { setupCuda } from '../onnx/cudaSetup.js';
import { defineCli, parseCli, runCli } from './args.js';

/** The command line of `npm run setup:cuda` (no options besides --help). */
export const SETUP_CUDA_CLI = defineCli({
  command: 'npm run setup:cuda --',
  summary:
    "Installs ONNX Runtime's CUDA provider libraries for onnxruntime-node (NuGet through its installer, else the npm package that ships them).",
  options: {},
});

if (require.main === module) {
  runCli('setup:cuda', async () => {
    parseCli(SETUP_CUDA_CLI, process.argv.slice(2));
    const { route, files } = await setupCuda({ log: (line) => console.log(`setup:cuda ${line}`) });
    console.log(`setup:cuda installed via ${route}:\n  ${files.join('\n  ')}`);
    console.log(
      'the CUDA provider also needs the CUDA 12/13 runtime and cuDNN 9 on the loader path (npm run doctor lists them)',
    );
  });
}
