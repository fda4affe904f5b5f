/** Objects in the bucket: latents, images and job records (AWS SDK v3 S3 client). */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { type AwsConfig, clientOptions, MAX_ATTEMPTS } from './config.ts';

export interface BlobStore {
  put(key: string, body: Uint8Array | string, contentType?: string): Promise<void>;
  /**
   * Writes only if no object has the key (S3 conditional write, If-None-Match: *); false when
   * one exists. The first of two racing writers wins. (The local s3rver ignores the condition:
   * there the last writer wins.)
   */
  putIfAbsent(key: string, body: Uint8Array | string, contentType?: string): Promise<boolean>;
  /** The object and its ETag (for a compare-and-swap with putIfMatch), or null. */
  getVersioned(key: string): Promise<{ body: Uint8Array; etag: string } | null>;
  /** Writes only if the object still has this ETag (If-Match); false when another writer got there first. */
  putIfMatch(key: string, body: Uint8Array | string, etag: string, contentType?: string): Promise<boolean>;
  /** null when the object does not exist. */
  get(key: string): Promise<Uint8Array | null>;
  /** Up to `length` bytes from `start` (an S3 ranged GET): fewer at the end, none past it; null when absent. */
  getRange(key: string, start: number, length: number): Promise<Uint8Array | null>;
  exists(key: string): Promise<boolean>;
  /** Keys under a prefix (all pages). */
  list(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
}

function notFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === 'NoSuchKey' || err?.name === 'NotFound' || err?.$metadata?.httpStatusCode === 404;
}

export class S3BlobStore implements BlobStore {
  readonly client: S3Client;

  constructor(
    config: AwsConfig,
    readonly bucket = config.bucket,
    /** A request unanswered this long fails (and is retried): no caller ever hangs on the store. */
    timeoutMs = config.requestTimeoutMs ?? 15_000,
  ) {
    this.client = new S3Client({
      ...clientOptions(config, config.s3Endpoint, timeoutMs),
      maxAttempts: MAX_ATTEMPTS,
      ...(config.s3Endpoint && { forcePathStyle: true }),
    });
  }

  async put(key: string, body: Uint8Array | string, contentType = 'application/octet-stream'): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentLength: byteLength(body),
        ContentType: contentType,
      }),
    );
  }

  putIfAbsent(
    key: string,
    body: Uint8Array | string,
    contentType = 'application/octet-stream',
  ): Promise<boolean> {
    return this.conditionalPut({ Key: key, Body: body, ContentType: contentType, IfNoneMatch: '*' });
  }

  putIfMatch(
    key: string,
    body: Uint8Array | string,
    etag: string,
    contentType = 'application/octet-stream',
  ): Promise<boolean> {
    return this.conditionalPut({ Key: key, Body: body, ContentType: contentType, IfMatch: etag });
  }

  async getVersioned(key: string): Promise<{ body: Uint8Array; etag: string } | null> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return { body: r.Body ? await r.Body.transformToByteArray() : new Uint8Array(0), etag: r.ETag ?? '' };
    } catch (e) {
      if (notFound(e)) return null;
      throw e;
    }
  }

  private async conditionalPut(
    input: Omit<ConstructorParameters<typeof PutObjectCommand>[0], 'Bucket'>,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          ...input,
          ContentLength: byteLength(input.Body as Uint8Array | string),
        }),
      );
      return true;
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      // 412: the condition does not hold. 409: a concurrent conditional write to the key is in progress.
      if (status === 412 || status === 409) return false;
      throw e;
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return r.Body ? await r.Body.transformToByteArray() : new Uint8Array(0);
    } catch (e) {
      if (notFound(e)) return null;
      throw e;
    }
  }

  async getRange(key: string, start: number, length: number): Promise<Uint8Array | null> {
    try {
      const range = `bytes=${start}-${start + length - 1}`;
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range }));
      return r.Body ? await r.Body.transformToByteArray() : new Uint8Array(0);
    } catch (e) {
      if (notFound(e)) return null;
      // Past the end: S3 answers 416 InvalidRange.
      if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416)
        return new Uint8Array(0);
      throw e;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (e) {
      if (notFound(e)) return false;
      throw e;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const r = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of r.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}

/** Said explicitly: the SDK sets no Content-Length for an empty body and then warns it may be a stream. */
function byteLength(body: Uint8Array | string): number {
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}
