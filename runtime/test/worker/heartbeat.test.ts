import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConflictError, DependencyError } from '#core/errors.ts';
import type { Lease } from '#core/ports.ts';
import { startHeartbeat } from '#runtime/worker/heartbeat.ts';

function fakeLease(extend: (seconds: number) => Promise<void>): Lease<string> {
  return {
    messageId: 'm-1',
    message: 'job',
    attempt: 1,
    receivedAt: new Date(0),
    ack: async () => {},
    extend,
    release: async () => {},
  };
}

describe('startHeartbeat', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('extends the lease by its full length every half lease until stopped', async () => {
    const extends_: { at: number; seconds: number }[] = [];
    const lease = fakeLease(async (seconds) => {
      extends_.push({ at: Date.now(), seconds });
    });
    const start = Date.now();
    const heartbeat = startHeartbeat(lease, {
      leaseSeconds: 60,
      onLost: vi.fn(),
      onError: vi.fn(),
    });

    await vi.advanceTimersByTimeAsync(29_999);
    const beforeHalf = extends_.length;
    await vi.advanceTimersByTimeAsync(90_001);
    heartbeat.stop();
    await vi.advanceTimersByTimeAsync(120_000);

    expect(beforeHalf).toBe(0);
    expect(extends_.map((e) => e.at - start)).toEqual([30_000, 60_000, 90_000, 120_000]);
    expect(extends_.every((e) => e.seconds === 60)).toBe(true);
  });

  it('reports a lost lease once and stops beating', async () => {
    const extend = vi.fn(async () => {
      throw new ConflictError('Expected to hold the lease but it was lost');
    });
    const onLost = vi.fn();
    const onError = vi.fn();
    startHeartbeat(fakeLease(extend), { leaseSeconds: 10, onLost, onError });

    await vi.advanceTimersByTimeAsync(60_000);

    expect(extend).toHaveBeenCalledTimes(1);
    expect(onLost).toHaveBeenCalledTimes(1);
    expect(onLost.mock.calls[0]?.[0]).toMatchObject({ code: 'CONFLICT' });
    expect(onError).not.toHaveBeenCalled();
  });

  it('keeps beating after a failed extend that did not lose the lease', async () => {
    let calls = 0;
    const extend = vi.fn(async () => {
      calls += 1;
      if (calls === 1) throw new DependencyError('SQS ChangeMessageVisibility failed: throttled');
    });
    const onLost = vi.fn();
    const onError = vi.fn();
    startHeartbeat(fakeLease(extend), { leaseSeconds: 10, onLost, onError });

    await vi.advanceTimersByTimeAsync(15_000);

    expect(extend).toHaveBeenCalledTimes(3);
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onLost).not.toHaveBeenCalled();
  });

  it('never overlaps a slow extend with the next beat', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const extend = vi.fn(async () => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 12_000));
      inFlight -= 1;
    });
    const heartbeat = startHeartbeat(fakeLease(extend), {
      leaseSeconds: 10,
      onLost: vi.fn(),
      onError: vi.fn(),
    });

    await vi.advanceTimersByTimeAsync(30_000);
    heartbeat.stop();

    expect(maxInFlight).toBe(1);
    // Beats at 5, 10, 15, 20, 25 s; those at 10 s and 25 s find one in flight (5→17, 20→32).
    expect(extend).toHaveBeenCalledTimes(2);
  });
});
