export * from './consumer.ts';
export * from './lambda.ts';
export * from './poll.ts';
