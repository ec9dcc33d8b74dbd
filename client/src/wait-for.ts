import { VibeTimeoutError } from './vibe-api-error.ts';

export interface WaitOptions<T> {
  /** Give up (VibeTimeoutError carrying the last state) after this long. @default 600000 */
  readonly timeoutMs?: number;
  /** Gap between two reads when the server does not hold the request. @default 1000 */
  readonly pollIntervalMs?: number;
  /** Called with every state read, the first one included. */
  readonly onProgress?: (state: T) => void;
  readonly signal?: AbortSignal;
}

export interface PollLoop<T> {
  /** Reads the state; `holdSeconds` is how long the server may hold the read (Prefer: wait). */
  read(holdSeconds: number | undefined): Promise<T>;
  done(state: T): boolean;
  /** Ask the server to hold reads (Prefer: wait=N, N at most `maxHoldSeconds`). */
  readonly hold: boolean;
  readonly maxHoldSeconds: number;
  readonly what: string;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly now: () => number;
}

/**
 * Reads until `done`, the deadline or an abort. A held read (`Prefer: wait`) that came back early
 * without being done is followed by the normal poll gap, so a server that ignores the preference
 * is polled, not hammered.
 */
export async function pollUntil<T>(loop: PollLoop<T>, options: WaitOptions<T>): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 600_000;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const deadline = loop.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    const remaining = deadline - loop.now();
    if (remaining <= 0) throw new VibeTimeoutError(loop.what, timeoutMs, last);
    const hold = loop.hold
      ? Math.max(1, Math.min(loop.maxHoldSeconds, Math.floor(remaining / 1000)))
      : undefined;
    const started = loop.now();
    last = await loop.read(hold);
    options.onProgress?.(last);
    if (loop.done(last)) return last;
    const held = loop.now() - started;
    if (hold !== undefined && held >= hold * 1000 * 0.9) continue;
    const gap = Math.min(pollIntervalMs, Math.max(0, deadline - loop.now()));
    if (gap > 0) await loop.sleep(gap, options.signal);
    options.signal?.throwIfAborted();
  }
}
