/** Shared helpers of the integration tests: a running local stack and polling. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { type AwsConfig, STAGE_QUEUES, sqsClient } from '@baton/aws';
import { TERMINAL } from '@baton/jobs';
import { type Stack, type StackOptions, startStack } from '@baton/stack';
import { connectWorker, silent } from '@baton/worker';

export const TEST_KEY = 'bk_test_0123456789abcdef';
export const auth = { authorization: `Bearer ${TEST_KEY}` };

export async function stack(options: Partial<StackOptions> = {}) {
  // Each stack its own folder: the bucket in s3/, its events beside it (as .baton/ holds both).
  const root = mkdtempSync(join(tmpdir(), 'baton-stack-'));
  return startStack({
    apiKey: TEST_KEY,
    dataDir: join(root, 's3'),
    // BATON_TEST_LOGS=1 shows the stack's and the workers' JSON logs (to debug a stall).
    ...(process.env.BATON_TEST_LOGS ? {} : { log: silent, workerLogs: 'ignore' as const }),
    sweepEveryMs: 1000,
    staleAfterMs: 60_000,
    // A message whose worker died comes back after this; short, so such a stall costs seconds.
    visibilityTimeoutSeconds: 10,
    syncWaitMs: 120_000,
    // The tests' webhook receivers listen on loopback: admitted explicitly, as a developer would.
    webhookAllowedHosts: ['127.0.0.1'],
    ...options,
    workerEnv: { BATON_PROGRESS_MS: '0', BATON_CANCEL_CHECK_MS: '0', ...options.workerEnv },
  });
}

export async function until<T>(
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 60_000,
  what = 'condition',
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    // Each poll costs the local S3 server several requests: poll gently.
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = auth,
  tries = 4,
): Promise<{ status: number; body: Record<string, any> }> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  // A 503 asks for a retry (the local S3 server drops a connection now and then under load).
  if (r.status === 503 && tries > 1) {
    await new Promise((res) => setTimeout(res, 500));
    return post(url, body, headers, tries - 1);
  }
  return { status: r.status, body: (await r.json()) as Record<string, any> };
}

export async function getJob(
  apiUrl: string,
  id: string,
  headers: Record<string, string> = auth,
  tries = 4,
): Promise<Record<string, any>> {
  const r = await fetch(`${apiUrl}/v1/jobs/${id}`, { headers });
  if (r.status === 503 && tries > 1) {
    await new Promise((res) => setTimeout(res, 300));
    return getJob(apiUrl, id, headers, tries - 1);
  }
  return (await r.json()) as Record<string, any>;
}

/**
 * Resolves once every stage queue is empty, nothing in flight included (the workers have
 * taken and finished every message): what a test waits for after sending duplicates or a
 * cancel, instead of a fixed sleep.
 */
export async function drained(config: AwsConfig, timeoutMs = 30_000): Promise<void> {
  const client = sqsClient(config);
  await until(
    async () => {
      const counts = await Promise.all(
        STAGE_QUEUES.map(async (q) => {
          const r = await client.send(
            new GetQueueAttributesCommand({
              QueueUrl: config.queues[q],
              AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
            }),
          );
          return (
            Number(r.Attributes?.ApproximateNumberOfMessages ?? 1) +
            Number(r.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 1)
          );
        }),
      );
      return counts.every((n) => n === 0);
    },
    timeoutMs,
    'the stage queues to drain',
  );
}

/**
 * Submits a job and cancels it while a relay stage is part-way: the relay worker is held
 * (SIGSTOP) at a step in the stage's first half, the cancel is posted, and the worker goes on
 * (SIGCONT) to find it at a later step boundary. A worker notices a cancel one storage round
 * trip after it goes on; on a loaded machine the stage's last steps can outrun that, and the
 * cancel then stops the job between two stages instead (correct, but not what a caller of
 * this tests). So the job's usage decides: a stage billed short means the cancel landed
 * part-way; none means it did not, and a fresh job is tried, up to `tries` jobs. Returns with
 * the stage queues drained: the job's records are final.
 */
export async function cancelMidStage(s: Stack, submit: () => Promise<string>, tries = 4) {
  const { jobs } = connectWorker(s.config);
  for (let attempt = 1; attempt <= tries; attempt++) {
    const id = await submit();
    const cancel = await holdAndCancel(s, id);
    if (!cancel) continue;
    await drained(s.config);
    const stopped = (await jobs.usage(id)).find((u) => !u.complete);
    if (stopped) return { id, cancel, stopped, jobs };
  }
  throw new Error(`in ${tries} jobs, no cancel landed part-way through a relay stage`);
}

/** Posts job `id`'s cancel while the relay worker is held in a relay stage's first half; undefined if none was seen. */
async function holdAndCancel(s: Stack, id: string) {
  const firstHalf = (j: Record<string, any>) =>
    j.stages.some(
      (st: { name: string; status: string; step?: number; of?: number }) =>
        st.name.startsWith('relay') && st.status === 'running' && st.step! >= 2 && st.step! <= st.of! / 2,
    );
  const relaysDone = (j: Record<string, any>) =>
    TERMINAL.includes(j.status) ||
    j.stages.every(
      (st: { name: string; status: string }) => !st.name.startsWith('relay') || st.status === 'done',
    );
  for (;;) {
    const seen = await until(
      async () => {
        const j = await getJob(s.apiUrl, id);
        return firstHalf(j) ? 'part-way' : relaysDone(j) ? 'past' : undefined;
      },
      90_000,
      'a relay stage part-way',
    );
    if (seen === 'past') return undefined;
    // Held, the stage cannot finish between the check and the cancel.
    const cancel = await whileHeld(s, 'relay', async () =>
      firstHalf(await getJob(s.apiUrl, id)) ? post(`${s.apiUrl}/v1/jobs/${id}/cancel`, {}) : undefined,
    );
    if (cancel) return cancel;
  }
}

/**
 * Runs `fn` while a stage queue's worker is held (SIGSTOP): it keeps what it has and does no
 * more until `fn` is done, then goes on (SIGCONT). Tests use it to see a job between two steps.
 */
export async function whileHeld<T>(s: Stack, queue: string, fn: () => Promise<T>): Promise<T> {
  const worker = s.workers.get(queue)!;
  worker.kill('SIGSTOP');
  try {
    return await fn();
  } finally {
    worker.kill('SIGCONT');
  }
}
