import { describe, expect, it } from 'vitest';
import { workerSettings } from '#runtime/worker/worker-settings.ts';

describe('workerSettings', () => {
  it('fills in the defaults: 500 ms progress, 2 s idle poll for two lanes, 20 s for one, 110 s drain', () => {
    const two = workerSettings({ leaseSeconds: 60, maxAttempts: 3 }, 2);
    const one = workerSettings({ leaseSeconds: 60, maxAttempts: 3 }, 1);

    expect(two).toMatchObject({
      leaseSeconds: 60,
      maxAttempts: 3,
      progressIntervalMs: 500,
      idleWaitSeconds: 2,
      drainMs: 110_000,
      engineCloseTimeoutMs: 10_000,
    });
    expect(one.idleWaitSeconds).toBe(20);
    expect(two.backoffSeconds(1)).toBeGreaterThanOrEqual(3);
    expect(two.backoffSeconds(1)).toBeLessThanOrEqual(5);
    expect(Object.isFrozen(two)).toBe(true);
  });

  it('refuses values out of range, naming the setting and the range', () => {
    expect(() => workerSettings({ leaseSeconds: 0, maxAttempts: 3 })).toThrow(
      'Expected worker setting "leaseSeconds" to be an integer from 1 to 43200 but received 0',
    );
    expect(() => workerSettings({ leaseSeconds: 30, maxAttempts: 3, idleWaitSeconds: 21 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
