/** `baton generate --api URL|local`: the same job sent to a running stack over HTTP. */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { config, localHome } from '@baton/config';
import { UsageError } from './usage-error.ts';

/** Where `npm start` writes its URL (stack.json) and the key it created (local-key). */

/**
 * The API's URL and key: `--api local` is the stack `npm start` runs here (.baton/stack.json);
 * the key is BATON_API_KEY, else the local stack's own (.baton/local-key) for a loopback URL.
 */
export function resolveApi(api: string): { url: string; key: string | undefined; keyFrom: string } {
  let url = api;
  if (api === 'local') {
    const file = join(localHome(config()), 'stack.json');
    if (!existsSync(file))
      throw new UsageError('--api local: no local stack here (.baton/stack.json): run `npm start` first');
    url = (JSON.parse(readFileSync(file, 'utf8')) as { apiUrl: string }).apiUrl;
  }
  const fromEnv = config().BATON_API_KEY;
  if (fromEnv) return { url, key: fromEnv, keyFrom: 'BATON_API_KEY' };
  const keyFile = join(localHome(config()), 'local-key');
  const loopback = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/.test(url);
  if (loopback && existsSync(keyFile))
    return { url, key: readFileSync(keyFile, 'utf8').trim(), keyFrom: '.baton/local-key' };
  return { url, key: undefined, keyFrom: 'nothing' };
}

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
  strict?: boolean;
  bestOf?: number;
}

export interface RemoteResult {
  /** The job's id (what `baton continue` takes). */
  id: string;
  png: Uint8Array;
  caption: string;
  warnings: string[];
  seed: number;
  size: number;
  variant: string;
  timings: Record<string, number>;
  stages: string[];
  /** The job's partial images (signed links), each stage's image before the last. */
  previews: { index: number; source: string; url: string }[];
  /** A best_of job's candidates and the kept one, as the API shows them. */
  bestOf: unknown;
}

export class RemoteError extends Error {
  override readonly name = 'RemoteError';
}

export async function generateRemote(
  api: { url: string; key: string | undefined; keyFrom: string },
  job: RemoteJob,
  onProgress: (stage: string, step: number, of: number) => void,
): Promise<RemoteResult> {
  const base = baseOf(api);
  const body = {
    prompt: job.prompt,
    seed: job.seed,
    expand: job.expand,
    ...(job.strict && { strict: true }),
    ...(job.size !== undefined && { size: job.size }),
    ...(job.variant !== undefined && { variant: job.variant }),
    ...(job.stepsBase !== undefined && { steps_base: job.stepsBase }),
    ...(job.stepsRelay !== undefined && { steps_relay: job.stepsRelay }),
    ...(job.guidanceBase !== undefined && { guidance: job.guidanceBase }),
    ...(job.guidanceRelay !== undefined && { guidance_relay: job.guidanceRelay }),
    ...(job.bestOf !== undefined && job.bestOf > 1 && { best_of: job.bestOf }),
  };
  const { headers, keyHint } = auth(api);
  // Retried on 503/429: the Idempotency-Key makes a retried create return the same job.
  const created = await request(new URL('/v1/jobs', base), keyHint, {
    method: 'POST',
    headers: { ...headers, 'idempotency-key': randomUUID() },
    body: JSON.stringify(body),
  });
  return awaitJob(base, created.id as string, headers, keyHint, onProgress);
}

/** The Authorization header for an API's key, if it has one. */
export const bearer = (api: { key: string | undefined }): Record<string, string> =>
  api.key ? { authorization: `Bearer ${api.key}` } : {};

function auth(api: { key: string | undefined; keyFrom: string }) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...bearer(api) };
  const keyHint = `the key came from ${api.keyFrom}: set BATON_API_KEY (the local stack's is in .baton/local-key)`;
  return { headers, keyHint };
}

function baseOf(api: { url: string }): URL {
  try {
    return new URL(api.url);
  } catch {
    throw new UsageError(`--api must be a URL like http://127.0.0.1:8787, or local, but is "${api.url}"`);
  }
}

/** Finishes a succeeded job at a larger size (POST /v1/jobs/{id}/continue) and waits for its image. */
export async function continueRemote(
  api: { url: string; key: string | undefined; keyFrom: string },
  id: string,
  size: number,
  onProgress: (stage: string, step: number, of: number) => void,
): Promise<RemoteResult & { continuedFrom: string }> {
  const base = baseOf(api);
  const { headers, keyHint } = auth(api);
  const created = await request(new URL(`/v1/jobs/${encodeURIComponent(id)}/continue`, base), keyHint, {
    method: 'POST',
    headers,
    body: JSON.stringify({ size }),
  });
  return { ...(await awaitJob(base, created.id as string, headers, keyHint, onProgress)), continuedFrom: id };
}

/** Waits for a job to end (held answers, else polling); its image, or a RemoteError saying why there is none. */
async function awaitJob(
  base: URL,
  id: string,
  headers: Record<string, string>,
  keyHint: string,
  onProgress: (stage: string, step: number, of: number) => void,
): Promise<RemoteResult> {
  for (;;) {
    // Held up to a second for the job to end (Prefer: wait): seen ended within ~10 ms, progress each second.
    const t0 = Date.now();
    const j = await request(new URL(`/v1/jobs/${id}`, base), keyHint, {
      headers: { ...headers, prefer: 'wait=1' },
    });
    if (j.progress) onProgress(j.progress.stage, j.progress.step, j.progress.of ?? 1);
    if (j.status === 'succeeded') {
      const res = await fetch(j.result.image_url, { headers });
      if (!res.ok) throw new RemoteError(`downloading the image of ${id}: HTTP ${res.status}`);
      return {
        id,
        png: new Uint8Array(await res.arrayBuffer()),
        caption: j.revised_prompt,
        warnings: j.warnings ?? [],
        seed: j.seed,
        size: Number(String(j.size).split('x')[0]),
        variant: j.variant,
        timings: j.timings_ms,
        stages: j.stages.map((s: { name: string }) => s.name),
        previews: j.previews ?? [],
        bestOf: j.best_of ?? null,
      };
    }
    if (j.status === 'failed' || j.status === 'canceled') {
      throw new RemoteError(`job ${id} ${j.status}${j.error ? `: ${j.error.reason}` : ''}`);
    }
    // A server that answered at once (it does not hold answers): poll gently instead.
    if (Date.now() - t0 < 100) await new Promise((r) => setTimeout(r, 200));
  }
}

// biome-ignore lint/suspicious/noExplicitAny: API JSON, read field by field above
export async function request(url: URL, keyHint: string, init: RequestInit, tries = 4): Promise<any> {
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
    return request(url, keyHint, init, tries - 1);
  }
  const text = await res.text();
  let json: { error?: { message: string; param?: string } } & Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RemoteError(`${url.pathname}: HTTP ${res.status}, not JSON`);
  }
  if (res.status === 401)
    throw new UsageError(`${json.error?.message ?? 'the API refused the key'} (${keyHint})`);
  if (res.status >= 400 && res.status < 500 && json.error) {
    throw new UsageError(`${json.error.param ? `${json.error.param}: ` : ''}${json.error.message}`);
  }
  if (!res.ok) throw new RemoteError(`${url.pathname}: HTTP ${res.status} ${json.error?.message ?? ''}`);
  return json;
}
