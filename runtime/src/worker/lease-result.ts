/**
 * What became of one delivery of a job message:
 * - `succeeded`, `failed`, `canceled`, `expired`: the job ended so (by this delivery).
 * - `retried`: the message was released with a backoff (the record back to `queued` if it ran).
 * - `released`: given back at once (the worker is shutting down).
 * - `skipped`: acked without running (already terminal, no record, or moved on meanwhile).
 * - `lease-lost`: another consumer holds the message now; nothing was written or acked.
 */
export type LeaseOutcome =
  | 'succeeded'
  | 'failed'
  | 'canceled'
  | 'expired'
  | 'retried'
  | 'released'
  | 'skipped'
  | 'lease-lost';

export interface LeaseResult {
  readonly jobId: string;
  readonly outcome: LeaseOutcome;
  /** The attempt this delivery counted as: the receive count, or the record's, whichever is higher. */
  readonly attempt: number;
  readonly error?: { readonly code: string; readonly message: string };
  /** For `retried`: how long the message stays invisible. */
  readonly delaySeconds?: number;
}
