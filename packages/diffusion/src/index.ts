export * from './denoiser.ts';
export * from './noise.ts';
export * from './resize.ts';
export * from './samplers.ts';
export * from './schedule.ts';
export * from './tensor.ts';
