/** A message that reached a dead-letter queue: the job says so (local DLQ monitor and the Lambda alike). */
import { type JobStore, parseStageMessage, type StageMessage } from '@baton/jobs';
import type { WebhookSender } from './webhooks.ts';

export async function markDeadLetter(
  jobs: JobStore,
  body: string,
  messageId: string,
  maxReceiveCount: number,
  webhooks?: WebhookSender,
): Promise<{ jobId: string; stage: string } | null> {
  let msg: StageMessage;
  try {
    msg = parseStageMessage(body);
  } catch {
    return null; // Not a stage message: nothing to mark.
  }
  const request = await jobs.request(msg.jobId);
  // A message about a stage its job does not have is not this job's: leave the job alone.
  if (!request?.stages.includes(msg.stage)) return null;
  await jobs.fail(request, 'dead-letter', msg.stage, {
    reason: `stage ${msg.stage} gave up after ${maxReceiveCount} deliveries`,
    code: 'dead_letter',
    messageId,
  });
  await Promise.all([jobs.flush(), webhooks?.flush()]);
  return { jobId: msg.jobId, stage: msg.stage };
}
