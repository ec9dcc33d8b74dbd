import { ConflictError } from '#core/errors.ts';
import type { Lease } from '#core/ports.ts';

export interface HeartbeatOptions {
  /** Each beat extends the lease to this many seconds from now; beats come every half of it. */
  readonly leaseSeconds: number;
  /** The lease was lost (ConflictError from `extend`): another consumer may hold the message. */
  readonly onLost: (error: ConflictError) => void;
  /** A beat failed for another reason (a queue hiccup); the next beat tries again. */
  readonly onError: (error: unknown) => void;
}

export interface Heartbeat {
  /** Stops beating; a beat in flight finishes but reports nothing. Idempotent. */
  stop(): void;
}

/**
 * Keeps a lease alive while its job runs (bullmq's `lockRenewTime = lockDuration / 2`): every
 * `leaseSeconds / 2` it extends the lease by `leaseSeconds` from now. A failed beat leaves half a
 * lease to try again; a lost lease stops the beats and calls `onLost` once. A beat never overlaps
 * the previous one, so a slow queue cannot pile up extends.
 */
export function startHeartbeat(lease: Lease<unknown>, options: HeartbeatOptions): Heartbeat {
  let stopped = false;
  let inFlight = false;
  const beat = async (): Promise<void> => {
    if (stopped || inFlight) return;
    inFlight = true;
    try {
      await lease.extend(options.leaseSeconds);
    } catch (error) {
      if (stopped) return;
      if (error instanceof ConflictError) {
        stop();
        options.onLost(error);
      } else {
        options.onError(error);
      }
    } finally {
      inFlight = false;
    }
  };
  const timer = setInterval(() => void beat(), (options.leaseSeconds * 1000) / 2);
  // The job loop keeps the process alive; a forgotten heartbeat must not.
  timer.unref();
  const stop = (): void => {
    stopped = true;
    clearInterval(timer);
  };
  return { stop };
}
