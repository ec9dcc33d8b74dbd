import { RequestError, ValidationError } from '#core/errors.ts';
import { createKey, listKeys, revokeKey } from '../../admin/keys-command.ts';
import type { ApiContext } from '../api-context.ts';
import type { ApiRequest, ApiResponse } from '../api-types.ts';
import { jsonResponse } from '../json-response.ts';

interface AdminCall {
  readonly request: ApiRequest;
  readonly params: Readonly<Record<string, string>>;
}

function keyStore(ctx: ApiContext) {
  const store = ctx.access.keys;
  if (store === undefined) {
    throw new RequestError(
      'ACCESS_DENIED',
      'Expected a server with API keys required (VIBE_AUTH=required) for key administration but keys are disabled',
    );
  }
  return store;
}

function jsonBody(request: ApiRequest): unknown {
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new RequestError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Expected Content-Type application/json but received ${JSON.stringify(mediaType ?? '')}`,
      { details: { received: mediaType, allowed: ['application/json'] } },
    );
  }
  try {
    return JSON.parse(Buffer.from(request.body).toString('utf8'));
  } catch (error) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected a JSON object body but it does not parse: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/**
 * Key administration over HTTP, for admin keys only (the app marks these routes `admin`; others
 * get 403). Creating a key is not idempotent on purpose: a replay would have to store the secret.
 */
export const keyAdminRoutes: readonly {
  readonly method: string;
  readonly path: string;
  readonly handler: (ctx: ApiContext, call: AdminCall) => Promise<ApiResponse>;
}[] = [
  {
    method: 'GET',
    path: '/v1/admin/keys',
    handler: async (ctx) =>
      jsonResponse(200, {
        keys: await ctx.dependency('key store list', () => listKeys(keyStore(ctx))),
      }),
  },
  {
    method: 'POST',
    path: '/v1/admin/keys',
    handler: async (ctx, { request }) => {
      const input = jsonBody(request);
      const created = await ctx.dependency('key store create', () =>
        createKey(
          keyStore(ctx),
          input as Parameters<typeof createKey>[1],
          new Date(ctx.clock.now()),
          ctx.access.gateway,
        ),
      );
      return jsonResponse(201, created);
    },
  },
  {
    method: 'POST',
    path: '/v1/admin/keys/:id/revoke',
    handler: async (ctx, { params }) =>
      jsonResponse(200, {
        key: await ctx.dependency('key store revoke', () =>
          revokeKey(keyStore(ctx), params.id ?? '', new Date(ctx.clock.now()), ctx.access.gateway),
        ),
      }),
  },
];
