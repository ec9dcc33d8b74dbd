import type { OutboundRefusal } from '#core/net/outbound-url.ts';

/** Why a safe fetch failed; stable. The outbound refusals come from core's URL rules. */
export type SafeFetchReason =
  | OutboundRefusal
  | 'dns'
  | 'network'
  | 'timeout'
  | 'too-large'
  | 'too-many-redirects'
  | 'redirect-loop'
  | 'bad-redirect';

/** Where a failure happened: the hop's URL (origin and path) and whether it was a redirect. */
export interface Hop {
  readonly where: string;
  readonly redirect: boolean;
}

/**
 * A refused or failed fetch. Callers turn it into their own error (an API 4xx, a delivery log
 * entry); `problem` completes "Expected <what> but <problem>".
 */
export class SafeFetchError extends Error {
  readonly reason: SafeFetchReason;
  /** Origin and path of the hop that failed. */
  readonly url: string;
  /** True when the hop that failed was a redirect target. */
  readonly redirect: boolean;
  readonly problem: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    reason: SafeFetchReason,
    problem: string,
    hop: Hop,
    options: {
      readonly cause?: unknown;
      readonly details?: Readonly<Record<string, unknown>>;
    } = {},
  ) {
    super(`Expected a fetch of ${hop.where} to succeed but ${problem}`, { cause: options.cause });
    this.name = 'SafeFetchError';
    this.reason = reason;
    this.url = hop.where;
    this.redirect = hop.redirect;
    this.problem = problem;
    this.details = options.details ?? {};
  }
}

/** A transport failure: `timeout` once the deadline aborted the exchange, `network` otherwise. */
export function transportError(
  error: unknown,
  signal: AbortSignal,
  hop: Hop,
  timeoutMs: number,
): SafeFetchError {
  if (signal.aborted) {
    return new SafeFetchError('timeout', `it did not answer within ${timeoutMs} ms`, hop, {
      cause: error,
      details: { timeoutMs },
    });
  }
  const text = error instanceof Error ? error.message : String(error);
  return new SafeFetchError('network', `the connection failed (${text})`, hop, { cause: error });
}
