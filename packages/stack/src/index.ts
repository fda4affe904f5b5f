export * from './local-aws.ts';
export * from './stack.ts';
