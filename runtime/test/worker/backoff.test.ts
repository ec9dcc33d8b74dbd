import { describe, expect, it } from 'vitest';
import { backoffSeconds, nominalBackoffSeconds } from '#runtime/worker/backoff.ts';

describe('backoffSeconds', () => {
  it('doubles from 5 s per failed attempt and stops at 300 s', () => {
    const nominal = [1, 2, 3, 4, 5, 6, 7, 8, 50, 10_000].map(nominalBackoffSeconds);

    expect(nominal).toEqual([5, 10, 20, 40, 80, 160, 300, 300, 300, 300]);
  });

  it('draws the delay from the upper half of the nominal value, in whole seconds', () => {
    const lowest = [1, 2, 3, 7].map((attempt) => backoffSeconds(attempt, () => 0));
    const middle = [1, 2, 3, 7].map((attempt) => backoffSeconds(attempt, () => 0.5));
    const highest = [1, 2, 3, 7].map((attempt) => backoffSeconds(attempt, () => 0.999999));

    expect(lowest).toEqual([3, 5, 10, 150]);
    expect(middle).toEqual([4, 8, 15, 225]);
    expect(highest).toEqual([5, 10, 20, 300]);
  });

  it('stays within the bounds with the real random source', () => {
    for (let i = 0; i < 200; i++) {
      const delay = backoffSeconds(2);
      expect(delay).toBeGreaterThanOrEqual(5);
      expect(delay).toBeLessThanOrEqual(10);
      expect(Number.isInteger(delay)).toBe(true);
    }
  });

  it('refuses an attempt below 1 or not an integer', () => {
    expect(() => backoffSeconds(0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => nominalBackoffSeconds(1.5)).toThrow(/integer of at least 1 but received 1.5/);
  });
});
