/** Events queue subscriber: each job or batch state change, published once to the EventBridge bus. */
import { publishEvent, sqsEach } from '@baton/api';
import { EventBridgeBus } from '@baton/aws';
import { config } from '@baton/config';
import { parseEventMessage } from '@baton/jobs';
import { Resource } from 'sst';
import { pipelineWorker } from '../pipelines.ts';

const { worker } = await pipelineWorker();
const c = config();
const bus = new EventBridgeBus({ region: c.AWS_REGION }, c.BATON_EVENT_BUS ?? Resource.Events.name);

export const handler = sqsEach(async (body) => {
  const m = parseEventMessage(body);
  if (m) await publishEvent(worker.api, bus, m, c.BATON_PUBLIC_URL ?? '');
});
