import { LimitError } from '../errors.ts';
import { type BucketLimits, type BucketState, isFull, takeToken } from './token-bucket.ts';

/**
 * Token buckets per API key, in the memory of one process: exact for the local server (one
 * process), per container on Lambda, where API Gateway's usage plan is the shared limit
 * (docs/keys-and-limits.md).
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { state: BucketState; limits: BucketLimits }>();
  readonly #maxKeys: number;

  constructor(options: { readonly maxKeys?: number } = {}) {
    this.#maxKeys = options.maxKeys ?? 10_000;
  }

  /**
   * Takes one token of `keyId`'s bucket.
   * @throws LimitError `RATE_LIMITED` with the seconds until the next token.
   */
  take(keyId: string, limits: BucketLimits, now: number): void {
    const result = takeToken(this.#buckets.get(keyId)?.state, limits, now);
    this.#buckets.set(keyId, { state: result.state, limits });
    if (this.#buckets.size > this.#maxKeys) this.#forgetFull(now);
    if (result.allowed) return;
    const retryAfterSeconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
    throw new LimitError(
      'RATE_LIMITED',
      `Expected at most ${limits.ratePerSecond} requests per second (bursts of ${limits.burst}) for API key ${keyId} but it sent more; retry after ${retryAfterSeconds} s`,
      {
        retryAfterSeconds,
        details: { keyId, ratePerSecond: limits.ratePerSecond, burst: limits.burst },
      },
    );
  }

  /** Drops buckets that have refilled: forgetting them changes nothing. */
  #forgetFull(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (isFull(bucket.state, bucket.limits, now)) this.#buckets.delete(key);
    }
  }
}
