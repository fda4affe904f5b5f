/** SQS-triggered Lambda handlers of the pipelines, with partial batch responses. */
import type { S3Event, SQSBatchResponse, SQSEvent } from 'aws-lambda';

/** Each record handled on its own; the ones that threw come back in batchItemFailures (retried, then dead-lettered). */
export function sqsEach(handle: (body: string) => Promise<void>) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const results = await Promise.allSettled(event.Records.map((r) => handle(r.body)));
    return {
      batchItemFailures: event.Records.filter((_, i) => results[i]!.status === 'rejected').map((r) => ({
        itemIdentifier: r.messageId,
      })),
    };
  };
}

/** The object keys of an S3 event notification as SQS delivers it; none for S3's s3:TestEvent. */
export function s3ObjectKeys(body: string): string[] {
  const e = JSON.parse(body) as Partial<S3Event>;
  return (e.Records ?? []).map((r) => decodeURIComponent(r.s3.object.key.replace(/\+/g, ' ')));
}
