/**
 * Jobs: every transition of a job's life (accepted, started, succeeded, failed, canceled) made
 * here, with what goes with it: the quota place, the state-change event on the events queue,
 * the webhook delivery. Routes, the batch worker, stage workers, the dead-letter handler and
 * the sweep ask for a transition; none of them sends an event or gives a place back itself.
 * What each transition writes, and every read, is JobRecords' (job-records.ts).
 */
import { type BlobStore, expiresAfter, type StateTable } from '@baton/aws';
import type { EmitEvent } from './events.ts';
import { IdempotencyClaims } from './idempotency.ts';
import { type JobItem, jobKey, pad, type Retention } from './job-item.ts';
import { claimable, EXISTS, JobRecords, type Outcome } from './job-records.ts';
import { carriedRequest, type Enqueue, routeOf } from './message.ts';
import { QuotaLedger, quotaPoolOf } from './quota.ts';
import { type JobRequest, type JobState, TERMINAL } from './records.ts';
import { sweepJobs } from './sweep.ts';
import type { WebhookSink } from './webhook.ts';

export class JobStore extends JobRecords {
  /** The owners' concurrent-job quota places. */
  readonly quota: QuotaLedger;
  /** Idempotency-Key claims. */
  readonly idempotency: IdempotencyClaims;
  private readonly events: EmitEvent | undefined;
  private readonly webhooks: WebhookSink | undefined;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    store: BlobStore,
    table?: StateTable,
    now: () => number = Date.now,
    options: {
      retention?: Partial<Retention>;
      /** The events queue: a transition made here announces itself there (absent: events are off). */
      events?: EmitEvent;
      /** Webhook deliveries of the transitions a job asked to hear about (absent: none are sent). */
      webhooks?: WebhookSink;
    } = {},
  ) {
    super(store, table, now, options.retention);
    this.events = options.events;
    this.webhooks = options.webhooks;
    this.idempotency = new IdempotencyClaims(this.table, this.retention.idempotencyDays);
    this.quota = new QuotaLedger(this.table, async (id) => (await this.request(id)) !== null, now);
  }

  /**
   * Accepts a job: its item (one write), then the base message and "Job Accepted" together.
   * Only the write that made the item announces it: a request accepted twice is announced once.
   * `admitted` (the owner's quota claim) runs beside the item's write: nothing is enqueued or
   * announced before it holds, and a claim refused takes the item this call made back.
   */
  async create(
    request: JobRequest,
    enqueue: Enqueue,
    admitted: Promise<void> = Promise.resolve(),
  ): Promise<void> {
    const item: JobItem = {
      ...jobKey(request.id),
      request,
      records: [],
      progress: {},
      usage: {},
      previews: [],
      ...(request.owner && { gpk: `jobs#${request.owner}`, gsk: `${pad(request.createdAt)}#${request.id}` }),
      apk: 'active',
      ask: `${pad(request.createdAt)}#${request.id}`,
      expiresAt: expiresAfter(request.createdAt, this.retention.jobDays),
    };
    // A request accepted twice (a retried batch fan-out) keeps the first item and its records.
    const put = this.table.put(item, { notExists: ['pk'] });
    // Awaited below; never an unhandled rejection while the claim is still out.
    put.catch(() => undefined);
    try {
      await admitted;
    } catch (e) {
      if (await put.catch(() => false)) await this.table.delete(jobKey(request.id));
      throw e;
    }
    const made = await put;
    await Promise.all([
      // If this send is lost, the sweep re-enqueues the stage: the job is already accepted.
      enqueue({
        v: 1,
        jobId: request.id,
        stage: request.stages[0]!,
        correlationId: request.correlationId,
        ...routeOf(request),
        request: carriedRequest(request),
      }),
      made &&
        this.events?.({ v: 1, kind: 'job', id: request.id, type: 'Job Accepted', at: request.createdAt }),
    ]);
  }

  /**
   * Gives an ended job's quota place back and drops it from the active index. Both are
   * idempotent: run again (a redelivered stage, the sweep after a crash) they change nothing.
   */
  async finished(request: JobRequest): Promise<void> {
    const pool = quotaPoolOf(request);
    if (pool) await this.quota.release(pool, request.id);
    await this.table.update(jobKey(request.id), { remove: ['apk', 'ask'] }, EXISTS);
  }

  /**
   * A stage starts: its record, and when it is the job's first stage, "Job Started" and the
   * `started` webhook (a redelivered first stage announces again: the event publisher and a
   * webhook's receiver drop the duplicate by its id).
   */
  async start(request: JobRequest, stage: string, messageId?: string): Promise<void> {
    if (stage === request.stages[0]) {
      this.announce(request.id, 'Job Started');
      this.webhooks?.send(request, 'started', { status: 'running', stage });
    }
    await this.append(request.id, 'started', stage, messageId ? { messageId } : {});
  }

  /** The last stage's image is stored: the place goes back, "Job Succeeded", the `completed` webhook. */
  async succeed(request: JobRequest): Promise<void> {
    await this.finished(request);
    this.announce(request.id, 'Job Succeeded');
    this.webhooks?.send(request, 'completed', { status: 'succeeded' });
  }

  /**
   * The job failed (bad input, a model mismatch: `failed`; a stage that kept failing:
   * `dead-letter`): its record, the place back, "Job Failed", the `failed` webhook.
   */
  async fail(
    request: JobRequest,
    kind: 'failed' | 'dead-letter',
    stage: string,
    error: { reason: string; code: string; messageId?: string },
  ): Promise<void> {
    await this.append(request.id, kind, stage, error);
    await this.finished(request);
    this.announce(request.id, 'Job Failed');
    const shown = kind === 'dead-letter' ? { code: error.code } : { reason: error.reason, code: error.code };
    this.webhooks?.send(request, 'failed', { status: 'failed', stage, error: shown });
  }

  /** Enqueues a state change's event, in the background (a stage never waits on it; the webhook sink's flush does). */
  private announce(id: string, type: 'Job Started' | 'Job Succeeded' | 'Job Failed'): void {
    const sent = this.events?.({ v: 1, kind: 'job', id, type, at: this.now() });
    if (!sent) return;
    // A send that fails after the SDK's retries is seen by flush(); never an unhandled rejection.
    sent.catch(() => undefined).finally(() => this.pending.delete(sent));
    this.pending.add(sent);
  }

  /** Waits for the events this store has announced in the background (a Lambda must, before it returns). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  /**
   * Cancels a job unless it already finished; returns the state after. Whoever claims the
   * outcome (the API's cancel, a batch's cancel) announces "Job Canceled", once: a second cancel
   * finds the job ended and announces nothing.
   */
  async cancel(id: string): Promise<JobState | null> {
    const state = await this.state(id);
    if (!state || TERMINAL.includes(state.status)) return state;
    // The last stage may be finishing right now, or another cancel landing: whichever claims
    // the outcome first decides, and only that one goes on.
    const claimed = await this.table.update(
      jobKey(id),
      { set: { outcome: 'canceled' } },
      { exists: ['pk'], notExists: ['outcome'] },
    );
    if (!claimed) return this.state(id);
    const record = await this.append(id, 'cancelled', state.stage ?? 'job');
    await this.finished(state.request);
    await this.events?.({ v: 1, kind: 'job', id, type: 'Job Canceled', at: record.at });
    return this.state(id);
  }

  /**
   * Claims how the job ends, once (one conditional update): the last stage claims "succeeded"
   * with its done record (stageDone), a cancel claims "canceled". True when the outcome is this one
   * (claimed now, or earlier by the same side: a redelivered last stage).
   */
  async claimOutcome(id: string, outcome: Outcome): Promise<boolean> {
    return (await this.table.update(jobKey(id), { set: { outcome } }, claimable(outcome))) !== null;
  }

  /** The sweep (sweep.ts): stale stages re-enqueued, ended jobs finished. */
  sweep(enqueue: Enqueue, staleMs: number): Promise<{ requeued: string[]; finished: string[] }> {
    return sweepJobs(this, enqueue, staleMs);
  }
}
