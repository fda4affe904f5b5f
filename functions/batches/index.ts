/** Batch queue subscriber: one look at one batch per message (fan out, settle, finalize; then again later). */
import { batchConsumer } from '@baton/batches';
import { lambdaHandler } from '@baton/queues';
import { jsonLogger } from '@baton/worker';
import { batchSide } from '../pipelines.ts';

export const handler = lambdaHandler(batchConsumer(await batchSide(), jsonLogger({ service: 'batches' })));
