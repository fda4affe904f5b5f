/**
 * Every prefix the bucket holds (bytes only: state is in the table, which expires items by
 * TTL), and how long objects under it live. A test checks that every prefix the code writes
 * (the job model's `keys`) has a rule here.
 */

export interface LifecycleRule {
  prefix: string;
  days: number;
  why: string;
}

export interface Lifetimes {
  expireBatchesDays: number;
  expireLatentsDays: number;
  expireImagesDays: number;
  expireUsageDays: number;
}

export const lifecycle = (config: Lifetimes): LifecycleRule[] => [
  {
    prefix: 'latents/',
    days: config.expireLatentsDays,
    why: 'intermediate latents: needed only while the job runs',
  },
  { prefix: 'images/', days: config.expireImagesDays, why: 'the results' },
  { prefix: 'jobs/', days: config.expireImagesDays, why: 'partial images (previews): as long as the image' },
  { prefix: 'files/', days: config.expireBatchesDays, why: 'batch input and output files' },
  {
    prefix: 'batches/',
    days: config.expireBatchesDays,
    why: 'the S3 inbox and outbox',
  },
];

/** Prefixes with no expiry, on purpose (none: state, API keys included, is in the table). */
export const KEPT: string[] = [];
