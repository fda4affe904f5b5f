/**
 * Pipelines: the Batch API's worker, the S3 inbox, and job events on EventBridge.
 * - BatchQueue: a batch's steps (fan-out, settle, finalize), each message one look at one
 *   batch; its subscriber re-enqueues the batch with a delay until it ends.
 * - IntakeQueue: S3 event notifications for objects created under batches/inbox/ (each such
 *   object becomes a batch of the key its prefix names).
 * - EventsQueue → the Events bus: job and batch state changes, published by their own
 *   subscriber so no stage waits on EventBridge; a failed publish is retried, then kept in the DLQ.
 * Every queue has a dead-letter queue.
 */
import { router, serviceLink } from './api';
import { config } from './config';
import { manifestOnly } from './lambda-package';
import { BATCH_STEP_SECONDS, batch, events, intake } from './queues';
import { bucket } from './storage';

export const bus = new sst.aws.Bus('Events');

const link = serviceLink;
const withManifest = {
  runtime: 'nodejs22.x' as const,
  environment: {
    ...manifestOnly.environment,
    BATON_BATCH_IN_FLIGHT: String(config.batchInFlight),
    BATON_BATCH_POLL_SECONDS: '10',
    // Links in event details and S3 outbox results point at the public API (the Router).
    BATON_PUBLIC_URL: router.url,
  },
  // The batch side checks lines against the manifest (sizes, limits), never runs the model.
  copyFiles: manifestOnly.copyFiles,
};

batch.queue.subscribe(
  {
    handler: 'functions/batches/index.handler',
    timeout: `${BATCH_STEP_SECONDS} seconds`,
    memory: '1024 MB',
    link,
    ...withManifest,
  },
  { batch: { size: 1, partialResponses: true } },
);

// Objects created under batches/inbox/ → IntakeQueue (SST adds the queue policy that lets S3 send).
bucket.notify({
  notifications: [
    { name: 'Inbox', queue: intake.queue, events: ['s3:ObjectCreated:*'], filterPrefix: 'batches/inbox/' },
  ],
});
intake.queue.subscribe(
  {
    handler: 'functions/intake/index.handler',
    timeout: `${BATCH_STEP_SECONDS} seconds`,
    memory: '1024 MB',
    link,
    ...withManifest,
  },
  { batch: { size: 5, partialResponses: true } },
);

events.queue.subscribe(
  {
    handler: 'functions/events/index.handler',
    timeout: '60 seconds',
    link: [...link, bus],
    ...withManifest,
  },
  { batch: { size: 10, partialResponses: true } },
);
