export * from './graph-probe.ts';
export * from './manifest.ts';
export { checkFeeds, FeedError, type LoadOptions, ModelFamily, type RunStats } from './model-family.ts';
export * from './provider.ts';
