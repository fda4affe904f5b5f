/** Request bodies, checked field by field; every error names the field. */
import { MAX_SEED } from '@baton/diffusion';
import type { Manifest } from '@baton/runtime/manifest';
import { badRequest } from './api-error.ts';

type Body = Record<string, unknown>;

export function asObject(v: unknown): Body {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw badRequest('body', 'the request body must be a JSON object');
  return v as Body;
}

export function str(b: Body, k: string, required: true): string;
export function str(b: Body, k: string, required?: false): string | undefined;
export function str(b: Body, k: string, required = false): string | undefined {
  const v = b[k];
  if (v === undefined || v === null) {
    if (required) throw badRequest(k, `'${k}' is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw badRequest(k, `'${k}' must be a string`);
  return v;
}

export function int(b: Body, k: string, min: number, max: number): number | undefined {
  const v = b[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw badRequest(k, `'${k}' must be an integer in ${min}…${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function num(b: Body, k: string, min: number, max: number): number | undefined {
  const v = b[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw badRequest(k, `'${k}' must be a number in ${min}…${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function bool(b: Body, k: string): boolean | undefined {
  const v = b[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw badRequest(k, `'${k}' must be true or false`);
  return v;
}

export function oneOf<T extends string>(b: Body, k: string, choices: readonly T[]): T | undefined {
  const v = str(b, k);
  if (v === undefined) return undefined;
  if (!choices.includes(v as T))
    throw badRequest(k, `'${k}' must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got '${v}'`);
  return v as T;
}

/** "128x128" (OpenAI) or 128. */
export function size(b: Body, m: Manifest, sizes: number[]): number | undefined {
  const v = b.size;
  if (v === undefined || v === null || v === 'auto') return undefined;
  let n: number | undefined;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string') {
    const match = /^(\d+)x(\d+)$/.exec(v);
    if (match && match[1] === match[2]) n = Number(match[1]);
  }
  if (n === undefined || !sizes.includes(n)) {
    throw badRequest(
      'size',
      `'size' must be one of ${sizes.map((s) => `'${s}x${s}'`).join(', ')} for model ${m.id}, got ${JSON.stringify(v)}`,
    );
  }
  return n;
}

export function seed(b: Body): number | undefined {
  return int(b, 'seed', 0, MAX_SEED);
}

export function prompt(b: Body, m: Manifest): string {
  const p = str(b, 'prompt', true);
  const max = m.limits?.max_prompt_chars ?? 1000;
  if (p.trim() === '') throw badRequest('prompt', "'prompt' must not be empty");
  if (p.length > max) throw badRequest('prompt', `'prompt' is ${p.length} characters; the limit is ${max}`);
  return p;
}

const EVENTS = ['started', 'progress', 'completed', 'failed'] as const;

/** `webhook: {url, events?}`: an http(s) URL and a subset of the events (default completed, failed). */
export function webhook(b: Body): { url: string; events: (typeof EVENTS)[number][] } | undefined {
  const v = b.webhook;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v))
    throw badRequest('webhook', "'webhook' must be an object {url, events}");
  const w = v as Body;
  let url: URL;
  try {
    url = new URL(String(w.url));
  } catch {
    throw badRequest('webhook.url', "'webhook.url' must be an absolute http(s) URL");
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw badRequest('webhook.url', "'webhook.url' must be http or https");
  const events = w.events ?? ['completed', 'failed'];
  if (!Array.isArray(events) || events.length === 0 || events.some((e) => !EVENTS.includes(e))) {
    throw badRequest('webhook.events', `'webhook.events' must be a non-empty list of ${EVENTS.join(', ')}`);
  }
  return { url: url.toString(), events: [...new Set(events)] as (typeof EVENTS)[number][] };
}
