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
import type { Config, DeploymentConfig } from '@baton/config';
import { modelSettings, openCascade } from '@baton/domains/cascade';
import type { Cascade } from '@baton/pipeline';
import { pollQueue } from '@baton/queues';
import { connectWorker, webhookSettings } from './connect.ts';
import { stageConsumer } from './consumers.ts';
import type { Logger } from './logger.ts';
import { emfLine } from './metrics.ts';
import { TaskProtection } from './task-protection.ts';
import { StageWorker } from './worker.ts';

export interface StageWorkerSetup {
  config: AwsConfig;
  log: Logger;
  /** The process's configuration, resolved once by the entry point. */
  settings: Config;
  /** Write CloudWatch EMF metric lines to stdout (in AWS). */
  metrics?: boolean;
  /** Price of one compute-second where this worker runs (Lambda's by default). */
  pricePerComputeSecond?: number;
}

/**
 * The configured model family, with the domain its manifest names (its codec is what the decode
 * stage writes): opened once per process (a batch does not read the manifest again: four file
 * system round trips on its path), again only after a failed open.
 */
const cascadeOf = (c: Config) => {
  const { dir, options } = modelSettings(c);
  let opened: Promise<Cascade> | undefined;
  return () => {
    opened ??= openCascade(dir, options);
    opened.catch(() => {
      opened = undefined;
    });
    return opened;
  };
};

/**
 * Loads a stage's model sessions now (a process's or a Lambda's init), so that its first job
 * does not pay for them. Sessions are cached per process: the worker's cascade finds them loaded.
 */
export async function warmStage(c: Config, stage: StageQueue): Promise<void> {
  const cascade = await cascadeOf(c)();
  await cascade.family.warm(cascade.componentsOf(stage));
}

/** The stage worker every entry point runs: the default model, the bucket, the queues. */
export function createStageWorker(o: StageWorkerSetup): StageWorker {
  const c = o.settings;
  const { jobs, enqueue, webhooks } = connectWorker(o.config, webhookSettings(c));
  return new StageWorker({
    jobs,
    enqueue,
    cascade: cascadeOf(c),
    ...(o.pricePerComputeSecond !== undefined && { pricePerComputeSecond: o.pricePerComputeSecond }),
    log: o.log,
    webhooks,
    progressIntervalMs: c.BATON_PROGRESS_MS,
    cancelCheckIntervalMs: c.BATON_CANCEL_CHECK_MS,
    ...(o.metrics && { onMetrics: (m) => process.stdout.write(`${emfLine(m)}\n`) }),
  });
}

/** A long-running stage process's configuration: its deployment's poller settings filled (`forDeployment`). */
export type StageProcessConfig = DeploymentConfig<'local'> | DeploymentConfig<'container'>;

export interface StageProcessOptions extends StageWorkerSetup {
  stage: StageQueue;
  settings: StageProcessConfig;
  /** Called once the models are loaded, before the first receive. */
  onReady?: () => void;
}

/**
 * Polls one stage queue until SIGTERM or SIGINT: stop receiving, finish the batch in hand
 * (or give it back when the grace period runs out), then return.
 */
export async function runStageProcess(o: StageProcessOptions): Promise<void> {
  const c = o.settings;
  const abort = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      o.log('worker.stopping', { signal: sig });
      abort.abort();
    });
  }
  const protection = new TaskProtection(c.ECS_AGENT_URI ?? '', o.log);
  const consumer = stageConsumer(createStageWorker(o), {
    batchSize: c.BATON_BATCH_SIZE,
    visibilityTimeoutSeconds: c.BATON_VISIBILITY_SECONDS,
    retryDelaySeconds: c.BATON_RETRY_DELAY_SECONDS,
  });
  // Load this stage's models before taking work, so the first job does not pay the cold start.
  await warmStage(c, o.stage);
  o.log('worker.ready');
  o.onReady?.();
  // Interactive work first: the stage's batch lane (if any) is read only when its queue is empty.
  const lane = o.config.lanes?.[o.stage];
  const queues = [o.config.queues[o.stage], ...(lane ? [lane] : [])].map(
    (url) => new SqsQueue(o.config, url),
  );
  await pollQueue(queues, consumer, {
    waitSeconds: c.BATON_WAIT_SECONDS,
    idleDelayMs: c.BATON_IDLE_DELAY_MS,
    graceMs: c.BATON_GRACE_MS,
    lookahead: c.BATON_FAIR_LOOKAHEAD,
    ...(c.BATON_HEARTBEAT_SECONDS !== undefined && { heartbeatSeconds: c.BATON_HEARTBEAT_SECONDS }),
    signal: abort.signal,
    log: o.log,
    // In an ECS task: no scale-in while this task holds messages.
    ...(c.ECS_AGENT_URI && { onBusy: (busy: boolean) => protection.set(busy) }),
  });
}
