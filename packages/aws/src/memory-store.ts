/**
 * A BlobStore in this process's memory: for unit tests of the code above the store, and
 * for one-process tools that need no bucket. Keys list in lexicographic order, as S3's do.
 */
import type { BlobStore } from './blob-store.ts';

export class MemoryBlobStore implements BlobStore {
  readonly objects = new Map<string, { body: Uint8Array; contentType: string; etag: string }>();
  private version = 0;

  async put(key: string, body: Uint8Array | string, contentType = 'application/octet-stream') {
    this.write(key, body, contentType);
  }

  /** Check-and-write in one synchronous step: conditional writes are atomic, as in S3. */
  private write(key: string, body: Uint8Array | string, contentType = 'application/octet-stream') {
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : new Uint8Array(body);
    this.objects.set(key, { body: bytes, contentType, etag: `"v${++this.version}"` });
  }

  async putIfAbsent(key: string, body: Uint8Array | string, contentType?: string): Promise<boolean> {
    if (this.objects.has(key)) return false;
    this.write(key, body, contentType);
    return true;
  }

  async putIfMatch(
    key: string,
    body: Uint8Array | string,
    etag: string,
    contentType?: string,
  ): Promise<boolean> {
    if (this.objects.get(key)?.etag !== etag) return false;
    this.write(key, body, contentType);
    return true;
  }

  async getVersioned(key: string): Promise<{ body: Uint8Array; etag: string } | null> {
    const o = this.objects.get(key);
    return o ? { body: new Uint8Array(o.body), etag: o.etag } : null;
  }

  async get(key: string): Promise<Uint8Array | null> {
    const o = this.objects.get(key);
    return o ? new Uint8Array(o.body) : null;
  }

  async getRange(key: string, start: number, length: number): Promise<Uint8Array | null> {
    const o = this.objects.get(key);
    return o ? new Uint8Array(o.body.subarray(start, start + length)) : null;
  }

  async exists(key: string): Promise<boolean> {
    return this.objects.has(key);
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }
}
