/** The public batch object, as OpenAI's Batch API has it (plus `usage`), derived from the batch's records. */
import { z } from '@hono/zod-openapi';
import { BATCH_STATUSES, BATCH_TERMINAL, type BatchRecord, type BatchStore, currentStatus } from './store.ts';

export async function publicBatch(store: BatchStore, b: BatchRecord) {
  const [statuses, settled] = await Promise.all([store.statuses(b.id), store.settled(b.id)]);
  const status = currentStatus(statuses);
  const at = (s: (typeof BATCH_STATUSES)[number]) => statuses.get(s)?.at ?? null;
  const final = BATCH_TERMINAL.includes(status) ? statuses.get(status) : undefined;
  let completed = 0;
  let failed = 0;
  // As OpenAI counts: a line is completed or failed once it ran (or was refused); a line a
  // cancelled or expired batch never ran, or cancelled while it ran, is neither.
  for (const s of settled.values()) {
    if (s === 'succeeded') completed++;
    else if (s === 'failed' || s === 'invalid') failed++;
  }
  return {
    id: b.id,
    object: 'batch' as const,
    endpoint: b.endpoint,
    errors: final?.errors?.length ? { object: 'list' as const, data: final.errors } : null,
    input_file_id: b.input_file_id,
    completion_window: b.completion_window,
    status,
    output_file_id: final?.output_file_id ?? null,
    error_file_id: final?.error_file_id ?? null,
    created_at: b.created_at,
    in_progress_at: at('in_progress'),
    expires_at: b.expires_at,
    finalizing_at: at('finalizing'),
    completed_at: at('completed'),
    failed_at: at('failed'),
    expired_at: at('expired'),
    cancelling_at: at('cancelling'),
    cancelled_at: at('cancelled'),
    request_counts: { total: b.total, completed, failed },
    metadata: b.metadata,
    usage: final?.usage ?? null,
  };
}

export type PublicBatch = Awaited<ReturnType<typeof publicBatch>>;

const when = z.number().int().nullable();
export const BatchSchema = z
  .object({
    id: z.string(),
    object: z.literal('batch'),
    endpoint: z.string(),
    errors: z.object({ object: z.literal('list'), data: z.array(z.object({}).passthrough()) }).nullable(),
    input_file_id: z.string(),
    completion_window: z.string(),
    status: z.enum(BATCH_STATUSES),
    output_file_id: z.string().nullable(),
    error_file_id: z.string().nullable(),
    created_at: z.number().int(),
    in_progress_at: when,
    expires_at: z.number().int(),
    finalizing_at: when,
    completed_at: when,
    failed_at: when,
    expired_at: when,
    cancelling_at: when,
    cancelled_at: when,
    request_counts: z.object({
      total: z.number().int(),
      completed: z.number().int(),
      failed: z.number().int(),
    }),
    metadata: z.record(z.string(), z.string()).nullable(),
    usage: z
      .object({ jobs: z.number().int(), compute_ms: z.number(), cost_usd: z.number() })
      .nullable()
      .openapi({
        description: "What the batch's jobs used (when it has ended); every line is billed as a job",
      }),
  })
  .openapi('Batch');
