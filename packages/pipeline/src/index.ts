export * from './cascade.ts';
export * from './errors.ts';
export * from './generate.ts';
export * from './job.ts';
