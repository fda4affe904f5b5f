/** Signed, expiring links to a job's image: HMAC-SHA256 over "id:expires", compared in constant time. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { OutputFormat } from '@baton/pipeline/formats';

/** How long a signed link to an image works by default (s). */
export const LINK_TTL_SECONDS = 3600;

/**
 * How long an S3 outbox's image links work (s): 7 days, inside the images' own 30 days
 * (BATON_EXPIRE_IMAGES_DAYS). They are the API's links, signed with its secret: unlike S3
 * presigned URLs, nothing about the signer's credentials cuts them short.
 */
export const OUTBOX_LINK_SECONDS = 7 * 24 * 3600;

/** The links an S3 outbox's results carry: the API's own image links, valid OUTBOX_LINK_SECONDS. */
export function outboxLinks(secret: string, origin: () => string, now: () => number = Date.now) {
  const signer = new LinkSigner(secret, OUTBOX_LINK_SECONDS, now);
  return async (jobId: string) => signer.imageUrl(origin(), jobId);
}

export class LinkSigner {
  constructor(
    private readonly secret: string,
    private readonly ttlSeconds: number,
    private readonly now: () => number,
  ) {}

  imageUrl(origin: string, id: string): string {
    const expires = Math.floor(this.now() / 1000) + this.ttlSeconds;
    return `${origin}/v1/jobs/${id}/image?expires=${expires}&signature=${this.sign(id, expires)}`;
  }

  /** A job's partial image `index` (signed over the job and the index). */
  previewUrl(origin: string, id: string, index: number): string {
    const expires = Math.floor(this.now() / 1000) + this.ttlSeconds;
    return `${origin}/v1/jobs/${id}/previews/${index}?expires=${expires}&signature=${this.sign(`${id}/${index}`, expires)}`;
  }

  /** Whether a link's signature is ours and it has not expired (`id`: a job, or "job/index" for a preview). */
  verify(id: string, expires: number, signature: string): boolean {
    if (!Number.isFinite(expires) || expires * 1000 < this.now()) return false;
    const want = Buffer.from(this.sign(id, expires));
    const got = Buffer.from(signature);
    return got.length === want.length && timingSafeEqual(got, want);
  }

  private sign(id: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${id}:${expires}`).digest('base64url');
  }
}

/**
 * The origin clients reach the API at: behind the Router (CloudFront) the request arrives at
 * the function URL's host, and the public one is in X-Forwarded-Host. Links are built on it.
 */
export function publicOrigin(c: { req: { url: string; header(name: string): string | undefined } }): string {
  const forwarded = c.req.header('x-forwarded-host')?.split(',')[0]?.trim();
  if (!forwarded || !/^[\w.-]+(:\d+)?$/.test(forwarded)) return new URL(c.req.url).origin;
  const proto = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'http' ? 'http' : 'https';
  return `${proto}://${forwarded}`;
}

/** An image link for another format: the same signed link, the format (and compression) in its query. */
export function withFormat(url: string, format: OutputFormat = 'png', compression?: number | null): string {
  if (format === 'png') return url;
  return `${url}&format=${format}${compression != null ? `&compression=${compression}` : ''}`;
}
