export * from './connect.ts';
export * from './errors.ts';
export * from './job-store.ts';
export * from './message.ts';
export * from './quota.ts';
export * from './records.ts';
export * from './webhook.ts';
export * from './webhook-address.ts';
