/**
 * The one source of defaults. Every variable's own default is in its schema (variables.ts);
 * DEFAULTS is the configuration with nothing set, what a library falls back to when its caller
 * passes nothing. A few defaults depend on where Baton runs (the variables marked "per
 * deployment"): an entry point says which deployment it is, and `forDeployment` fills them.
 */
import { type Config, readConfig } from './config.ts';

export const DEFAULTS: Config = readConfig({});

type PerDeployment = Partial<
  Pick<
    Config,
    | 'BATON_SYNC_WAIT_MS'
    | 'BATON_BATCH_POLL_SECONDS'
    | 'BATON_BATCH_SIZE'
    | 'BATON_WAIT_SECONDS'
    | 'BATON_VISIBILITY_SECONDS'
    | 'BATON_HEARTBEAT_SECONDS'
    | 'BATON_RETRY_DELAY_SECONDS'
    | 'BATON_IDLE_DELAY_MS'
    | 'BATON_FAIR_LOOKAHEAD'
    | 'BATON_STREAM_MAX_SECONDS'
    | 'BATON_GRACE_MS'
  >
>;

export const DEPLOYMENT_DEFAULTS = {
  /** npm start: the API, the consumers and three worker processes on one machine. */
  local: {
    BATON_SYNC_WAIT_MS: 60_000,
    BATON_BATCH_POLL_SECONDS: 1,
    BATON_BATCH_SIZE: 8,
    // Long polls, as in AWS: the local SQS answers one as soon as a message is there (sqs-patches.ts).
    BATON_WAIT_SECONDS: 20,
    BATON_IDLE_DELAY_MS: 0,
    BATON_VISIBILITY_SECONDS: 30,
    BATON_RETRY_DELAY_SECONDS: 1,
    BATON_GRACE_MS: 20_000,
    // The local SQS has no fair queues: the worker reads ahead and takes turns itself.
    BATON_FAIR_LOOKAHEAD: 32,
    BATON_STREAM_MAX_SECONDS: 3_600,
  },
  /** AWS Lambda: the API behind a function URL (its 30 s limit) and the queue subscribers. */
  lambda: {
    BATON_SYNC_WAIT_MS: 25_000,
    BATON_BATCH_POLL_SECONDS: 10,
    // The API function's timeout (infra/api.ts) less 5 s: infra sets it from the timeout it gives.
    BATON_STREAM_MAX_SECONDS: 25,
  },
  /** The GPU container: a long-running poller on one stage queue. */
  container: {
    BATON_BATCH_SIZE: 8,
    BATON_WAIT_SECONDS: 20,
    BATON_IDLE_DELAY_MS: 0,
    BATON_VISIBILITY_SECONDS: 120,
    BATON_HEARTBEAT_SECONDS: 30,
    BATON_RETRY_DELAY_SECONDS: 2,
    BATON_GRACE_MS: 25_000,
    // SQS fair queues take turns between tenants (MessageGroupId); holding messages here would
    // keep them from the service's other tasks.
    BATON_FAIR_LOOKAHEAD: 0,
  },
} as const satisfies Record<string, PerDeployment>;

export type Deployment = keyof typeof DEPLOYMENT_DEFAULTS;

/** A configuration whose per-deployment variables for `D` are filled. */
export type DeploymentConfig<D extends Deployment> = Config & {
  [K in keyof (typeof DEPLOYMENT_DEFAULTS)[D]]-?: number;
};

/** The configuration with the deployment's defaults wherever a variable was left unset. */
export function forDeployment<D extends Deployment>(c: Config, deployment: D): DeploymentConfig<D> {
  const filled: Record<string, unknown> = { ...c };
  for (const [k, v] of Object.entries(DEPLOYMENT_DEFAULTS[deployment])) filled[k] ??= v;
  return filled as DeploymentConfig<D>;
}

/** "local 60000, lambda 25000": a variable's per-deployment defaults, for its documentation. */
export function deploymentDefaultsOf(name: string): string {
  return Object.entries(DEPLOYMENT_DEFAULTS)
    .flatMap(([d, values]) => (name in values ? [`${d} ${(values as Record<string, number>)[name]}`] : []))
    .join(', ');
}
