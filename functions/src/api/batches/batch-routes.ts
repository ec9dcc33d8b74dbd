import { NotFoundError, RequestError, ValidationError } from '#core/errors.ts';
import type { ApiContext } from '../api-context.ts';
import type { ApiRequest, ApiResponse } from '../api-types.ts';
import { idempotentCreate } from '../idempotency/idempotent-create.ts';
import { jsonResponse } from '../json-response.ts';
import type { BatchContext } from './batch-context.ts';
import { toAcceptedView } from './batch-view.ts';
import { cancelBatch } from './cancel-batch.ts';
import { createBatch } from './create-batch.ts';
import { getBatch } from './get-batch.ts';

/** What a batch route handler gets of a request (a subset of the app's call). */
export interface BatchCall {
  readonly request: ApiRequest;
  readonly params: Readonly<Record<string, string>>;
  readonly requestId: string;
  readonly owner: string;
}

export interface BatchRoute {
  readonly method: string;
  readonly path: string;
  readonly handler: (ctx: ApiContext, call: BatchCall) => Promise<ApiResponse>;
}

/** The batch context, or a 404 that says batches are not enabled on this server. */
function enabled(ctx: ApiContext): BatchContext {
  if (ctx.batches === undefined) {
    throw new NotFoundError(
      'Expected batches to be enabled on this server but it has no batch store; submit edits one by one with POST /v1/edits',
      { details: { feature: 'batches' } },
    );
  }
  return ctx.batches;
}

/**
 * The batch routes (docs/batches.md), for the app's route table (API key required, like the edit
 * routes). `POST /v1/batches` takes `Idempotency-Key` like every create.
 */
export const batchRoutes: readonly BatchRoute[] = [
  {
    method: 'POST',
    path: '/v1/batches',
    handler: async (ctx, call) => {
      const batches = enabled(ctx);
      return idempotentCreate(ctx, call, async () => {
        const record = await createBatch(ctx, batches, parseJsonBody(call.request), {
          requestId: call.requestId,
          owner: call.owner,
        });
        const view = toAcceptedView(record);
        return jsonResponse(202, view, { location: view.links.self });
      });
    },
  },
  {
    method: 'GET',
    path: '/v1/batches/:id',
    handler: async (ctx, { request, params, owner }) =>
      jsonResponse(200, await getBatch(ctx, enabled(ctx), params.id ?? '', owner, request.query)),
  },
  {
    method: 'POST',
    path: '/v1/batches/:id/cancel',
    handler: async (ctx, { params, requestId, owner }) =>
      jsonResponse(
        200,
        await cancelBatch(ctx, enabled(ctx), params.id ?? '', { requestId, owner }),
      ),
  },
];

function parseJsonBody(request: ApiRequest): unknown {
  const mediaType =
    (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType !== 'application/json') {
    throw new RequestError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Expected Content-Type application/json but received ${mediaType === '' ? 'none' : JSON.stringify(mediaType.slice(0, 100))}`,
      { details: { received: mediaType.slice(0, 100), allowed: ['application/json'] } },
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(request.body);
  } catch (error) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      'Expected a UTF-8 JSON body but it is not valid UTF-8',
      {
        cause: error,
      },
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected a JSON object body but it does not parse: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
