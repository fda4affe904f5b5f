/**
 * Every environment variable Baton reads at run time, with its default, bounds and meaning.
 * The README's table of variables is generated from this list (`npm run config:table`), and a
 * test checks that the README holds the generated table.
 */
import { z } from 'zod';

export interface Variable<S extends z.ZodType = z.ZodType> {
  schema: S;
  /** The default as a user would write it ('' when unset means off / not used). */
  default: string;
  doc: string;
}

const variable = <S extends z.ZodType>(schema: S, def: string, doc: string): Variable<S> => ({
  schema,
  default: def,
  doc,
});

/** A whole number in min…max, from its text. */
const wholeNumber = (min: number, max: number) => {
  const error = `must be a whole number in ${min}…${max}`;
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
const int = (def: number, min: number, max: number, doc: string) =>
  variable(wholeNumber(min, max).default(def), String(def), doc);
/** A number whose default depends on the deployment (the doc says which): unset stays undefined. */
const intPer = (min: number, max: number, doc: string) =>
  variable(wholeNumber(min, max).optional(), 'per deployment', doc);
const text = (doc: string) => variable(z.string().min(1).optional(), '', doc);
const textOr = (def: string, doc: string) => variable(z.string().min(1).default(def), def, doc);
const url = (doc: string) => variable(z.url({ error: 'must be an absolute URL' }).optional(), '', doc);
const choice = <const T extends readonly [string, ...string[]]>(values: T, def: T[number], doc: string) =>
  variable(z.enum(values, { error: `must be one of ${values.join(', ')}` }).default(def as never), def, doc);
const msList = {
  schema: z
    .string()
    .regex(/^\d+(,\d+)*$/, { error: 'must be a comma-separated list of milliseconds, e.g. 1000,2000,4000' })
    .transform((s) => s.split(',').map(Number))
    .optional(),
  default: '',
  doc: 'Webhook retry delays (ms, comma-separated); attempts = delays + 1. Default 1 s … 8 s in a long-running worker, 10 s … 15 min through the webhook queue in AWS',
};

export const VARIABLES = {
  // The local stack (npm start).
  PORT: int(8787, 1, 65535, 'Port of the local stack’s API and playground'),
  BATON_S3_PORT: int(4569, 1, 65535, 'Port of the local S3 server (s3rver)'),
  BATON_SQS_PORT: int(4576, 1, 65535, 'Port of the local SQS server'),
  BATON_DYNAMODB_PORT: int(4570, 1, 65535, 'Port of the local DynamoDB server (dynalite)'),
  BATON_DATA_DIR: text(
    "Where the local stack keeps its bucket and its table (default .baton/s3); its key, stack.json and events go in that folder's parent, where the CLI looks for them",
  ),
  BATON_API_KEY: {
    schema: z.string().min(20, { error: 'must be at least 20 characters' }).optional(),
    default: '',
    doc: 'The API key the local stack registers (at least 20 characters); one is created and saved in .baton/local-key when unset. Also the key `baton generate --api` sends',
  },
  // The model and its runtime.
  BATON_MODEL_DIR: text('Model family directory with a manifest.json (default models/shapes-v1)'),
  BATON_EXECUTION_PROVIDER: choice(
    ['auto', 'cpu', 'cuda'],
    'auto',
    'ONNX execution provider: CUDA where the runtime has it (auto), or forced',
  ),
  BATON_ORT_THREADS: int(0, 0, 256, 'ONNX intra-op threads per session (0: the runtime decides)'),
  // Where the bucket and queues are (set by the local stack and by SST's links).
  AWS_REGION: textOr('us-east-1', 'AWS region'),
  BATON_BUCKET: text('Bucket for jobs, latents and images (worker processes of the local stack)'),
  BATON_TABLE: text(
    'DynamoDB table for job state, quotas, keys and batches (worker processes of the local stack)',
  ),
  BATON_QUEUE_BASE: url('Base stage queue URL (local worker processes)'),
  BATON_QUEUE_RELAY: url('Relay stage queue URL (local worker processes)'),
  BATON_QUEUE_DECODE: url('Decode stage queue URL (local worker processes)'),
  BATON_LANE_BASE: url('Base stage queue of batch lines, read only when the base queue is empty'),
  BATON_LANE_RELAY: url('Relay stage queue of batch lines, read only when the relay queue is empty'),
  BATON_LANE_DECODE: url('Decode stage queue of batch lines, read only when the decode queue is empty'),
  BATON_DLQ_BASE: url('Base stage dead-letter queue URL'),
  BATON_DLQ_RELAY: url('Relay stage dead-letter queue URL'),
  BATON_DLQ_DECODE: url('Decode stage dead-letter queue URL'),
  BATON_WEBHOOK_QUEUE: url('Queue where failed webhook deliveries wait for their retry (AWS)'),
  BATON_BATCH_QUEUE: url('Queue of batch steps: fan-out, settling, finalizing (the batch worker reads it)'),
  BATON_EVENTS_QUEUE: url('Queue of job and batch events on their way to the event bus'),
  BATON_PUBLIC_URL: url(
    'The API as clients reach it (the Router in AWS): links in event details start with it',
  ),
  BATON_EVENT_BUS: text('EventBridge bus the events go to (AWS); locally they go to .baton/events.ndjson'),
  BATON_S3_ENDPOINT: url('S3 endpoint of a local server (unset in AWS)'),
  BATON_SQS_ENDPOINT: url('SQS endpoint of a local server (unset in AWS)'),
  BATON_DYNAMODB_ENDPOINT: url('DynamoDB endpoint of a local server (unset in AWS)'),
  BATON_LOCAL_CREDENTIALS: text('Access key id and secret for the local servers (unset in AWS)'),
  BATON_AWS_TIMEOUT_MS: int(
    15_000,
    100,
    120_000,
    'A storage request unanswered this long fails and is retried',
  ),
  // The API.
  BATON_SYNC_WAIT_MS: intPer(0, 900_000, 'How long POST /v1/images/generations waits before answering 202'),
  BATON_URL_SECRET: text(
    'Secret that signs image links; npm start keeps one with its data when unset (links outlive a restart); set it wherever more than one API instance runs',
  ),
  BATON_RATE_PER_MINUTE: int(120, 1, 1_000_000, 'Requests that create work, per key per minute'),
  BATON_MAX_CONCURRENT_JOBS: int(16, 1, 100_000, 'Unfinished jobs a key may have at once'),
  BATON_MAX_BACKLOG: int(
    200,
    1,
    1_000_000,
    'Base stage messages waiting past which new work is refused at once (503, Retry-After) instead of queued',
  ),
  BATON_FILE_MAX_BYTES: int(
    4_000_000,
    1,
    4_300_000,
    'Largest file POST /v1/files takes (bytes; a function URL passes the body base64-encoded, 4/3 its size, and Lambda takes 6 MB: bigger batches go through the S3 inbox)',
  ),
  BATON_BATCH_MAX_LINES: int(50_000, 1, 1_000_000, 'Most request lines in one batch input file'),
  BATON_BATCH_MAX_BYTES: int(
    200_000_000,
    1,
    10_000_000_000,
    'Largest batch input file (bytes), through the API or the S3 inbox',
  ),
  BATON_BATCH_IN_FLIGHT: int(
    64,
    1,
    10_000,
    "A key's batch lines running at once, across all its batches (apart from BATON_MAX_CONCURRENT_JOBS, which limits its other jobs)",
  ),
  BATON_BATCH_POLL_SECONDS: intPer(1, 900, 'How often the batch worker looks at a running batch'),
  BATON_LLM_URL: url(
    'OpenAI-compatible endpoint for prompt expansion (a read-back by the shapes parser for the shapes models)',
  ),
  BATON_LLM_MODEL: textOr('gpt-4o-mini', 'Model name sent to BATON_LLM_URL'),
  BATON_LLM_API_KEY: text('Bearer key for BATON_LLM_URL'),
  BATON_LLM_TIMEOUT_MS: int(3000, 100, 60_000, 'Time budget of one prompt expansion by the LLM'),
  // Stage workers.
  BATON_STAGE_QUEUE: {
    schema: z.enum(['base', 'relay', 'decode'], { error: 'must be one of base, relay, decode' }).optional(),
    default: '',
    doc: 'The stage queue a worker Lambda or GPU container serves',
  },
  BATON_PROGRESS_MS: int(250, 0, 60_000, 'Progress writes between sampling steps, at most this often'),
  BATON_CANCEL_CHECK_MS: int(500, 0, 60_000, 'Cancel checks between sampling steps, at most this often'),
  BATON_WEBHOOK_BACKOFF_MS: msList,
  BATON_WEBHOOK_ALLOWED_HOSTS: variable(
    z
      .string()
      .regex(/^[^,\s]+(,[^,\s]+)*$/, { error: 'must be a comma-separated list of host or host:port' })
      .transform((s) => s.split(','))
      .optional(),
    '',
    'Webhook receivers admitted although private or loopback (host or host:port, comma-separated), for local development; none by default',
  ),
  BATON_BATCH_SIZE: intPer(
    1,
    10,
    'Messages per receive: jobs that may share one batched model call (SQS allows at most 10)',
  ),
  BATON_WAIT_SECONDS: intPer(0, 20, 'Long-poll wait of a long-running worker'),
  BATON_VISIBILITY_SECONDS: intPer(1, 43_200, 'Visibility timeout of received messages'),
  BATON_HEARTBEAT_SECONDS: intPer(
    1,
    43_200,
    'Visibility extended at most this often while a stage runs (elsewhere: a third of the visibility)',
  ),
  BATON_RETRY_DELAY_SECONDS: intPer(
    0,
    900,
    'A message given back for retry becomes visible again after this delay',
  ),
  BATON_IDLE_DELAY_MS: intPer(0, 60_000, 'Pause after an empty short poll'),
  BATON_STREAM_MAX_SECONDS: intPer(
    1,
    86_400,
    'An event stream ends cleanly (after a retry: hint) this long after it opened, before its function would be stopped; the client reconnects with Last-Event-ID',
  ),
  BATON_FAIR_LOOKAHEAD: intPer(
    0,
    100,
    'Stage messages a long-running worker reads ahead to give tenants fair turns (fewest in hand first); 0 takes them in queue order, as where SQS fair queues already take turns',
  ),
  BATON_GRACE_MS: intPer(0, 600_000, 'On SIGTERM: finish the batch in hand within this, else give it back'),
  BATON_MAX_RECEIVE_COUNT: int(
    3,
    1,
    1000,
    'Deliveries of a stage message before it goes to the dead-letter queue',
  ),
  ECS_AGENT_URI: url(
    'Set by ECS in a task: the agent endpoint a GPU task asks for scale-in protection while it holds messages',
  ),
  BATON_STALE_AFTER_MS: int(
    900_000,
    1000,
    86_400_000,
    'The sweep re-enqueues a stage that showed no activity this long',
  ),
} satisfies Record<string, Variable>;

export type VariableName = keyof typeof VARIABLES;
