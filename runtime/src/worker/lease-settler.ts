import { ConflictError } from '#core/errors.ts';
import type { Lease } from '#core/ports.ts';
import type { Heartbeat } from './heartbeat.ts';
import type { WorkerLog } from './worker-log.ts';

/**
 * Ends a lease exactly once: ack (done with the message) or release (give it back after a delay).
 * The heartbeat stops first, so no extend races the release. Failures are logged, not thrown: a
 * lost lease means another holder will settle the message, and a failed ack or release leaves the
 * message to come back when its lease runs out, where the record's state decides what happens.
 */
export class LeaseSettler {
  readonly #lease: Lease<unknown>;
  readonly #heartbeat: Heartbeat;
  readonly #log: WorkerLog;
  #settled = false;

  constructor(lease: Lease<unknown>, heartbeat: Heartbeat, log: WorkerLog) {
    this.#lease = lease;
    this.#heartbeat = heartbeat;
    this.#log = log;
  }

  get settled(): boolean {
    return this.#settled;
  }

  async ack(): Promise<void> {
    if (!this.#begin()) return;
    try {
      await this.#lease.ack();
    } catch (error) {
      this.#log.warn('could not ack the job message; it will come back and be acked then', {
        messageId: this.#lease.messageId,
        error,
      });
    }
  }

  async release(delaySeconds: number): Promise<void> {
    if (!this.#begin()) return;
    try {
      await this.#lease.release(delaySeconds);
    } catch (error) {
      const lost = error instanceof ConflictError;
      this.#log.warn(
        lost
          ? 'could not release the job message: the lease was already lost'
          : 'could not release the job message; it comes back when its lease runs out',
        { messageId: this.#lease.messageId, delaySeconds, error },
      );
    }
  }

  /** Ends the lease without touching the message (it was lost to another holder). */
  abandon(): void {
    this.#begin();
  }

  #begin(): boolean {
    this.#heartbeat.stop();
    if (this.#settled) return false;
    this.#settled = true;
    return true;
  }
}
