/**
 * A long-running poller for one stage queue (local worker processes and the GPU
 * container): long polling, batch receive, a visibility heartbeat between sampling
 * steps, backoff for retries, and graceful shutdown (finish the batch in hand, or
 * give its messages back when the grace period runs out).
 */
import { isTransient, type QueueMessage, TransientError } from '@baton/aws';
import type { Logger } from './logger.ts';
import type { StageWorker } from './worker.ts';

export interface PollerQueue {
  receive(
    max: number,
    waitSeconds: number,
    visibilityTimeout?: number,
    signal?: AbortSignal,
  ): Promise<QueueMessage[]>;
  delete(receiptHandle: string): Promise<void>;
  extend(receiptHandle: string, seconds: number): Promise<void>;
}

export interface PollerOptions {
  queue: PollerQueue;
  worker: StageWorker;
  log: Logger;
  batchSize?: number;
  waitSeconds?: number;
  visibilityTimeoutSeconds?: number;
  /** Extend visibility at most this often (between steps). Must be well below the visibility timeout. */
  heartbeatSeconds?: number;
  /** With waitSeconds = 0 (short polling, as locally), pause this long after an empty receive. */
  idleDelayMs?: number;
  /** A retried message becomes visible again after this delay. */
  retryDelaySeconds?: number;
  /** Stop receiving when aborted; finish the batch in hand within `graceMs`, else give it back. */
  signal?: AbortSignal;
  graceMs?: number;
  /** The clock heartbeats and the grace period are measured on (tests inject one). */
  now?: () => number;
  /** Told when the poller starts and stops holding messages (ECS task scale-in protection). */
  onBusy?: (busy: boolean) => Promise<void>;
}

export class Poller {
  private readonly batchSize: number;
  private readonly waitSeconds: number;
  private readonly visibility: number;
  private readonly heartbeat: number;
  private readonly retryDelay: number;
  private stoppingSince: number | undefined;

  constructor(private readonly o: PollerOptions) {
    this.batchSize = o.batchSize ?? 8;
    this.waitSeconds = o.waitSeconds ?? 10;
    this.visibility = o.visibilityTimeoutSeconds ?? 60;
    this.heartbeat = o.heartbeatSeconds ?? Math.floor(this.visibility / 3);
    this.retryDelay = o.retryDelaySeconds ?? 2;
    if (this.batchSize < 1 || this.batchSize > 10)
      throw new RangeError(`batchSize must be in 1…10 (SQS) but is ${this.batchSize}`);
    if (!(this.heartbeat > 0 && this.heartbeat < this.visibility)) {
      throw new RangeError(
        `heartbeatSeconds (${this.heartbeat}) must be > 0 and shorter than visibilityTimeoutSeconds (${this.visibility})`,
      );
    }
    o.signal?.addEventListener('abort', () => {
      this.stoppingSince = (o.now ?? Date.now)();
    });
  }

  async run(): Promise<void> {
    const { log } = this.o;
    while (!this.o.signal?.aborted) {
      let messages: QueueMessage[];
      try {
        // A stop cancels the long poll in flight: the task exits well inside its stop timeout.
        messages = await this.o.queue.receive(
          this.batchSize,
          this.waitSeconds,
          this.visibility,
          this.o.signal,
        );
      } catch (e) {
        if (this.o.signal?.aborted) break;
        log('poller.receive_error', { error: String(e) });
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (messages.length) {
        await this.o.onBusy?.(true);
        await this.process(messages);
      } else await this.o.onBusy?.(false);
      if (!messages.length && this.waitSeconds === 0)
        await new Promise((r) => setTimeout(r, this.o.idleDelayMs ?? 50));
    }
    await this.o.onBusy?.(false);
    log('poller.stopped');
  }

  async process(messages: QueueMessage[]): Promise<void> {
    const { queue, worker, log } = this.o;
    const now = this.o.now ?? Date.now;
    let lastBeat = now();
    const betweenSteps = async () => {
      if (this.stoppingSince !== undefined && now() - this.stoppingSince > (this.o.graceMs ?? 20_000)) {
        throw new TransientError('shutting down: giving the batch back');
      }
      if (now() - lastBeat >= this.heartbeat * 1000) {
        lastBeat = now();
        await Promise.all(messages.map((m) => queue.extend(m.receiptHandle, this.visibility)));
      }
    };
    let retry: Set<string>;
    try {
      const r = await worker.handle(
        messages.map((m) => ({
          id: m.id,
          body: m.body,
          receiveCount: m.receiveCount,
          ...(m.sentAt && { sentAt: m.sentAt }),
        })),
        { betweenSteps },
      );
      retry = new Set(r.retry);
    } catch (e) {
      log('poller.batch_error', { error: String(e), transient: isTransient(e) });
      retry = new Set(messages.map((m) => m.id));
    }
    const giveBack = this.stoppingSince !== undefined;
    await Promise.all(
      messages.map(async (m) => {
        try {
          if (retry.has(m.id)) await queue.extend(m.receiptHandle, giveBack ? 0 : this.retryDelay);
          else await queue.delete(m.receiptHandle);
        } catch (e) {
          log('poller.ack_error', { messageId: m.id, error: String(e) });
        }
      }),
    );
  }
}
