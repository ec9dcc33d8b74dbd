import { describe, expect, it } from 'vitest';
import {
  MAX_RETRY_WAIT_SECONDS,
  retryDelaySeconds,
  WEBHOOK_MAX_ATTEMPTS,
  WEBHOOK_RETRY_DELAYS_SECONDS,
} from '#core/webhooks/retry-schedule.ts';

describe('retryDelaySeconds', () => {
  it('follows the documented table without jitter: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h', () => {
    const waits = [1, 2, 3, 4, 5, 6, 7].map((attempt) =>
      retryDelaySeconds(attempt, { random: () => 0 }),
    );

    expect(waits).toEqual([5, 300, 1_800, 7_200, 18_000, 36_000, 36_000]);
    expect(WEBHOOK_MAX_ATTEMPTS).toBe(8);
    // 27 h 35 min 5 s from the first attempt to the last, before jitter.
    expect(WEBHOOK_RETRY_DELAYS_SECONDS.reduce((a, b) => a + b, 0)).toBe(99_305);
  });

  it('adds up to 10 % jitter, never less than the table', () => {
    expect(retryDelaySeconds(2, { random: () => 0.999 })).toBe(330);
    expect(retryDelaySeconds(6, { random: () => 0.5 })).toBe(37_800);
    for (let i = 0; i < 50; i++) {
      const wait = retryDelaySeconds(3) ?? 0;
      expect(wait).toBeGreaterThanOrEqual(1_800);
      expect(wait).toBeLessThanOrEqual(1_980);
    }
  });

  it('has no wait after the last attempt of a round, or for a nonsense attempt', () => {
    expect(retryDelaySeconds(8)).toBeUndefined();
    expect(retryDelaySeconds(0)).toBeUndefined();
    expect(retryDelaySeconds(1.5)).toBeUndefined();
  });

  it('honours a longer Retry-After, capped at what one SQS release can ask for', () => {
    expect(retryDelaySeconds(1, { random: () => 0, retryAfterSeconds: 120 })).toBe(120);
    expect(retryDelaySeconds(2, { random: () => 0, retryAfterSeconds: 120 })).toBe(300);
    expect(retryDelaySeconds(1, { random: () => 0, retryAfterSeconds: 99_999 })).toBe(
      MAX_RETRY_WAIT_SECONDS,
    );
    expect(MAX_RETRY_WAIT_SECONDS).toBeLessThan(43_200);
  });
});
