// ONNX text-to-image: tokenizer, sessions and providers, pipeline (helper-8 adds LoRA, download, registry below).
export * from './float16.js';
export * from './providers.js';
export * from './session.js';
export * from './tokenizer.js';
export * from './vaePng.js';
export * from './pipeline.js';
export * from './modelDefaults.js';
// helper-8: ONNX protobuf editing, LoRA fusing, hub download, registry, CUDA provider install.
export * from './onnxProto.js';
export * from './onnxSchema.js';
export * from './safetensors.js';
export * from './lora.js';
export * from './loraFolder.js';
export * from './imageSet.js';
export * from './download.js';
export * from './registry.js';
export * from './cudaSetup.js';
export * from './previews.js';
