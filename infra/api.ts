/** The Hono app behind a Lambda function URL, fronted by a Router (CloudFront). */
import { config } from './config';
import { manifestOnly } from './lambda-package';
import { sendQueues } from './queues';
import { bucket, table } from './storage';

/** Signs image links: the same on every API instance (`npx sst secret set UrlSecret …`). */
export const urlSecret = new sst.Secret('UrlSecret');

/** What the API and the pipeline Lambdas reach: the table, the bucket, every queue, the URL secret. */
export const serviceLink = [table, bucket, ...sendQueues, urlSecret];

/** The API function's limit: the synchronous wait and 5 s to answer. */
const apiTimeoutSeconds = Math.ceil(config.syncWaitMs / 1000) + 5;

export const apiFunction = new sst.aws.Function('Api', {
  handler: 'functions/api/index.handler',
  runtime: 'nodejs22.x',
  // The playground and browsers call it cross-origin through the Router: Authorization explicitly.
  url: {
    cors: {
      allowOrigins: ['*'],
      // DELETE: /v1/files/{id}. The OpenAI SDKs send their x-stainless-* headers from browsers
      // too; last-event-id resumes an event stream.
      allowMethods: ['GET', 'POST', 'DELETE'],
      allowHeaders: [
        'authorization',
        'content-type',
        'idempotency-key',
        'last-event-id',
        'openai-organization',
        'openai-project',
        'x-stainless-arch',
        'x-stainless-async',
        'x-stainless-helper-method',
        'x-stainless-lang',
        'x-stainless-os',
        'x-stainless-package-version',
        'x-stainless-retry-count',
        'x-stainless-runtime',
        'x-stainless-runtime-version',
        'x-stainless-timeout',
      ],
    },
  },
  // Server-sent events stream as written (Hono's streamHandle); buffered, a client would see nothing until the end.
  streaming: true,
  timeout: `${apiTimeoutSeconds} seconds`,
  memory: '512 MB',
  link: serviceLink,
  // Every run-time setting the docs mention arrives through the infra, not by hand.
  environment: {
    ...manifestOnly.environment,
    BATON_SYNC_WAIT_MS: String(config.syncWaitMs),
    // Event streams end cleanly (a retry: hint, then Last-Event-ID) 5 s before the function is stopped.
    BATON_STREAM_MAX_SECONDS: String(apiTimeoutSeconds - 5),
    BATON_RATE_PER_MINUTE: String(config.ratePerMinute),
    BATON_MAX_CONCURRENT_JOBS: String(config.maxConcurrentJobs),
    BATON_MAX_BACKLOG: String(config.maxBacklog),
  },
  // The API reads the manifest (sizes, limits), never the ONNX files.
  copyFiles: manifestOnly.copyFiles,
});

export const router = new sst.aws.Router('Edge');
// CloudFront's default read timeout (20 s) would cut the synchronous wait: config.ts checks the relation.
router.route('/', apiFunction.url, { readTimeout: `${config.routerReadTimeoutSeconds} seconds` });
