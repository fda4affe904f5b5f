export * from './cascade.ts';
export * from './domain.ts';
export * from './errors.ts';
export * from './generate.ts';
export * from './image.ts';
export * from './job.ts';
export * from './previews.ts';
export * from './stage.ts';
