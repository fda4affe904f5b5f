/**
 * A stage worker as the entry points build it, and the long-running process around a
 * poller (the local stack's worker processes and the GPU container): one place for the
 * settings, from the configuration (@baton/config: BATON_PROGRESS_MS, BATON_BATCH_SIZE, …)
 * over per-deployment defaults.
 *
 * A subpath of its own (`@baton/worker/stage-process`): it loads the model runtime, which the
 * Lambda handlers for dead letters and webhook retries need not.
 */
import { type AwsConfig, SqsQueue, type StageQueue } from '@baton/aws';
import { type Config, config as processConfig } from '@baton/config';
import { defaultCascade } from '@baton/pipeline';
import { shapesDomain } from '@baton/shapes';
import { connectWorker } from './connect.ts';
import type { Logger } from './logger.ts';
import { emfLine } from './metrics.ts';
import { Poller, type PollerOptions } from './poller.ts';
import { TaskProtection } from './task-protection.ts';
import { StageWorker } from './worker.ts';

export interface StageWorkerSetup {
  config: AwsConfig;
  log: Logger;
  /** The process's configuration by default. */
  settings?: Config;
  /** Write CloudWatch EMF metric lines to stdout (in AWS). */
  metrics?: boolean;
  /** Price of one compute-second where this worker runs (Lambda's by default). */
  pricePerComputeSecond?: number;
}

/** The model family's domain: its image codec is what the decode stage writes. */
const cascade = () => defaultCascade(shapesDomain);

/** The stage worker every entry point runs: the default model, the bucket, the queues. */
export function createStageWorker(o: StageWorkerSetup): StageWorker {
  const c = o.settings ?? processConfig();
  const backoff = c.BATON_WEBHOOK_BACKOFF_MS;
  const { jobs, enqueue, webhooks } = connectWorker(o.config, backoff ? { webhookBackoffMs: backoff } : {});
  return new StageWorker({
    jobs,
    enqueue,
    cascade,
    ...(o.pricePerComputeSecond !== undefined && { pricePerComputeSecond: o.pricePerComputeSecond }),
    log: o.log,
    webhooks,
    progressIntervalMs: c.BATON_PROGRESS_MS,
    cancelCheckIntervalMs: c.BATON_CANCEL_CHECK_MS,
    ...(o.metrics && { onMetrics: (m) => process.stdout.write(`${emfLine(m)}\n`) }),
  });
}

export type PollerDefaults = Pick<
  PollerOptions,
  | 'batchSize'
  | 'waitSeconds'
  | 'visibilityTimeoutSeconds'
  | 'heartbeatSeconds'
  | 'retryDelaySeconds'
  | 'idleDelayMs'
  | 'graceMs'
>;

/** A deployment's poller defaults, each overridden by its variable when set. */
export function pollerSettings(c: Config, defaults: PollerDefaults): PollerDefaults {
  const set = {
    batchSize: c.BATON_BATCH_SIZE,
    waitSeconds: c.BATON_WAIT_SECONDS,
    visibilityTimeoutSeconds: c.BATON_VISIBILITY_SECONDS,
    heartbeatSeconds: c.BATON_HEARTBEAT_SECONDS,
    retryDelaySeconds: c.BATON_RETRY_DELAY_SECONDS,
    idleDelayMs: c.BATON_IDLE_DELAY_MS,
    graceMs: c.BATON_GRACE_MS,
  };
  return { ...defaults, ...Object.fromEntries(Object.entries(set).filter(([, v]) => v !== undefined)) };
}

export interface StageProcessOptions extends StageWorkerSetup {
  stage: StageQueue;
  /** Poller settings of this deployment; BATON_* variables override them. */
  defaults: PollerDefaults;
  /** Called once the models are loaded, before the first receive. */
  onReady?: () => void;
}

/**
 * Polls one stage queue until SIGTERM or SIGINT: stop receiving, finish the batch in hand
 * (or give it back when the grace period runs out), then return.
 */
export async function runStageProcess(o: StageProcessOptions): Promise<void> {
  const c = o.settings ?? processConfig();
  const abort = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      o.log('worker.stopping', { signal: sig });
      abort.abort();
    });
  }
  const protection = new TaskProtection(c.ECS_AGENT_URI ?? '', o.log);
  const poller = new Poller({
    queue: new SqsQueue(o.config, o.config.queues[o.stage]),
    worker: createStageWorker(o),
    log: o.log,
    ...pollerSettings(c, o.defaults),
    signal: abort.signal,
    // In an ECS task: no scale-in while this task holds messages.
    ...(c.ECS_AGENT_URI && { onBusy: (busy: boolean) => protection.set(busy) }),
  });
  // Load the models before taking work, so the first job does not pay the cold start.
  await (await cascade()).family.warm();
  o.log('worker.ready');
  o.onReady?.();
  await poller.run();
}
