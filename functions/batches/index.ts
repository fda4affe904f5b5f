/** Batch queue subscriber: one look at one batch per message (fan out, settle, finalize; then again later). */
import { parseBatchMessage, sqsEach } from '@baton/api';
import { pipelineWorker } from '../pipelines.ts';

const { worker } = await pipelineWorker();

export const handler = sqsEach(async (body) => {
  const m = parseBatchMessage(body);
  if (m) await worker.advance(m.batchId);
});
