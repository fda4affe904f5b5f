/**
 * One queue per stage, each with a dead-letter queue; visibility ≥ 6× the worker's time limit.
 * And the webhook retry queue: a failed delivery waits there (SQS message delay) for its next
 * attempt, rather than inside a worker's invocation.
 */
import { config, STAGES, type Stage } from './config';

const title = (s: string) => s[0]!.toUpperCase() + s.slice(1);

export const deadLetterQueues = Object.fromEntries(
  STAGES.map((s) => [s, new sst.aws.Queue(`${title(s)}DeadLetters`, { visibilityTimeout: '1 minute' })]),
) as Record<Stage, sst.aws.Queue>;

export const queues = Object.fromEntries(
  STAGES.map((s) => [
    s,
    new sst.aws.Queue(`${title(s)}Queue`, {
      visibilityTimeout: `${6 * config.workerTimeoutSeconds} seconds`,
      dlq: { queue: deadLetterQueues[s].arn, retry: config.maxReceiveCount },
    }),
  ]),
) as Record<Stage, sst.aws.Queue>;

export const webhookQueue = new sst.aws.Queue('WebhookQueue', { visibilityTimeout: '2 minutes' });
