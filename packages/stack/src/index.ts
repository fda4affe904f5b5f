export * from './local-aws.ts';
export * from './request-counter.ts';
export * from './stack.ts';
