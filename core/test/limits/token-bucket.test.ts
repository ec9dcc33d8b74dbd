import { describe, expect, it } from 'vitest';
import { RateLimiter } from '#core/limits/rate-limiter.ts';
import { takeToken } from '#core/limits/token-bucket.ts';

const T0 = Date.parse('2026-11-27T12:00:00.000Z');

describe('takeToken', () => {
  it('allows a burst, refuses the next with the time until one token, then refills', () => {
    const limits = { ratePerSecond: 2, burst: 3 };
    let state: Parameters<typeof takeToken>[0];
    const allowed: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      const result = takeToken(state, limits, T0);
      allowed.push(result.allowed);
      state = result.state;
    }

    const refused = takeToken(state, limits, T0 + 100);
    const later = takeToken(refused.state, limits, T0 + 500);

    expect(allowed).toEqual([true, true, true]);
    expect(refused).toMatchObject({ allowed: false, retryAfterMs: 400 });
    expect(later.allowed).toBe(true);
  });

  it('never fills past the burst after a long pause', () => {
    const limits = { ratePerSecond: 1, burst: 2 };
    const start = takeToken(undefined, limits, T0);

    const after = takeToken(start.state, limits, T0 + 3_600_000);

    expect(after.state.tokens).toBe(1);
  });
});

describe('RateLimiter', () => {
  it('answers RATE_LIMITED at the edge with a Retry-After rounded up to whole seconds', () => {
    const limiter = new RateLimiter();
    const limits = { ratePerSecond: 1, burst: 3 };
    for (let i = 0; i < 3; i++) limiter.take('k1', limits, T0);

    const take = (at: number) => () => limiter.take('k1', limits, at);

    expect(take(T0)).toThrow(
      expect.objectContaining({ code: 'RATE_LIMITED', retryAfterSeconds: 1 }),
    );
    expect(take(T0 + 999)).toThrow(expect.objectContaining({ code: 'RATE_LIMITED' }));
    expect(take(T0 + 1000)).not.toThrow();
    // Another key has its own bucket.
    expect(() => limiter.take('k2', limits, T0)).not.toThrow();
  });

  it('says 2 s for half a request per second', () => {
    const limiter = new RateLimiter();
    const limits = { ratePerSecond: 0.5, burst: 1 };
    limiter.take('k', limits, T0);

    let caught: unknown;
    try {
      limiter.take('k', limits, T0);
    } catch (error) {
      caught = error;
    }

    expect(caught).toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterSeconds: 2,
      details: { ratePerSecond: 0.5, burst: 1, retryAfterSeconds: 2 },
    });
  });

  it('forgets refilled buckets beyond its size without changing any answer', () => {
    const limiter = new RateLimiter({ maxKeys: 2 });
    const limits = { ratePerSecond: 1, burst: 1 };
    limiter.take('a', limits, T0);
    limiter.take('b', limits, T0);
    limiter.take('c', limits, T0 + 5000);

    expect(() => limiter.take('c', limits, T0 + 5000)).toThrow(
      expect.objectContaining({ code: 'RATE_LIMITED' }),
    );
    expect(() => limiter.take('a', limits, T0 + 5000)).not.toThrow();
  });
});
