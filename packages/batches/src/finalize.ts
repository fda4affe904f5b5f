/**
 * A batch's end: its output and error files, written from the settled lines in line order, then
 * its final status. Every write is idempotent (file ids derive from the batch id), so a
 * finalize run twice writes the same files. The output file keeps each image as its job id; the
 * content route renders it as a signed URL (or b64_json) when it is read (render.ts).
 */
import type { BatchContext } from './context.ts';
import { fileIdFor, LINE_TOO_LONG, storedLines } from './files.ts';
import { renderLine } from './render.ts';
import { announce } from './status.ts';
import {
  BATCH_TERMINAL,
  type BatchRecord,
  type BatchStatus,
  type BatchUsage,
  currentStatus,
  type LineOutcome,
  type StatusRecord,
  type StoredLine,
} from './store.ts';

const encoder = new TextEncoder();

function storedLine(b: BatchRecord, o: LineOutcome): StoredLine {
  const id = `batch_req_${b.id.slice(6)}_${o.line}`;
  if (o.status === 'succeeded')
    return {
      id,
      custom_id: o.custom_id,
      response: {
        status_code: 200,
        request_id: o.job_id!,
        body: {
          data: [
            {
              job_id: o.job_id,
              revised_prompt: o.revised_prompt,
              ...(o.warnings?.length && { warnings: o.warnings }),
              response_format: o.response_format ?? 'url',
              ...(o.output_format && { output_format: o.output_format }),
              ...(o.output_compression != null && { output_compression: o.output_compression }),
              ...(o.best_of && { best_of: o.best_of }),
            },
          ],
        },
      },
      error: null,
    };
  const code = o.error?.code ?? (o.status === 'canceled' ? 'batch_cancelled' : o.status);
  const message = o.error?.message ?? (o.status === 'canceled' ? 'the batch was cancelled first' : o.status);
  const status = o.status === 'invalid' ? 400 : o.status === 'failed' ? 500 : 499;
  return {
    id,
    custom_id: o.custom_id,
    response: {
      status_code: status,
      request_id: o.job_id ?? id,
      body: { error: { message, type: 'invalid_request_error', param: o.error?.param ?? null, code } },
    },
    error: null,
  };
}

export async function finalizeBatch(
  d: BatchContext,
  b: BatchRecord,
  statuses: Map<BatchStatus, StatusRecord>,
  expired = false,
): Promise<BatchStatus> {
  const before = currentStatus(statuses);
  if (BATCH_TERMINAL.includes(before)) return before;
  if (await d.batches.reach(b.id, 'finalizing')) await announce(d, b, 'finalizing');
  const outcomes = await d.batches.outcomes(b.id);
  const ok = outcomes.filter((o) => o.status === 'succeeded');
  const bad = outcomes.filter((o) => o.status !== 'succeeded');
  // Lines never fanned out (a cancelled or expired batch) are in the error file too, with their custom_id.
  const settled = new Set(outcomes.map((o) => o.line));
  const unread = await customIdsFrom(d, b);
  const why = expired ? { code: 'batch_expired', message: 'the batch expired first' } : undefined;
  for (let line = 0; line < b.total; line++)
    if (!settled.has(line))
      bad.push({ line, custom_id: unread.get(line) ?? null, status: 'canceled', ...(why && { error: why }) });
  bad.sort((x, y) => x.line - y.line);
  const write = async (kind: 'output' | 'error', lines: LineOutcome[]) => {
    if (!lines.length) return undefined;
    const text = lines.map((o) => `${JSON.stringify(storedLine(b, o))}\n`).join('');
    const file = await d.files.create(
      {
        owner: b.owner,
        purpose: 'batch_output',
        filename: `${b.id}_${kind}.jsonl`,
        id: fileIdFor(`${b.id}:${kind}`),
        batch: { id: b.id, kind },
      },
      encoder.encode(text),
    );
    return file.id;
  };
  const [output_file_id, error_file_id] = [await write('output', ok), await write('error', bad)];
  const usage: BatchUsage = {
    jobs: outcomes.filter((o) => o.job_id).length,
    compute_ms: outcomes.reduce((a, o) => a + (o.compute_ms ?? 0), 0),
    cost_usd: Number(outcomes.reduce((a, o) => a + (o.cost_usd ?? 0), 0).toPrecision(6)),
  };
  if (b.outbox) await writeOutbox(d, b, ok, bad);
  const final: BatchStatus = expired ? 'expired' : statuses.has('cancelling') ? 'cancelled' : 'completed';
  const fields = {
    ...(output_file_id && { output_file_id }),
    ...(error_file_id && { error_file_id }),
    usage,
  };
  if (await d.batches.reach(b.id, final, fields)) await announce(d, b, final);
  await d.batches.ended(b.id);
  return final;
}

/** An S3 drop-in batch: the rendered results beside its inbox name (images as the API's signed links). */
async function writeOutbox(
  d: BatchContext,
  b: BatchRecord,
  ok: LineOutcome[],
  bad: LineOutcome[],
): Promise<void> {
  const lines = await Promise.all(ok.map(async (o) => renderLine(d, storedLine(b, o), { url: d.outboxUrl })));
  const put = (name: string, rows: string[]) =>
    rows.length ? d.files.store.put(`${b.outbox}${name}`, rows.join(''), 'application/jsonl') : undefined;
  await put('output.jsonl', lines);
  await put(
    'errors.jsonl',
    bad.map((o) => `${JSON.stringify(storedLine(b, o))}\n`),
  );
}

/**
 * The custom_id of each line not yet read (from the cursor on), read from the input in ranged
 * chunks; none when the input is gone.
 */
async function customIdsFrom(d: BatchContext, b: BatchRecord): Promise<Map<number, string>> {
  const ids = new Map<number, string>();
  const cursor = await d.batches.cursor(b.id);
  let line = cursor.line;
  for await (const chunk of storedLines(d.files.store, b.input_key, cursor.byte, d.chunkBytes)) {
    if (chunk === LINE_TOO_LONG || line >= b.total) break;
    for (const raw of chunk.rows) {
      const text = raw.trim();
      if (!text) continue;
      try {
        const id = (JSON.parse(text) as { custom_id?: unknown }).custom_id;
        if (typeof id === 'string' && id) ids.set(line, id);
      } catch {}
      line++;
    }
  }
  return ids;
}
