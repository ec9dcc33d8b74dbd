/**
 * A token bucket: `burst` tokens at most, refilled at `ratePerSecond`; a request takes one token.
 * Pure, so the same arithmetic serves the in-memory limiter and its tests.
 */
export interface BucketState {
  readonly tokens: number;
  /** Milliseconds since the epoch of the last refill. */
  readonly updatedAt: number;
}

export interface BucketLimits {
  readonly ratePerSecond: number;
  readonly burst: number;
}

export type TakeResult =
  | { readonly allowed: true; readonly state: BucketState }
  | {
      readonly allowed: false;
      readonly state: BucketState;
      /** When the next token is there, in milliseconds from `now`. */
      readonly retryAfterMs: number;
    };

/** Refills the bucket up to `now` and takes one token if there is one. */
export function takeToken(
  state: BucketState | undefined,
  limits: BucketLimits,
  now: number,
): TakeResult {
  const elapsed = state === undefined ? 0 : Math.max(0, now - state.updatedAt);
  const tokens =
    state === undefined
      ? limits.burst
      : Math.min(limits.burst, state.tokens + (elapsed / 1000) * limits.ratePerSecond);
  if (tokens >= 1) return { allowed: true, state: { tokens: tokens - 1, updatedAt: now } };
  return {
    allowed: false,
    state: { tokens, updatedAt: now },
    retryAfterMs: Math.ceil(((1 - tokens) / limits.ratePerSecond) * 1000),
  };
}

/** True when a bucket is full again at `now` (it can be forgotten: a fresh one is the same). */
export function isFull(state: BucketState, limits: BucketLimits, now: number): boolean {
  return state.tokens + ((now - state.updatedAt) / 1000) * limits.ratePerSecond >= limits.burst;
}
