/** Intake queue subscriber: S3 notifications of objects under batches/inbox/{key id}/ become batches. */
import { intakeConsumer } from '@baton/batches';
import { lambdaHandler } from '@baton/queues';
import { jsonLogger } from '@baton/worker';
import { batchSide } from '../pipelines.ts';

export const handler = lambdaHandler(intakeConsumer(await batchSide(), jsonLogger({ service: 'intake' })));
