/** Intake queue subscriber: S3 notifications of objects under batches/inbox/{key id}/ become batches. */
import { intakeObject, s3ObjectKeys, sqsEach } from '@baton/api';
import { pipelineWorker } from '../pipelines.ts';

const { worker, keys } = await pipelineWorker();

export const handler = sqsEach(async (body) => {
  for (const key of s3ObjectKeys(body)) await intakeObject(worker.api, keys, key);
});
