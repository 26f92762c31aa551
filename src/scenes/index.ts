export * from './scene.js';
