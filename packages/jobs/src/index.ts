export * from './dead-letter.ts';
export * from './job-store.ts';
export * from './lambda.ts';
export * from './logger.ts';
export * from './metrics.ts';
export * from './poller.ts';
export * from './records.ts';
export * from './worker.ts';
