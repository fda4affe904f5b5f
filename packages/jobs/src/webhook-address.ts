/**
 * Where a webhook may be delivered. A tenant's URL must not reach the deployment's own
 * network: private, loopback, link-local (the metadata service), unspecified and every other
 * non-public range are refused, in every spelling (the URL parser folds decimal, hex and octal
 * IPv4; ipaddr.js unwraps IPv4-mapped IPv6). Names are checked again at connect time by the
 * sender (the address actually connected to: DNS rebinding). Local development admits exactly
 * the hosts of an explicit allow-list (BATON_WEBHOOK_ALLOWED_HOSTS=host[:port],…).
 */
import ipaddr from 'ipaddr.js';

/** `host` (any port) or `host:port`, lower-cased. */
export type AllowList = ReadonlySet<string>;

export function parseAllowList(entries: readonly string[] | undefined): AllowList {
  return new Set((entries ?? []).map((e) => e.trim().toLowerCase()).filter(Boolean));
}

/** Names that always mean this machine or its network, whatever DNS says (the connect-time check refuses their addresses). */
const INSIDE_NAMES = new Set(['localhost', 'ip6-localhost', 'ip6-loopback', 'localhost.localdomain']);
const INSIDE_SUFFIXES = ['.localhost', '.internal', '.local', '.localdomain', '.home.arpa'];

const defaultPort = (u: URL) => u.port || (u.protocol === 'https:' ? '443' : '80');

/** Whether the URL's host (and port) is on the allow-list. */
export function isAllowListed(u: URL, allow: AllowList): boolean {
  const host = u.hostname.toLowerCase();
  return allow.has(host) || allow.has(`${host}:${defaultPort(u)}`);
}

/** The range of an IP literal ('unicast' is public), or null when the host is a name. */
export function ipRange(hostname: string): string | null {
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(bare)) return null;
  return ipaddr.process(bare).range();
}

/**
 * Why a webhook URL is refused before anything is sent (null: it may be tried). A name that
 * resolves to a private address is refused at connect time instead.
 */
export function webhookUrlProblem(raw: string, allow: AllowList): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'must be an absolute http or https URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must be an http or https URL';
  if (u.username || u.password) return 'must not carry credentials';
  if (isAllowListed(u, allow)) return null;
  // A name is the same name with its root dot ("localhost." is localhost): checked without it.
  const host = u.hostname.toLowerCase().replace(/\.+$/, '');
  if (INSIDE_NAMES.has(host) || INSIDE_SUFFIXES.some((sfx) => host.endsWith(sfx)))
    return `must be a public address, not ${host}`;
  const range = ipRange(host);
  if (range !== null && range !== 'unicast') return `must be a public address, not ${host} (${range})`;
  return null;
}
