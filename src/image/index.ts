export * from './tensorPng.js';
export * from './grid.js';
