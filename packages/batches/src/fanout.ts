/**
 * A batch's worker step, run from the batch queue (never inside an API request): settle the
 * lines whose jobs ended, fan out more lines (read from the input file in ranged chunks, never
 * whole), finalize when every line is settled, else look again later. Each line becomes an
 * ordinary job on the stage queues, at most `inFlight` at a time per batch; a line's job id
 * is derived from the batch and line, so a step run twice makes no job twice.
 */
import { createHash } from 'node:crypto';
import { batchPool } from '@baton/jobs';
import { bestOfJson } from '@baton/pipeline/spec';
import { InvalidRequest, planJob } from '@baton/service';
import { BatchError } from './batch-error.ts';
import type { BatchContext } from './context.ts';
import { finalizeBatch } from './finalize.ts';
import { announce } from './status.ts';
import {
  BATCH_TERMINAL,
  type BatchRecord,
  type BatchStatus,
  currentStatus,
  type LineOutcome,
  lineJobId,
} from './store.ts';

export async function advanceBatch(d: BatchContext, id: string): Promise<BatchStatus | null> {
  const b = await d.batches.get(id);
  if (!b) return null;
  const statuses = await d.batches.statuses(id);
  const status = currentStatus(statuses);
  if (BATCH_TERMINAL.includes(status)) {
    await d.batches.ended(id);
    return status;
  }
  await d.batches.touch(id);
  const expired = d.batches.now() / 1000 > b.expires_at;
  if (status === 'finalizing') return finalizeBatch(d, b, statuses, expired);
  if (status === 'validating' && (await d.batches.reach(id, 'in_progress')))
    await announce(d, b, 'in_progress');
  const stopping = statuses.has('cancelling') || expired;
  let cursor = await d.batches.cursor(id);
  const settled = await d.batches.settled(id);
  const open: number[] = [];
  for (let n = 0; n < cursor.line; n++) if (!settled.has(n)) open.push(n);
  const running = await settleEnded(d, b, open, stopping);
  if (!stopping && cursor.line < b.total && running < d.inFlight)
    cursor = await fanOut(d, b, cursor, d.inFlight - running);
  const now = await d.batches.settled(id);
  const allSettled = now.size >= b.total;
  if (allSettled || (stopping && running === 0))
    return finalizeBatch(d, b, await d.batches.statuses(id), expired && !allSettled);
  if (!d.enqueueBatch) throw new BatchError('not_configured', 'this deployment has no batch queue');
  await d.enqueueBatch({ v: 1, batchId: id }, d.pollSeconds);
  return currentStatus(await d.batches.statuses(id));
}

/** Settles the open lines whose jobs have ended (cancelling the rest when the batch stops); returns how many still run. */
async function settleEnded(
  d: BatchContext,
  b: BatchRecord,
  open: number[],
  stopping: boolean,
): Promise<number> {
  let running = 0;
  await Promise.all(
    open.map(async (line) => {
      const jobId = lineJobId(b.id, line);
      let state = await d.jobs.state(jobId);
      if (state && stopping && !['succeeded', 'failed', 'canceled'].includes(state.status))
        state = await d.jobs.cancel(jobId);
      if (!state || !['succeeded', 'failed', 'canceled'].includes(state.status)) {
        running++;
        return;
      }
      const spec = state.request.spec;
      await d.batches.settle(b.id, {
        line,
        custom_id: state.request.batch?.custom_id ?? null,
        status: state.status as LineOutcome['status'],
        job_id: jobId,
        revised_prompt: spec.caption,
        ...(spec.warnings?.length && { warnings: spec.warnings }),
        ...(state.request.batch?.response_format && { response_format: state.request.batch.response_format }),
        ...(state.request.batch?.output_format && { output_format: state.request.batch.output_format }),
        ...(state.request.batch?.output_compression != null && {
          output_compression: state.request.batch.output_compression,
        }),
        ...(state.scored && { best_of: bestOfJson(state.scored) }),
        ...(state.error && {
          error: { code: state.error.code ?? 'job_failed', message: state.error.reason },
        }),
        compute_ms: state.usage.reduce((a, u) => a + u.computeMs, 0),
        cost_usd: state.usage.reduce((a, u) => a + u.costUsd, 0),
      });
    }),
  );
  return running;
}

/**
 * Reads lines from the cursor, making up to `room` jobs; invalid lines settle at once. The file
 * is read in ranged chunks of `chunkBytes` (no line is longer: the upload check refuses one).
 */
async function fanOut(
  d: BatchContext,
  b: BatchRecord,
  start: { line: number; byte: number },
  room: number,
): Promise<{ line: number; byte: number }> {
  const cursor = { ...start };
  const decoder = new TextDecoder();
  let made = 0;
  let limit = room;
  while (made < limit && cursor.line < b.total) {
    const size = d.chunkBytes;
    const chunk = await d.files.store.getRange(b.input_key, cursor.byte, size);
    if (!chunk || chunk.length === 0) {
      // The input is gone (or ends before its counted lines): the lines not yet run fail, named.
      await failUnread(
        d,
        b,
        cursor.line,
        chunk ? 'the batch input ends early' : 'the batch input was deleted',
      );
      cursor.line = b.total;
      break;
    }
    const eof = chunk.length < size;
    let pos = 0;
    while (made < limit && cursor.line < b.total) {
      let nl = chunk.indexOf(10, pos);
      if (nl < 0 && !eof) break; // the line goes on in the next chunk: read it from its start
      if (nl < 0) nl = chunk.length;
      const text = decoder.decode(chunk.subarray(pos, nl)).trim();
      pos = Math.min(nl + 1, chunk.length);
      if (text) {
        const taken = await acceptLine(d, b, cursor.line, text);
        // The key's batch lines are all running: this line waits for the next look, from its start.
        if (taken === 'full') {
          limit = made;
          break;
        }
        if (taken === 'made') made++;
        cursor.line++;
      }
      cursor.byte = start.byte + pos;
      if (pos >= chunk.length) break;
    }
    start = { ...cursor };
    await d.batches.setCursor(b.id, cursor);
    if (eof && pos >= chunk.length) break;
  }
  return cursor;
}

/** Settles every line from `from` on as failed, saying why (the input can no longer be read). */
async function failUnread(d: BatchContext, b: BatchRecord, from: number, why: string): Promise<void> {
  const error = { code: 'batch_input_unreadable', message: `${why} before this line ran` };
  for (let line = from; line < b.total; line += 25) {
    const lines = Array.from({ length: Math.min(25, b.total - line) }, (_, i) => line + i);
    await Promise.all(
      lines.map((n) => d.batches.settle(b.id, { line: n, custom_id: null, status: 'failed', error })),
    );
  }
}

/**
 * One input line: an ordinary job ('made'), an error-file line naming what is wrong
 * ('settled'), or nothing yet because the key's batch lines are all running ('full').
 */
async function acceptLine(
  d: BatchContext,
  b: BatchRecord,
  line: number,
  text: string,
): Promise<'made' | 'settled' | 'full'> {
  const invalid = (
    custom_id: string | null,
    message: string,
    param: string | null = null,
    code = 'invalid_request',
  ) =>
    d.batches
      .settle(b.id, { line, custom_id, status: 'invalid', error: { code, message, param } })
      .then(() => 'settled' as const);
  let input: { custom_id?: unknown; method?: unknown; url?: unknown; body?: unknown };
  try {
    input = JSON.parse(text);
  } catch {
    return invalid(null, `line ${line + 1} is not JSON`);
  }
  const customId = typeof input.custom_id === 'string' && input.custom_id ? input.custom_id : null;
  if (!customId) return invalid(null, "'custom_id' must be a non-empty string", 'custom_id');
  if (input.method !== 'POST') return invalid(customId, "'method' must be 'POST'", 'method');
  if (input.url !== b.endpoint)
    return invalid(customId, `'url' must be '${b.endpoint}', the batch's endpoint`, 'url');
  const parsed = d.schemas.images.safeParse(input.body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const param = issue.path.length ? issue.path.join('.') : 'body';
    return invalid(customId, issue.message, param, 'invalid_value');
  }
  const body = parsed.data;
  if ((body.n ?? 1) !== 1) return invalid(customId, "a batch line makes one image: 'n' must be 1", 'n');
  const id = lineJobId(b.id, line);
  if (await d.jobs.request(id)) return 'made'; // made by an earlier run of this step
  if (!(await d.jobs.quota.claim(batchPool(b.owner), [id], d.inFlight))) return 'full';
  const seed = body.seed ?? createHash('sha256').update(id).digest().readUInt32BE(0) % 2 ** 31;
  try {
    const owner = b.owner ? { id: b.owner, webhookSecret: '' } : null;
    const request = await planJob(d, body, owner, { seed, id });
    const format = body.response_format === 'b64_json' ? 'b64_json' : 'url';
    const output = {
      ...(body.output_format && { output_format: body.output_format }),
      ...(body.output_compression != null && { output_compression: body.output_compression }),
    };
    await d.jobs.create(
      { ...request, batch: { id: b.id, line, custom_id: customId, response_format: format, ...output } },
      d.enqueue,
    );
    return 'made';
  } catch (e) {
    await d.jobs.quota.release(batchPool(b.owner), id);
    if (e instanceof InvalidRequest) return invalid(customId, e.message, e.param, e.code);
    throw e;
  }
}
