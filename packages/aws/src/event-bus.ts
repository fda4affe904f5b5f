/**
 * Where job and batch events go: EventBridge in AWS (PutEvents; a failed entry is an error,
 * so the caller's queue retries it), a newline-delimited JSON file locally (.baton/events.ndjson).
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { AwsConfig } from './config.ts';

export interface BusEvent {
  /**
   * The change's own id, the same on every attempt to publish it: a receiver drops an id it has
   * seen (EventBridge delivers at least once; a publisher that died between putting an event and
   * marking it published puts it again). The local bus drops it itself.
   */
  id: string;
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
  /** Ids already in the file (read once, then kept): an event put again is written once. */
  private written?: Promise<Set<string>>;

  constructor(readonly path: string) {}

  private ids(): Promise<Set<string>> {
    this.written ??= readFile(this.path, 'utf8').then(
      (text) => {
        const ids = new Set<string>();
        for (const line of text.split('\n')) {
          try {
            const id = (JSON.parse(line) as { id?: unknown }).id;
            if (typeof id === 'string') ids.add(id);
          } catch {
            // a torn last line (a crash mid-write) or an empty one
          }
        }
        return ids;
      },
      () => new Set<string>(),
    );
    return this.written;
  }

  async put(e: BusEvent): Promise<void> {
    const ids = await this.ids();
    if (ids.has(e.id)) return;
    ids.add(e.id);
    await mkdir(dirname(this.path), { recursive: true });
    const line = {
      id: e.id,
      source: e.source,
      'detail-type': e.detailType,
      time: e.time.toISOString(),
      detail: e.detail,
    };
    try {
      await appendFile(this.path, `${JSON.stringify(line)}\n`);
    } catch (error) {
      ids.delete(e.id); // not written: a later attempt writes it
      throw error;
    }
  }
}
