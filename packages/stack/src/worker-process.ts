/**
 * A stage worker process: polls one stage queue until SIGTERM. Model work blocks this
 * process's event loop, never the API's. Run: node --import tsx worker-process.ts base|relay|decode
 */
import { configFromEnv, SqsQueue, STAGE_QUEUES, type StageQueue } from '@baton/aws';
import { jsonLogger, Poller, StageWorker, WebhookSender } from '@baton/jobs';
import { defaultCascade } from '@baton/pipeline';
import { wire } from './wiring.ts';

const stage = process.argv[2] as StageQueue;
if (!STAGE_QUEUES.includes(stage)) {
  console.error(`usage: worker-process.ts ${STAGE_QUEUES.join('|')}`);
  process.exit(2);
}
const config = configFromEnv();
const { jobs, enqueue } = wire(config);
const log = jsonLogger({ service: 'worker', queue: stage, pid: process.pid });
const worker = new StageWorker({
  jobs,
  enqueue,
  cascade: defaultCascade,
  log,
  webhooks: new WebhookSender({
    store: jobs.store,
    ...(process.env.BATON_WEBHOOK_BACKOFF_MS && {
      backoffMs: process.env.BATON_WEBHOOK_BACKOFF_MS.split(',').map(Number),
    }),
  }),
  progressIntervalMs: Number(process.env.BATON_PROGRESS_MS ?? 250),
  cancelCheckIntervalMs: Number(process.env.BATON_CANCEL_CHECK_MS ?? 500),
});
// A crash says why before the stack restarts the process (its message returns after the visibility timeout).
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (e) => {
    log('worker.crash', { event, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    process.exit(1);
  });
}
const abort = new AbortController();
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    log('worker.stopping', { signal: sig });
    abort.abort();
  });
}
const poller = new Poller({
  queue: new SqsQueue(config, config.queues[stage]),
  worker,
  log,
  batchSize: Number(process.env.BATON_BATCH_SIZE ?? 8),
  // The local SQS answers a long poll only when it ends: short polls keep stage hand-offs fast.
  waitSeconds: Number(process.env.BATON_WAIT_SECONDS ?? 0),
  idleDelayMs: Number(process.env.BATON_IDLE_DELAY_MS ?? 30),
  visibilityTimeoutSeconds: Number(process.env.BATON_VISIBILITY_SECONDS ?? 30),
  retryDelaySeconds: Number(process.env.BATON_RETRY_DELAY_SECONDS ?? 1),
  signal: abort.signal,
});
// Load the models before taking work, so the first job does not pay the cold start.
await (await defaultCascade()).family.warm();
log('worker.ready');
process.send?.({ ready: stage });
await poller.run();
process.exit(0);
