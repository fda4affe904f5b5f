/**
 * Per-key request rate (token bucket, per API instance), the concurrent-job quota (the key's
 * quota item in the state table, so it holds across instances) and the backlog bound.
 */
export interface LimitsConfig {
  /** Requests that create work, per key per minute. */
  ratePerMinute: number;
  /** Burst size of the bucket. */
  burst: number;
  /** Unfinished jobs a key may have at once. */
  maxConcurrentJobs: number;
  /** First-stage messages waiting past which new work is refused at once (load shedding). */
  maxBacklog: number;
}

export class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly c: LimitsConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes `n` tokens; returns 0 when allowed, else the seconds to wait. */
  take(key: string, n = 1): number {
    const rate = this.c.ratePerMinute / 60_000;
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.c.burst, at: t };
    b.tokens = Math.min(this.c.burst, b.tokens + (t - b.at) * rate);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens >= n) {
      b.tokens -= n;
      return 0;
    }
    return Math.max(1, Math.ceil((n - b.tokens) / rate / 1000));
  }
}
