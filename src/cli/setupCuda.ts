/** `npm run setup:cuda`: installs ONNX Runtime's CUDA provider for onnxruntime-node (see src/onnx/cudaSetup.ts). */
import { setupCuda } from '../onnx/cudaSetup.js';

if (require.main === module) {
  setupCuda({ log: (line) => console.log(`setup:cuda ${line}`) })
    .then(({ route, files }) => {
      console.log(`setup:cuda installed via ${route}:\n  ${files.join('\n  ')}`);
      console.log('the CUDA provider also needs the CUDA 12/13 runtime and cuDNN 9 on the loader path (npm run doctor lists them)');
    })
    .catch((e: Error) => {
      console.error(`setup:cuda: ${e.message}`);
      process.exitCode = 1;
    });
}
