/**
 * Where job and batch events go: EventBridge in AWS (PutEvents; a failed entry is an error,
 * so the caller's queue retries it), a newline-delimited JSON file locally (.baton/events.ndjson).
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { AwsConfig } from './config.ts';

export interface BusEvent {
  source: string;
  detailType: string;
  detail: unknown;
  time: Date;
}

export interface EventBus {
  put(event: BusEvent): Promise<void>;
}

export class EventBridgeBus implements EventBus {
  private readonly client: EventBridgeClient;

  constructor(
    config: Pick<AwsConfig, 'region'>,
    private readonly busName: string,
  ) {
    this.client = new EventBridgeClient({ region: config.region, maxAttempts: 4 });
  }

  async put(e: BusEvent): Promise<void> {
    const r = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.busName,
            Source: e.source,
            DetailType: e.detailType,
            Detail: JSON.stringify(e.detail),
            Time: e.time,
          },
        ],
      }),
    );
    const failed = r.Entries?.find((x) => x.ErrorCode);
    if (r.FailedEntryCount || failed)
      throw new Error(
        `EventBridge refused the event: ${failed?.ErrorCode ?? ''} ${failed?.ErrorMessage ?? ''}`,
      );
  }
}

/** The local bus: one JSON line per event, shaped as EventBridge delivers it to a rule's target. */
export class FileBus implements EventBus {
  constructor(readonly path: string) {}

  async put(e: BusEvent): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const line = {
      source: e.source,
      'detail-type': e.detailType,
      time: e.time.toISOString(),
      detail: e.detail,
    };
    await appendFile(this.path, `${JSON.stringify(line)}\n`);
  }
}
