import type { ProgressEvent } from '#runtime/pipeline/pipeline-types.ts';

export interface ProgressReporterOptions {
  /** Smallest gap between the starts of two writes; the last step is written regardless. */
  readonly intervalMs: number;
  readonly now: () => number;
  /** Writes one progress value; resolves false when the record has moved on (e.g. canceled). */
  readonly write: (progress: ProgressEvent) => Promise<boolean>;
  /** The record moved on: the job should stop. Called once; no write follows. */
  readonly onMovedOn: () => void;
  /** A write failed (a store hiccup); progress is best effort, so the job goes on. */
  readonly onError: (error: unknown) => void;
}

/**
 * Turns the engine's per-step progress callbacks into throttled writes to the job record: the first
 * step at once, then at most one write per `intervalMs`, and always the last step. Writes never
 * overlap; a step that arrives during a write replaces any older step waiting behind it. Because a
 * write is refused once the record is terminal, each write is also the cancel check of the job.
 */
export class ProgressReporter {
  readonly #options: ProgressReporterOptions;
  #pending: ProgressEvent | undefined;
  #inFlight: Promise<void> | undefined;
  #lastWriteAt = Number.NEGATIVE_INFINITY;
  #stopped = false;
  #writes = 0;

  constructor(options: ProgressReporterOptions) {
    this.#options = options;
  }

  /** How many writes were started. */
  get writes(): number {
    return this.#writes;
  }

  /** Synchronous: safe to call from the engine's progress callback. */
  report(event: ProgressEvent): void {
    if (this.#stopped) return;
    this.#pending = event;
    this.#kick();
  }

  /** Stops writing and waits for the write in flight, so that no progress lands after this. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#pending = undefined;
    await this.#inFlight;
  }

  #kick(): void {
    if (this.#inFlight !== undefined) return;
    this.#inFlight = this.#pump().finally(() => {
      this.#inFlight = undefined;
      // A step may have arrived between the pump's last look and this line.
      if (this.#due(this.#pending)) this.#kick();
    });
  }

  #due(event: ProgressEvent | undefined): event is ProgressEvent {
    if (event === undefined || this.#stopped) return false;
    const last = event.step >= event.steps;
    return last || this.#options.now() - this.#lastWriteAt >= this.#options.intervalMs;
  }

  async #pump(): Promise<void> {
    for (;;) {
      const event = this.#pending;
      if (!this.#due(event)) return;
      this.#pending = undefined;
      this.#lastWriteAt = this.#options.now();
      this.#writes += 1;
      let current: boolean;
      try {
        current = await this.#options.write(event);
      } catch (error) {
        this.#options.onError(error);
        continue;
      }
      if (!current) {
        this.#stopped = true;
        this.#pending = undefined;
        this.#options.onMovedOn();
        return;
      }
    }
  }
}
