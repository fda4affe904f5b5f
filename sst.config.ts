/// <reference path="./.sst/platform/config.d.ts" />
/**
 * Baton on AWS. Each concern lives in infra/: storage (bucket), queues (stage queues and
 * dead-letter queues), workers (Lambda subscribers, profile cpu), gpu (ECS on EC2 GPU
 * instances, profile gpu), api (Hono behind a function URL and a Router), pipelines (the Batch
 * API's worker, the S3 inbox, job events on EventBridge).
 * Knobs: infra/config.ts and docs/deploy.md.
 */
export default $config({
  app(input) {
    return { name: 'baton', removal: input?.stage === 'production' ? 'retain' : 'remove', home: 'aws' };
  },
  async run() {
    const { bucket, table } = await import('./infra/storage');
    const { queues, deadLetterQueues, webhookQueue } = await import('./infra/queues');
    await import('./infra/workers');
    await import('./infra/gpu');
    const { router } = await import('./infra/api');
    const { batch, intake, events } = await import('./infra/queues');
    const { bus } = await import('./infra/pipelines');
    return {
      api: router.url,
      bucket: bucket.name,
      stateTable: table.name,
      baseQueue: queues.base.url,
      relayQueue: queues.relay.url,
      decodeQueue: queues.decode.url,
      deadLetterQueues: [deadLetterQueues.base.url, deadLetterQueues.relay.url, deadLetterQueues.decode.url],
      webhookQueue: webhookQueue.url,
      batchQueue: batch.queue.url,
      intakeQueue: intake.queue.url,
      eventsQueue: events.queue.url,
      eventBus: bus.name,
    };
  },
});
