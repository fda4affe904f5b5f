/** `baton generate --api URL`: the same job sent to a running stack over HTTP. */
import { randomUUID } from 'node:crypto';
import { UsageError } from './usage-error.ts';

export interface RemoteJob {
  prompt: string;
  seed: number;
  size?: number;
  variant?: string;
  stepsBase?: number;
  stepsRelay?: number;
  guidanceBase?: number;
  guidanceRelay?: number;
  expand: boolean;
}

export interface RemoteResult {
  png: Uint8Array;
  caption: string;
  seed: number;
  size: number;
  variant: string;
  timings: Record<string, number>;
  stages: string[];
}

export class RemoteError extends Error {
  override readonly name = 'RemoteError';
}

export async function generateRemote(
  api: string,
  job: RemoteJob,
  onProgress: (stage: string, step: number, of: number) => void,
): Promise<RemoteResult> {
  let base: URL;
  try {
    base = new URL(api);
  } catch {
    throw new UsageError(`--api must be a URL like http://127.0.0.1:8787 but is "${api}"`);
  }
  const body = {
    prompt: job.prompt,
    seed: job.seed,
    expand: job.expand,
    ...(job.size !== undefined && { size: job.size }),
    ...(job.variant !== undefined && { variant: job.variant }),
    ...(job.stepsBase !== undefined && { steps_base: job.stepsBase }),
    ...(job.stepsRelay !== undefined && { steps_relay: job.stepsRelay }),
    ...(job.guidanceBase !== undefined && { guidance: job.guidanceBase }),
    ...(job.guidanceRelay !== undefined && { guidance_relay: job.guidanceRelay }),
  };
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (process.env.BATON_API_KEY) headers.authorization = `Bearer ${process.env.BATON_API_KEY}`;
  // Retried on 503/429: the Idempotency-Key makes a retried create return the same job.
  const created = await request(new URL('/v1/jobs', base), {
    method: 'POST',
    headers: { ...headers, 'idempotency-key': randomUUID() },
    body: JSON.stringify(body),
  });
  const id = created.id as string;
  for (;;) {
    const j = await request(new URL(`/v1/jobs/${id}`, base), { headers });
    if (j.progress) onProgress(j.progress.stage, j.progress.step, j.progress.of ?? 1);
    if (j.status === 'succeeded') {
      const res = await fetch(j.result.image_url, { headers });
      if (!res.ok) throw new RemoteError(`downloading the image of ${id}: HTTP ${res.status}`);
      return {
        png: new Uint8Array(await res.arrayBuffer()),
        caption: j.revised_prompt,
        seed: j.seed,
        size: Number(String(j.size).split('x')[0]),
        variant: j.variant,
        timings: j.timings_ms,
        stages: j.stages.map((s: { name: string }) => s.name),
      };
    }
    if (j.status === 'failed' || j.status === 'canceled') {
      throw new RemoteError(`job ${id} ${j.status}${j.error ? `: ${j.error.reason}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

// biome-ignore lint/suspicious/noExplicitAny: API JSON, read field by field above
async function request(url: URL, init: RequestInit, tries = 4): Promise<any> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (e) {
    throw new RemoteError(`cannot reach ${url.origin}: ${(e as Error).message}`);
  }
  // 503 and 429 say "retry": do, after Retry-After (or a short backoff).
  if ((res.status === 503 || res.status === 429) && tries > 1) {
    const wait = Number(res.headers.get('retry-after') ?? 1);
    await new Promise((r) => setTimeout(r, Math.min(30, Math.max(0.2, wait)) * 1000));
    return request(url, init, tries - 1);
  }
  const text = await res.text();
  let json: { error?: { message: string; param?: string } } & Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RemoteError(`${url.pathname}: HTTP ${res.status}, not JSON`);
  }
  if (res.status >= 400 && res.status < 500 && json.error) {
    throw new UsageError(`${json.error.param ? `${json.error.param}: ` : ''}${json.error.message}`);
  }
  if (!res.ok) throw new RemoteError(`${url.pathname}: HTTP ${res.status} ${json.error?.message ?? ''}`);
  return json;
}
