import { RequestError } from '#core/errors.ts';
import type { ApiContext } from '../api-context.ts';
import type { ApiRequest, ApiResponse } from '../api-types.ts';
import { describeError } from '../http-errors.ts';
import { readIdempotencyKey } from './idempotency-key.ts';
import { requestFingerprint } from './request-fingerprint.ts';

export interface IdempotentCall {
  readonly request: ApiRequest;
  readonly owner: string;
  readonly requestId: string;
}

/** Marks a replayed response (the first response of the key, sent again). */
export const REPLAYED_HEADER = 'idempotent-replayed';

/**
 * Runs a create (`POST /v1/edits`, `/v1/uploads`, `/v1/batches`) under its `Idempotency-Key`:
 *
 * - no header: `create` runs as usual;
 * - a new key: the key is claimed for this owner, `create` runs, and a 2xx response (status,
 *   headers, body) is stored for `access.idempotencyTtlSeconds` (24 h); an error response or a
 *   failure releases the key, so the same request can be sent again;
 * - the same key and the same request (owner, method, path, canonical body) again: the stored
 *   response, with `Idempotent-Replayed: true`, and nothing is created;
 * - the same key with another request: 409 `IDEMPOTENCY_KEY_REUSED`;
 * - the same key while its first request is still running: 409 `IDEMPOTENCY_IN_PROGRESS` with
 *   `Retry-After: 1` (answering at once holds no Lambda waiting on another request).
 *
 * Keys are scoped per owner: two keys' requests never collide.
 */
export async function idempotentCreate(
  ctx: ApiContext,
  call: IdempotentCall,
  create: (idempotencyKey: string | undefined) => Promise<ApiResponse>,
): Promise<ApiResponse> {
  const key = readIdempotencyKey(call.request.headers);
  if (key === undefined) return create(undefined);
  const store = ctx.access.idempotency;
  const { owner, requestId } = call;
  const fingerprint = await requestFingerprint(call.request, owner);
  const now = new Date(ctx.clock.now());
  const claim = await ctx.dependency('idempotency claim', () =>
    store.claim({
      owner,
      key,
      fingerprint,
      now,
      ttlSeconds: ctx.config.access.idempotencyTtlSeconds,
      lockSeconds: ctx.config.access.idempotencyLockSeconds,
    }),
  );
  if (claim.outcome === 'existing') {
    const { record } = claim;
    if (record.fingerprint !== fingerprint) {
      throw new RequestError(
        'IDEMPOTENCY_KEY_REUSED',
        `Expected the same request as the first use of Idempotency-Key ${JSON.stringify(key)} (at ${record.createdAt}) but this one has another body, method or path; send a new key for a new request (keys are kept ${ctx.config.access.idempotencyTtlSeconds} s)`,
        {
          details: {
            idempotencyKey: key,
            firstUsedAt: record.createdAt,
            expiresAt: record.expiresAt,
          },
        },
      );
    }
    if (record.state === 'in-progress' || record.response === null) {
      throw new RequestError(
        'IDEMPOTENCY_IN_PROGRESS',
        `Expected the first request with Idempotency-Key ${JSON.stringify(key)} to have finished but it is still being processed (since ${record.createdAt}); retry after 1 s to get its response`,
        { details: { idempotencyKey: key, firstUsedAt: record.createdAt, retryAfterSeconds: 1 } },
      );
    }
    const { response } = record;
    return {
      status: response.status,
      headers: { ...response.headers, [REPLAYED_HEADER]: 'true' },
      body: response.body,
    };
  }

  const release = async () => {
    try {
      await ctx.dependency('idempotency release', () => store.release(owner, key, claim.claimId));
    } catch (error) {
      // The claim lapses after idempotencyLockSeconds; until then a retry answers IN_PROGRESS.
      ctx.log({
        level: 'warn',
        msg: 'idempotency key not released',
        requestId,
        error: describeError(error),
      });
    }
  };
  let response: ApiResponse;
  try {
    response = await create(key);
  } catch (error) {
    await release();
    throw error;
  }
  if (response.status < 200 || response.status > 299) {
    await release();
    return response;
  }
  try {
    await ctx.dependency('idempotency complete', () =>
      store.complete(owner, key, claim.claimId, {
        status: response.status,
        headers: { ...response.headers },
        body: response.body,
      }),
    );
  } catch (error) {
    // The create succeeded and is answered. The claim stays in progress until it lapses; a retry
    // after that creates again (docs/keys-and-limits.md).
    ctx.log({
      level: 'error',
      msg: 'idempotent response not stored',
      requestId,
      error: describeError(error),
    });
  }
  return response;
}
