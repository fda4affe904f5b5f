export * from './config.ts';
export * from './deployments.ts';
export * from './local-home.ts';
export * from './table.ts';
export * from './variables.ts';
