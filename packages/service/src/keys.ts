/**
 * API keys, stored only as SHA-256 hashes, one table item each (kept until revoked, and after):
 *   keys / {sha256(key)}   {id, name, hash, webhookSecret, createdAt, revokedAt?}
 * A presented key is hashed and looked up (one read); the stored hash is compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { queryAll, type StateTable } from '@baton/aws';

export interface KeyRecord {
  id: string;
  name: string;
  hash: string;
  /** Signs this key's webhook deliveries (Standard Webhooks, whsec_ + base64). */
  webhookSecret: string;
  createdAt: number;
  revokedAt?: number;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const random = (n: number) => Array.from(randomBytes(n), (b) => ALPHABET[b & 31]).join('');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const itemKey = (hash: string) => ({ pk: 'keys', sk: hash });

/** Verified (and refused) keys remembered at most: a stream of random keys cannot grow it without bound. */
export const KEY_CACHE_MAX = 10_000;
/** How long an API instance trusts a key it verified before reading it again (ms). */
export const KEY_CACHE_MS = 10_000;

export class DuplicateKeyNameError extends Error {
  override readonly name = 'DuplicateKeyNameError';
}

export class KeyStore {
  private cache = new Map<string, { record: KeyRecord | null; at: number }>();

  constructor(
    readonly table: StateTable,
    private readonly cacheMs = KEY_CACHE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Creates a key; the plaintext is returned once and never stored. */
  async create(name: string, plaintext?: string): Promise<{ key: string; record: KeyRecord }> {
    if (!/^[\w.-]{1,64}$/.test(name))
      throw new RangeError(`key name must be 1–64 letters, digits, ".", "_" or "-", not "${name}"`);
    const key = plaintext ?? `bk_${random(32)}`;
    if (key.length < 16) throw new RangeError('an API key must be at least 16 characters');
    const hash = sha256(key);
    const existing = await this.read(hash);
    if (existing && !existing.revokedAt) return { key, record: existing };
    // Names are unique among active keys: `keys revoke NAME` revokes exactly one.
    if ((await this.list()).some((r) => !r.revokedAt && r.name === name))
      throw new DuplicateKeyNameError(
        `an active key is already named "${name}": revoke it or choose another name`,
      );
    const record: KeyRecord = {
      id: `key_${random(12)}`,
      name,
      hash,
      webhookSecret: `whsec_${randomBytes(24).toString('base64')}`,
      createdAt: this.now(),
    };
    await this.table.put({ ...itemKey(hash), record });
    return { key, record };
  }

  private async read(hash: string): Promise<KeyRecord | null> {
    return ((await this.table.get(itemKey(hash)))?.record as KeyRecord | undefined) ?? null;
  }

  /** The active key for a presented secret, or null. */
  async verify(presented: string): Promise<KeyRecord | null> {
    const hash = sha256(presented);
    const hit = this.cache.get(hash);
    if (hit && this.now() - hit.at < this.cacheMs) return hit.record;
    const record = await this.read(hash);
    const ok =
      record !== null &&
      !record.revokedAt &&
      timingSafeEqual(Buffer.from(record.hash, 'hex'), Buffer.from(hash, 'hex'));
    const result = ok ? record : null;
    this.cache.delete(hash);
    if (this.cache.size >= KEY_CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(hash, { record: result, at: this.now() });
    return result;
  }

  async list(): Promise<KeyRecord[]> {
    return (await queryAll(this.table, { pk: 'keys', consistent: true })).map((i) => i.record as KeyRecord);
  }

  /** Revokes by id or name; returns the revoked records. */
  async revoke(idOrName: string): Promise<KeyRecord[]> {
    const targets = (await this.list()).filter(
      (r) => !r.revokedAt && (r.id === idOrName || r.name === idOrName),
    );
    for (const r of targets) {
      const revoked = { ...r, revokedAt: this.now() };
      await this.table.put({ ...itemKey(r.hash), record: revoked });
    }
    this.cache.clear();
    return targets;
  }
}
