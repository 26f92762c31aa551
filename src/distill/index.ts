/** Progressive distillation, simulated on the toy mixture (students are RBF ridge regressions). */
export * from './rbfRegression.js';
export * from './progressive.js';
export * from './curve.js';
export * from './consistency.js';
