/**
 * GET /v1/jobs/{id}/events: the job object as server-sent events, one per step of its progress,
 * resumable. Each event's id is the job state's place in its progress (`progressId`), the same
 * for that state on every connection, so a client that reconnects with `Last-Event-ID` gets
 * every later state once. A stream ends cleanly, after a `retry:` hint, before its function's
 * deadline (`streamMaxSeconds`); a reconnect after the terminal event is answered 204 (an
 * EventSource then stops reconnecting).
 */
import { type JobState, TERMINAL } from '@baton/jobs';
import { type KeyRecord, publicJob } from '@baton/service';
import { badRequest } from '../api-error.ts';
import type { Api } from '../context.ts';
import { visibleJob } from '../job-access.ts';

/** How soon a client reconnects after a stream ended at its deadline (ms). */
export const RECONNECT_MS = 250;

/**
 * A state's place in the job's progress: `terminal.stagesDone.started.stageRunning.step.previews`.
 * Compared field by field, a later state has a greater id: a field may fall back (a new stage's
 * step) only when one before it grew (`stagesDone`).
 */
export function progressId(s: JobState): string {
  const done = s.stages.filter((st) => st.status === 'done').length;
  const running = s.stages.find((st) => st.status === 'running');
  return [
    TERMINAL.includes(s.status) ? 1 : 0,
    done,
    s.status === 'queued' ? 0 : 1,
    running ? 1 : 0,
    running?.step ?? 0,
    s.previews?.length ?? 0,
  ].join('.');
}

const PROGRESS_ID = /^\d{1,9}(\.\d{1,9}){5}$/;

/** a − b as progress: < 0, 0, > 0. */
export function compareProgress(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

/** The Last-Event-ID a client resumes from, or a 400 naming the header. */
export function resumeFrom(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  if (!PROGRESS_ID.test(header))
    throw badRequest(
      'Last-Event-ID',
      `'Last-Event-ID' must be an id this stream sent (like 0.1.1.1.12.1), got ${JSON.stringify(header.slice(0, 40))}`,
    );
  return header;
}

/** True when a client resuming from `lastId` has already seen the job's end. */
export const endSeen = (lastId: string | undefined) => lastId?.startsWith('1.') ?? false;

export interface SseStream {
  readonly aborted: boolean;
  writeSSE(m: { event: string; data: string; id: string }): Promise<void>;
  write(text: string): Promise<unknown>;
  sleep(ms: number): Promise<unknown>;
}

/** Writes the job object at each new place in its progress after `lastId`, until it ends or the deadline. */
export async function followJob(
  api: Api,
  id: string,
  key: KeyRecord | null,
  origin: string,
  stream: SseStream,
  lastId: string | undefined,
) {
  const request = (await visibleJob(api, id, key)).request;
  const until = api.now() + api.config.streamMaxSeconds * 1000;
  let last = lastId;
  let lastToken = '';
  let lastWrite = api.now();
  while (!stream.aborted) {
    const token = await api.jobs.changeToken(request);
    if (token !== lastToken) {
      lastToken = token;
      const s = await visibleJob(api, id, key);
      const place = progressId(s);
      const terminal = TERMINAL.includes(s.status);
      if (last === undefined || compareProgress(place, last) > 0) {
        const data = JSON.stringify(publicJob(s, origin, api.links));
        await stream.writeSSE({ event: terminal ? s.status : 'progress', data, id: place });
        last = place;
        lastWrite = api.now();
      }
      if (terminal) return;
    }
    if (api.now() >= until) {
      // Ends before the function would be stopped: the client reconnects with Last-Event-ID.
      await stream.write(`retry: ${RECONNECT_MS}\n\n`);
      return;
    }
    // A comment now and then keeps proxies (CloudFront's read timeout) from cutting a quiet stream.
    if (api.now() - lastWrite >= api.config.sseKeepAliveMs) {
      await stream.write(': keep-alive\n\n');
      lastWrite = api.now();
    }
    await stream.sleep(api.config.pollMs);
  }
}
