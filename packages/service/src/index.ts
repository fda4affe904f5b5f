export * from './continue.ts';
export * from './expanders.ts';
export * from './invalid-request.ts';
export * from './keys.ts';
export * from './links.ts';
export * from './plan.ts';
export * from './presenter.ts';
export * from './schemas.ts';
