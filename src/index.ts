/** fewstep: the library the course notebooks import. Everything public is re-exported here. */
export * from './core/index.js';
export * from './schedules/index.js';
export * from './samplers/index.js';
export * from './scenes/index.js';
export * from './toy/index.js';
export * from './pareto/index.js';
export * from './bench/index.js';
export * from './metrics/index.js';
export * from './onnx/index.js';
export * from './plots/index.js';
export * from './image/index.js';
export * from './evaluation/index.js';
export * from './quality/index.js';
export * from './published/index.js';
export * from './course/index.js';
export * from './distill/index.js';
