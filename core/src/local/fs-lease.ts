import { ConflictError } from '../errors.ts';
import type { Lease } from '../ports.ts';
import { checkQueueInteger } from '../queue/queue-limits.ts';
import type { QueueEntry } from './fs-queue-entry.ts';

/** What a lease may do to its queue's folder. */
export interface LeaseOps {
  readonly dir: string;
  readonly now: () => number;
  /** Renames a held message to a new state; false when the lease was lost (file renamed or gone). */
  transition(from: QueueEntry, to: QueueEntry): Promise<boolean>;
  /** Deletes a held message; false when it was already gone. */
  remove(entry: QueueEntry): Promise<boolean>;
}

export class FsLease<T> implements Lease<T> {
  readonly messageId: string;
  readonly message: T;
  readonly attempt: number;
  readonly receivedAt: Date;
  readonly #ops: LeaseOps;
  /** The file name state while this lease holds the message; undefined once acked or released. */
  #entry: QueueEntry | undefined;

  constructor(ops: LeaseOps, entry: QueueEntry, message: T, receivedAt: Date) {
    this.#ops = ops;
    this.#entry = entry;
    this.messageId = entry.messageId;
    this.message = message;
    this.attempt = entry.receiveCount;
    this.receivedAt = receivedAt;
  }

  async ack(): Promise<void> {
    const entry = this.#entry;
    if (entry === undefined) return;
    // A lost lease is not an error here: the message's next holder will ack it.
    await this.#ops.remove(entry);
    this.#entry = undefined;
  }

  async extend(seconds: number): Promise<void> {
    checkQueueInteger('extendSeconds', seconds);
    const entry = this.#held('extend');
    const next: QueueEntry = { ...entry, visibleAt: this.#ops.now() + seconds * 1000 };
    if (!(await this.#ops.transition(entry, next))) throw this.#lost('extend');
    this.#entry = next;
  }

  async release(delaySeconds: number): Promise<void> {
    checkQueueInteger('releaseDelaySeconds', delaySeconds);
    const entry = this.#held('release');
    const next: QueueEntry = {
      ...entry,
      visibleAt: this.#ops.now() + delaySeconds * 1000,
      token: undefined,
    };
    this.#entry = undefined;
    if (!(await this.#ops.transition(entry, next))) throw this.#lost('release');
  }

  #held(operation: string): QueueEntry {
    if (this.#entry === undefined) throw this.#lost(operation);
    return this.#entry;
  }

  #lost(operation: string): ConflictError {
    return new ConflictError(
      `Expected to hold the lease on message ${this.messageId} to ${operation} it, but the lease was lost (acked, released, or expired and received again)`,
      { details: { messageId: this.messageId, queueDir: this.#ops.dir } },
    );
  }
}
