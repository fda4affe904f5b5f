/** Events queue subscriber: each job or batch state change, published once to the EventBridge bus. */
import { EventBridgeBus } from '@baton/aws';
import { eventsConsumer } from '@baton/batches';
import { config } from '@baton/config';
import { lambdaHandler } from '@baton/queues';
import { jsonLogger } from '@baton/worker';
import { Resource } from 'sst';
import { batchSide } from '../pipelines.ts';

const c = config();
const bus = new EventBridgeBus({ region: c.AWS_REGION }, c.BATON_EVENT_BUS ?? Resource.Events.name);
const origin = () => c.BATON_PUBLIC_URL ?? '';

export const handler = lambdaHandler(
  eventsConsumer(await batchSide(), bus, origin, jsonLogger({ service: 'events' })),
);
