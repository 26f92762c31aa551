export * from './psnr.js';
export * from './ssim.js';
export * from './frechet.js';
export * from './edgeEnergy.js';
