export * from './api-error.ts';
export * from './app.ts';
export * from './expanders.ts';
export * from './openapi.ts';
