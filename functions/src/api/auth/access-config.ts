/**
 * Settings of API keys, per-key limits, idempotency and waiting. docs/keys-and-limits.md has the
 * same table. The limits themselves (rate, burst, concurrency, quota) belong to each key.
 */
export interface AccessConfig {
  /**
   * `required`: every route but the public ones needs `Authorization: Bearer vibe_…`.
   * `disabled`: no keys; jobs belong to the gateway's principal or `config.owner`.
   * Unset: `required` when the app has a key store, `disabled` otherwise.
   */
  readonly auth: 'required' | 'disabled' | undefined;
  /**
   * How long a key read from the store is trusted: a revocation takes effect within this time on
   * every API process. 0 reads the store on every request. @default 5
   */
  readonly keyCacheSeconds: number;
  /** `Retry-After` of a CONCURRENCY_LIMITED 429 (when a slot frees cannot be known). @default 5 */
  readonly concurrencyRetryAfterSeconds: number;
  /** How long a completed response is replayed for its Idempotency-Key. @default 86400 (24 h) */
  readonly idempotencyTtlSeconds: number;
  /**
   * How long a request in flight holds its Idempotency-Key; after that it counts as abandoned
   * (its process died) and the key may be used again. Must exceed the longest request. @default 60
   */
  readonly idempotencyLockSeconds: number;
}

export interface WaitingConfig {
  /**
   * The longest `Prefer: wait=N` honoured; a larger N is lowered to it (and `Preference-Applied`
   * says so). 25 s fits API Gateway's 29 s integration timeout with room for the rest of the
   * request. @default 25
   */
  readonly maxWaitSeconds: number;
  /** The latest deadline a job may be given, in seconds from its submission. @default 86400 */
  readonly maxDeadlineSeconds: number;
}

export const DEFAULT_ACCESS_CONFIG: AccessConfig = Object.freeze({
  auth: undefined,
  keyCacheSeconds: 5,
  concurrencyRetryAfterSeconds: 5,
  idempotencyTtlSeconds: 86_400,
  idempotencyLockSeconds: 60,
});

export const DEFAULT_WAITING_CONFIG: WaitingConfig = Object.freeze({
  maxWaitSeconds: 25,
  maxDeadlineSeconds: 86_400,
});

/** The problems of an access and a waiting configuration, for resolveApiConfig's ConfigError. */
export function checkAccessConfig(access: AccessConfig, waiting: WaitingConfig): string[] {
  const problems: string[] = [];
  const integer = (name: string, value: number, min: number, max: number) => {
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      problems.push(
        `Expected ${name} to be an integer from ${min} to ${max} but received ${value}`,
      );
    }
  };
  if (access.auth !== undefined && access.auth !== 'required' && access.auth !== 'disabled') {
    problems.push(
      `Expected access.auth to be "required" or "disabled" but received ${JSON.stringify(access.auth)}`,
    );
  }
  integer('access.keyCacheSeconds', access.keyCacheSeconds, 0, 3600);
  integer('access.concurrencyRetryAfterSeconds', access.concurrencyRetryAfterSeconds, 1, 3600);
  integer('access.idempotencyTtlSeconds', access.idempotencyTtlSeconds, 60, 7 * 86_400);
  integer('access.idempotencyLockSeconds', access.idempotencyLockSeconds, 1, 3600);
  // API Gateway's integration timeout is 29 s: a longer wait would end in its 504.
  integer('waiting.maxWaitSeconds', waiting.maxWaitSeconds, 0, 28);
  integer('waiting.maxDeadlineSeconds', waiting.maxDeadlineSeconds, 1, 14 * 86_400);
  return problems;
}
