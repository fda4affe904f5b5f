// The SDK warns at every start on Node 20 about its releases of 2027; the lock file pins
// versions that support Node 20, so the warning is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export * from './blob-store.ts';
export * from './config.ts';
export * from './errors.ts';
export * from './event-bus.ts';
export * from './memory-store.ts';
export * from './memory-table.ts';
export * from './queue.ts';
export * from './state-table.ts';
export * from './table-definition.ts';
