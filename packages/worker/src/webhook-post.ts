/**
 * One webhook POST, guarded: the connection goes through request-filtering-agent (the address
 * actually connected to must be public, whatever the name resolved to), redirects are not
 * followed (a 3xx is the answer), and the whole attempt has a time limit. Hosts on the
 * allow-list (local development) connect without the filter.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { type AllowList, isAllowListed, webhookUrlProblem } from '@baton/jobs';
import { useAgent } from 'request-filtering-agent';

/** Posts `body`; resolves with the HTTP status, rejects with why nothing was answered. */
export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  o: { timeoutMs: number; allow: AllowList; lookup?: LookupFunction },
): Promise<number> {
  // Checked again at delivery: a job accepted before a policy change is held to the current one.
  const problem = webhookUrlProblem(url, o.allow);
  if (problem) return Promise.reject(new Error(`webhook URL refused: ${problem}`));
  const u = new URL(url);
  const lib = u.protocol === 'https:' ? https : http;
  const agent = isAllowListed(u, o.allow) ? undefined : useAgent(url);
  return new Promise((resolve, reject) => {
    const req = lib.request(
      u,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        ...(agent && { agent }),
        // A resolver of the caller's (tests stand in for DNS that answers with an inside address).
        ...(o.lookup && { lookup: o.lookup }),
        signal: AbortSignal.timeout(o.timeoutMs),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
