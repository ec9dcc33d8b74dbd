import type { ApiCall } from './http-transport.ts';

export interface CreateOptions {
  /**
   * The `Idempotency-Key`: the same key and body return the first answer for 24 h. A fresh random
   * key is sent with every create unless one is given; `false` sends none.
   */
  readonly idempotencyKey?: string | false;
  readonly signal?: AbortSignal;
}

/**
 * A create: POST with an Idempotency-Key (a random one unless given), so that a create retried
 * after a lost answer returns the first answer instead of running twice.
 */
export function createCall(
  path: string,
  body: Pick<ApiCall, 'json' | 'body' | 'headers'>,
  options: CreateOptions,
): ApiCall {
  const key =
    options.idempotencyKey === false
      ? undefined
      : (options.idempotencyKey ?? globalThis.crypto.randomUUID());
  return {
    method: 'POST',
    path,
    ...body,
    headers: { ...body.headers, 'idempotency-key': key },
    retryOnNetworkError: key !== undefined,
    signal: options.signal,
  };
}
