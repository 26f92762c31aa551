export * from './sceneEvaluator.js';
export * from './clipScore.js';
