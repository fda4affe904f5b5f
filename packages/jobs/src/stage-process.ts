/**
 * A stage worker as the entry points build it, and the long-running process around a
 * poller (the local stack's worker processes and the GPU container): one place for the
 * settings, read from the environment with per-deployment defaults.
 *
 * BATON_PROGRESS_MS, BATON_CANCEL_CHECK_MS   progress writes / cancel checks between steps (throttle)
 * BATON_WEBHOOK_BACKOFF_MS                   webhook retry delays (ms), comma-separated
 * BATON_BATCH_SIZE, BATON_WAIT_SECONDS       messages per receive (1…10), long-poll wait
 * BATON_VISIBILITY_SECONDS, BATON_HEARTBEAT_SECONDS, BATON_RETRY_DELAY_SECONDS,
 * BATON_IDLE_DELAY_MS, BATON_GRACE_MS        see PollerOptions
 *
 * A subpath of its own (`@baton/jobs/stage-process`): it loads the model runtime, which the
 * API, importing `@baton/jobs`, must not.
 */
import { type AwsConfig, SqsQueue, type StageQueue } from '@baton/aws';
import { defaultCascade } from '@baton/pipeline';
import type { Logger } from './logger.ts';
import { emfLine } from './metrics.ts';
import { Poller, type PollerOptions } from './poller.ts';
import { wire } from './wiring.ts';
import { StageWorker } from './worker.ts';

type Env = Record<string, string | undefined>;

const num = (env: Env, name: string, fallback: number) => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a number ≥ 0 but is "${raw}"`);
  return v;
};

export interface StageWorkerSetup {
  config: AwsConfig;
  log: Logger;
  env?: Env;
  /** Write CloudWatch EMF metric lines to stdout (in AWS). */
  metrics?: boolean;
}

/** The stage worker every entry point runs: the default model, the bucket, the queues. */
export function createStageWorker(o: StageWorkerSetup): StageWorker {
  const env = o.env ?? process.env;
  const { jobs, enqueue, webhooks } = wire(o.config, env);
  return new StageWorker({
    jobs,
    enqueue,
    cascade: defaultCascade,
    log: o.log,
    webhooks,
    progressIntervalMs: num(env, 'BATON_PROGRESS_MS', 250),
    cancelCheckIntervalMs: num(env, 'BATON_CANCEL_CHECK_MS', 500),
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

const POLLER_VARIABLES: ReadonlyArray<[keyof PollerDefaults, string]> = [
  ['batchSize', 'BATON_BATCH_SIZE'],
  ['waitSeconds', 'BATON_WAIT_SECONDS'],
  ['visibilityTimeoutSeconds', 'BATON_VISIBILITY_SECONDS'],
  ['heartbeatSeconds', 'BATON_HEARTBEAT_SECONDS'],
  ['retryDelaySeconds', 'BATON_RETRY_DELAY_SECONDS'],
  ['idleDelayMs', 'BATON_IDLE_DELAY_MS'],
  ['graceMs', 'BATON_GRACE_MS'],
];

/** A deployment's poller defaults, each overridden by its BATON_* variable when set. */
export function pollerSettings(env: Env, defaults: PollerDefaults): PollerDefaults {
  const out = { ...defaults };
  for (const [key, name] of POLLER_VARIABLES) if (env[name]) out[key] = num(env, name, 0);
  return out;
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
  const env = o.env ?? process.env;
  const abort = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      o.log('worker.stopping', { signal: sig });
      abort.abort();
    });
  }
  const poller = new Poller({
    queue: new SqsQueue(o.config, o.config.queues[o.stage]),
    worker: createStageWorker(o),
    log: o.log,
    ...pollerSettings(env, o.defaults),
    signal: abort.signal,
  });
  // Load the models before taking work, so the first job does not pay the cold start.
  await (await defaultCascade()).family.warm();
  o.log('worker.ready');
  o.onReady?.();
  await poller.run();
}
