export * from './job-store.ts';
export * from './logger.ts';
export * from './poller.ts';
export * from './records.ts';
export * from './worker.ts';
export * from './dead-letter.ts';
export * from './lambda.ts';
export * from './metrics.ts';
