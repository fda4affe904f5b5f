/**
 * S3's conditional writes for the local s3rver, which ignores them: a PUT with
 * `If-None-Match: *` fails with 412 when the key exists, one with `If-Match: "<etag>"` when
 * it does not exist or has another ETag. Conditional writes to one key are serialized, so of
 * two racing writers exactly one wins, as in S3. Races (idempotency keys, quota claims) then
 * behave locally as in AWS.
 */
import { stat, unlink } from 'node:fs/promises';
import type S3rver from 's3rver';

type Ctx = {
  method: string;
  path: string;
  get(h: string): string;
  status: number;
  body: unknown;
  set(h: string, v: string): void;
};
type Store = {
  existsObject(bucket: string, key: string): Promise<boolean>;
  getMetadata(bucket: string, key: string): Promise<{ etag: string }>;
};

const PRECONDITION_FAILED = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>`;

export function honourConditionalWrites(s3: S3rver): void {
  const store = (s3 as unknown as { store: Store }).store;
  const tails = new Map<string, Promise<void>>();
  const conditional = async (ctx: Ctx, next: () => Promise<void>) => {
    const ifNoneMatch = ctx.get('if-none-match');
    const ifMatch = ctx.get('if-match');
    if (ctx.method !== 'PUT' || (!ifNoneMatch && !ifMatch)) return next();
    const [, bucket = '', ...rest] = ctx.path.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const id = `${bucket}/${key}`;
    // One conditional write per key at a time: the check and the write are one step.
    const previous = tails.get(id) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => {
      release = r;
    });
    const tail = previous.then(() => mine);
    tails.set(id, tail);
    await previous;
    try {
      const exists = await store.existsObject(bucket, key);
      const etag = exists ? (await store.getMetadata(bucket, key)).etag : undefined;
      const failed = (ifNoneMatch === '*' && exists) || (ifMatch !== '' && (!exists || ifMatch !== etag));
      if (failed) {
        ctx.status = 412;
        ctx.set('content-type', 'application/xml');
        ctx.body = PRECONDITION_FAILED;
        return;
      }
      await next();
    } finally {
      release();
      if (tails.get(id) === tail) tails.delete(id);
    }
  };
  // Before s3rver's own routes (Koa runs middleware in order).
  (s3 as unknown as { middleware: unknown[] }).middleware.unshift(conditional);
}

/**
 * s3rver removes a key's directories when a delete leaves them empty; a PUT under the same
 * prefix at that moment (hundreds of jobs at once: `active/` markers come and go) opens its
 * file in a directory just removed, and the unhandled stream error ends the whole process.
 * S3 has no directories: here a delete removes the object's files and leaves the folders.
 */
export function keepDirectories(s3: S3rver): void {
  const store = (s3 as unknown as { store: FileStore }).store;
  store.deleteObject = async (bucket: string, key: string) => {
    await Promise.all(
      (['object', 'object.md5', 'metadata.json'] as const).map((kind) =>
        unlink(store.getResourcePath(bucket, key, kind)).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        }),
      ),
    );
  };
}

type FileStore = {
  getResourcePath(bucket: string, key: string, kind: string): string;
  deleteObject(bucket: string, key: string): Promise<void>;
};

/**
 * s3rver caps a page at 1,000 keys and builds the next page's continuation token with DES,
 * which Node's OpenSSL 3 refuses: every listing past 1,000 keys is a 500. Here the store
 * returns the whole listing in one page (never truncated, so no token is needed); the SDK's
 * pagination sees a last page, as it would after following S3's tokens.
 */
export function listInOnePage(s3: S3rver): void {
  const store = (s3 as unknown as { store: ListingStore }).store;
  const listObjects = store.listObjects.bind(store);
  store.listObjects = (bucket, options) =>
    listObjects(bucket, { ...options, maxKeys: Number.POSITIVE_INFINITY });
}

type ListingStore = {
  listObjects(bucket: string, options: Record<string, unknown>): Promise<unknown>;
};

const KEY_TOO_LONG = (max: number) => `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>KeyTooLongError</Code><Message>The local S3 keeps each object as files: a key's last part may be at most ${max} bytes here (S3 itself allows 1,024 for the whole key)</Message></Error>`;

const DOT_PARTS = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>InvalidArgument</Code><Message>The local S3 keeps each object as files: a key may not have "." or ".." parts here</Message></Error>`;

/** The file names s3rver makes for an object: its name plus the longest of its suffixes. */
const LONGEST_SUFFIX = '._S3rver_metadata.json'.length;
const NAME_MAX = 255;

/**
 * s3rver keeps an object as files named after its key; a key part longer than a file name may
 * be (255 bytes, less s3rver's suffix) makes the write stream fail with ENAMETOOLONG, which
 * nothing handles: the whole process ends. A key with "." or ".." parts would be stored under
 * another prefix than its own. Here such a PUT is refused with an S3 error before s3rver sees
 * it, and the process keeps serving.
 */
export function refuseUnstorableKeys(s3: S3rver): void {
  const max = NAME_MAX - LONGEST_SUFFIX;
  const check = async (ctx: Ctx, next: () => Promise<void>) => {
    if (ctx.method !== 'PUT' && ctx.method !== 'POST') return next();
    const [, , ...rest] = ctx.path.split('/');
    const key = (() => {
      try {
        return decodeURIComponent(rest.join('/'));
      } catch {
        return rest.join('/');
      }
    })();
    const parts = key.split('/');
    if (parts.some((part) => Buffer.byteLength(part) > max)) {
      ctx.status = 400;
      ctx.set('content-type', 'application/xml');
      ctx.body = KEY_TOO_LONG(max);
      return;
    }
    // S3 keeps "a/../b" literally; as a file path it would land under another prefix ("b").
    if (parts.some((part) => part === '.' || part === '..')) {
      ctx.status = 400;
      ctx.set('content-type', 'application/xml');
      ctx.body = DOT_PARTS;
      return;
    }
    return next();
  };
  (s3 as unknown as { middleware: unknown[] }).middleware.unshift(check);
}

const INVALID_RANGE = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>InvalidRange</Code><Message>The requested range is not satisfiable</Message></Error>`;

/**
 * s3rver never answers a ranged GET of an empty object (the request hangs until the client
 * times out); S3 answers 416 InvalidRange. Here it does too.
 */
export function answerRangesOfEmptyObjects(s3: S3rver): void {
  const store = (s3 as unknown as { store: FileStore }).store;
  const ranged = async (ctx: Ctx, next: () => Promise<void>) => {
    if (ctx.method !== 'GET' || !ctx.get('range')) return next();
    const [, bucket = '', ...rest] = ctx.path.split('/');
    let key: string;
    try {
      key = decodeURIComponent(rest.join('/'));
    } catch {
      return next();
    }
    const size = await stat(store.getResourcePath(bucket, key, 'object')).then(
      (st) => st.size,
      () => undefined,
    );
    if (size !== 0) return next();
    ctx.status = 416;
    ctx.set('content-type', 'application/xml');
    ctx.body = INVALID_RANGE;
  };
  (s3 as unknown as { middleware: unknown[] }).middleware.unshift(ranged);
}
