import type { JobStatus } from '#core/jobs/job-status.ts';

/**
 * Why the worker stopped a run before the engine finished:
 * - `moved-on`: the record left `running` (canceled by the API, or finished by another worker);
 * - `lease-lost`: the heartbeat found the message held by someone else;
 * - `shutdown`: the drain deadline passed; the job goes back to the queue.
 */
export type AbortReason = 'moved-on' | 'lease-lost' | 'shutdown';

/** One run's abort switch: the first reason wins, and the engine sees one AbortSignal. */
export class JobAbort {
  readonly #controller = new AbortController();
  #reason: AbortReason | undefined;
  #movedTo: JobStatus | undefined;

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get reason(): AbortReason | undefined {
    return this.#reason;
  }

  /** The state the record had moved to, for `moved-on`. */
  get movedTo(): JobStatus | undefined {
    return this.#movedTo;
  }

  abort(reason: AbortReason, movedTo?: JobStatus): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.#movedTo = movedTo;
    this.#controller.abort();
  }

  /** Resolves when the run is aborted (never rejects). */
  aborted(): Promise<AbortReason> {
    return new Promise((resolve) => {
      const reason = this.#reason;
      if (reason !== undefined) {
        resolve(reason);
        return;
      }
      this.#controller.signal.addEventListener('abort', () => resolve(this.#reason ?? 'shutdown'), {
        once: true,
      });
    });
  }
}
