/** Diffusion on Gaussian mixtures with an exact denoiser, PF-ODE paths, distances, and the simulated-denoising picture. */
export * from './mixture.js';
export * from './denoiser.js';
export * from './pfOde.js';
export * from './modelAdapter.js';
export * from './wasserstein.js';
export * from './mmd.js';
export * from './simulatedDenoising.js';
