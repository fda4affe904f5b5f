/**
 * Idempotency-Key on POST /v1/jobs: the same key and body give the same job; another body is
 * a 409. The key is claimed before the job exists (a conditional write: of two racing
 * requests, one wins), naming the job id it will have. A claim whose job never appeared (its
 * request died in between) is completed by the next request with the same key, under that id.
 */
import { createHash } from 'node:crypto';
import { isTransient } from '@baton/aws';
import { type IdempotencyClaim, newJobId } from '@baton/jobs';
import { ApiError } from './api-error.ts';
import type { Api } from './context.ts';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** JSON with object keys sorted: the same body with fields in another order hashes the same. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export interface Claimed {
  /** The job id to create (or that exists). */
  jobId: string;
  /** This request made the claim (and must release it if it is refused). */
  won: boolean;
  /** The claimed job already exists: answer with it. */
  existing: boolean;
  release(): Promise<void>;
}

export async function claimIdempotencyKey(
  api: Api,
  owner: string,
  key: string,
  body: unknown,
): Promise<Claimed> {
  const keyHash = sha256(key);
  const claim: IdempotencyClaim = { bodyHash: sha256(canonicalJson(body)), jobId: newJobId(), at: api.now() };
  const { won, held } = await api.jobs.idempotency.claim(owner, keyHash, claim);
  if (!held) throw new ApiError(503, 'server_error', 'idempotency record unreadable, retry');
  if (held.bodyHash !== claim.bodyHash) {
    throw new ApiError(
      409,
      'invalid_request_error',
      'Idempotency-Key was already used with a different request body.',
      'Idempotency-Key',
      'idempotency_conflict',
    );
  }
  const existing = !won && (await waitForRequest(api, held)) !== null;
  return {
    jobId: held.jobId,
    won,
    existing,
    release: async () => {
      if (won) await api.jobs.idempotency.release(owner, keyHash).catch(() => {});
    },
  };
}

/** The claimed job's request, once its creator has written it (null: the creator is gone). */
async function waitForRequest(api: Api, claim: IdempotencyClaim) {
  const until = (claim.at ?? 0) + api.config.idempotencyWaitMs;
  for (;;) {
    const r = await api.jobs.request(claim.jobId).catch((e) => {
      if (isTransient(e)) return null; // being written: look again
      throw e;
    });
    if (r || api.now() >= until) return r;
    await new Promise((res) => setTimeout(res, 50));
  }
}
