/**
 * When a failed webhook delivery is tried again (docs/webhooks.md has the table). The schedule is
 * Svix's, which Standard Webhooks cites: after the first attempt fails, wait 5 s, 5 min, 30 min,
 * 2 h, 5 h, 10 h and 10 h, so 8 attempts span about 27.6 hours. Each wait gets up to 10 % random
 * jitter added (never subtracted), so that receivers coming back from an outage are not hit by
 * every retry in the same second.
 */
export const WEBHOOK_RETRY_DELAYS_SECONDS: readonly number[] = [
  5, 300, 1_800, 7_200, 18_000, 36_000, 36_000,
];

/** Attempts per delivery round: the first plus one per delay. The events queue's maxReceiveCount. */
export const WEBHOOK_MAX_ATTEMPTS = WEBHOOK_RETRY_DELAYS_SECONDS.length + 1;

/** How long one attempt may take, connection to last byte. Standard Webhooks asks for 15 to 30 s. */
export const WEBHOOK_ATTEMPT_TIMEOUT_MS = 10_000;

/** Jitter: up to this fraction of the wait is added. */
export const WEBHOOK_RETRY_JITTER = 0.1;

/**
 * The longest wait one release may ask for. A release is an SQS ChangeMessageVisibility, which
 * takes up to 12 h (43,200 s) counted from the receive; the margin covers the attempt itself.
 * SQS's 900 s limit is on DelaySeconds of a *send*, which the deliverer never uses for retries.
 */
export const MAX_RETRY_WAIT_SECONDS = 43_000;

export interface RetryDelayOptions {
  /** Uniform in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** The receiver's `Retry-After` (429, 503), honoured when it asks for longer than the schedule. */
  readonly retryAfterSeconds?: number;
  /** @default WEBHOOK_RETRY_DELAYS_SECONDS */
  readonly delays?: readonly number[];
}

/**
 * The wait in whole seconds after failed attempt `attempt` (1-based), or undefined when that was
 * the last attempt of the round (the delivery is then dead-lettered).
 */
export function retryDelaySeconds(
  attempt: number,
  options: RetryDelayOptions = {},
): number | undefined {
  const delays = options.delays ?? WEBHOOK_RETRY_DELAYS_SECONDS;
  const base = delays[attempt - 1];
  if (!Number.isInteger(attempt) || attempt < 1 || base === undefined) return undefined;
  const random = options.random ?? Math.random;
  const jittered = base * (1 + WEBHOOK_RETRY_JITTER * random());
  const wanted = Math.max(jittered, options.retryAfterSeconds ?? 0);
  return Math.min(Math.max(1, Math.round(wanted)), MAX_RETRY_WAIT_SECONDS);
}
