/**
 * One queue per stage, each with a dead-letter queue; visibility ≥ 6× the worker's time limit.
 * And the webhook retry queue: a failed delivery waits there (SQS message delay) for its next
 * attempt, rather than inside a worker's invocation.
 */
import { config, STAGES, type Stage } from './config';

const title = (s: string) => s[0]!.toUpperCase() + s.slice(1);

/** Mailed to BATON_ALARM_EMAIL when one is given (confirm the subscription AWS mails first). */
const alarmTopic = config.alarmEmail ? new sst.aws.SnsTopic('Alarms') : undefined;
if (alarmTopic) alarmTopic.subscribe('AlarmEmail', config.alarmEmail);

/**
 * A message in a dead-letter queue is work that failed every try (a job marked failed, a
 * webhook given up, a batch step or an event that could not be made): an alarm at the first one.
 */
function deadLetterAlarm(name: string, dlq: sst.aws.Queue) {
  new aws.cloudwatch.MetricAlarm(`${name}Alarm`, {
    alarmDescription: `${name}: a message failed every try (npx sst console, or the SQS console, shows it)`,
    namespace: 'AWS/SQS',
    metricName: 'ApproximateNumberOfMessagesVisible',
    dimensions: { QueueName: dlq.nodes.queue.name },
    statistic: 'Maximum',
    period: 60,
    evaluationPeriods: 1,
    threshold: 1,
    comparisonOperator: 'GreaterThanOrEqualToThreshold',
    treatMissingData: 'notBreaching',
    ...(alarmTopic && { alarmActions: [alarmTopic.arn] }),
  });
}

export const deadLetterQueues = Object.fromEntries(
  STAGES.map((s) => {
    const dlq = new sst.aws.Queue(`${title(s)}DeadLetters`, { visibilityTimeout: '1 minute' });
    deadLetterAlarm(`${title(s)}DeadLetters`, dlq);
    return [s, dlq];
  }),
) as Record<Stage, sst.aws.Queue>;

/** Per stage, a queue named `<Stage><suffix>` redriving to the stage's dead-letter queue. */
const perStage = (suffix: string) =>
  Object.fromEntries(
    STAGES.map((s) => [
      s,
      new sst.aws.Queue(`${title(s)}${suffix}`, {
        visibilityTimeout: `${6 * config.workerTimeoutSeconds} seconds`,
        dlq: { queue: deadLetterQueues[s].arn, retry: config.maxReceiveCount },
      }),
    ]),
  ) as Record<Stage, sst.aws.Queue>;

export const queues = perStage('Queue');

/**
 * Per stage, a lane for batch lines beside the stage queue (same dead-letter queue). Profile
 * `cpu`: the worker's mapping on it is capped (workers.ts); profile `gpu`: a task reads it only
 * when its stage queue is empty (gpu.ts). Either way batch lines run on what interactive work leaves.
 */
export const lanes = perStage('BatchLane');

export const webhookQueue = new sst.aws.Queue('WebhookQueue', { visibilityTimeout: '2 minutes' });

const withDeadLetters = (name: string, visibility: `${number} seconds` | `${number} minutes`) => {
  const dlq = new sst.aws.Queue(`${name}DeadLetters`, { visibilityTimeout: '1 minute' });
  deadLetterAlarm(`${name}DeadLetters`, dlq);
  const queue = new sst.aws.Queue(name, { visibilityTimeout: visibility, dlq: { queue: dlq.arn, retry: 5 } });
  return { queue, dlq };
};

/** A batch step reads at most a few MB and makes up to BATON_BATCH_IN_FLIGHT jobs: minutes at most. */
export const BATCH_STEP_SECONDS = 300;
/** Pipelines (pipelines.ts): batch steps, S3 inbox notifications, events on their way to the bus. */
export const batch = withDeadLetters('BatchQueue', `${6 * BATCH_STEP_SECONDS} seconds`);
export const intake = withDeadLetters('IntakeQueue', `${6 * BATCH_STEP_SECONDS} seconds`);
export const events = withDeadLetters('EventsQueue', '2 minutes');

/** The queues every function may send to: the stages, webhook deliveries, batch steps, events. */
export const sendQueues = [
  queues.base,
  queues.relay,
  queues.decode,
  ...Object.values(lanes),
  webhookQueue,
  batch.queue,
  events.queue,
];
