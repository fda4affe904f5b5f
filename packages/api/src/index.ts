export * from './api-error.ts';
export * from './app.ts';
export { type ApiDeps, resolveApi } from './context.ts';
export * from './idempotency.ts';
export * from './limits.ts';
