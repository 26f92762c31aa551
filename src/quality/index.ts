export * from './sceneEvaluator.js';
