/**
 * Every prefix the bucket holds, and how long objects under it live. A test checks that every
 * prefix the code writes (the job model's `keys`) has a rule here, except API keys, which live
 * until revoked by design.
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
  {
    prefix: 'jobs/',
    days: config.expireImagesDays,
    why: 'requests, records, progress, webhook logs: as long as the image',
  },
  {
    prefix: 'active/',
    days: config.expireImagesDays,
    why: 'markers of unfinished jobs (removed when they finish)',
  },
  { prefix: 'owners/', days: config.expireImagesDays, why: 'per-key job listings and the quota ledger' },
  {
    prefix: 'idempotency/',
    days: 2,
    why: 'Idempotency-Key claims (a key is meant for retries within a day)',
  },
  { prefix: 'usage/', days: config.expireUsageDays, why: 'the usage ledger: kept for billing' },
  { prefix: 'usage-daily/', days: config.expireUsageDays, why: 'daily usage roll-ups' },
  { prefix: 'files/', days: config.expireBatchesDays, why: 'batch input and output files' },
  {
    prefix: 'batches/',
    days: config.expireBatchesDays,
    why: 'batch records, line outcomes, the S3 inbox and outbox, intake markers',
  },
  { prefix: 'events/', days: config.expireImagesDays, why: 'markers of events already published' },
];

/** Prefixes with no expiry, on purpose. */
export const KEPT = ['keys/'];
