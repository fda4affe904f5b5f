export * from './api-error.ts';
export * from './app.ts';
export * from './expanders.ts';
export * from './idempotency.ts';
export * from './keys.ts';
export * from './limits.ts';
export * from './schemas.ts';
