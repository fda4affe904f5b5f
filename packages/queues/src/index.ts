export * from './consumer.ts';
export * from './lambda.ts';
export * from './lookahead.ts';
export * from './poll.ts';
