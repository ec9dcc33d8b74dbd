import { RequestError, ValidationError } from '#core/errors.ts';
import { openApiResponse } from '../openapi/openapi-route.ts';
import { playgroundResponse } from '../playground/playground-route.ts';
import { cancelEdit } from '../use-cases/cancel-edit.ts';
import { createUpload } from '../use-cases/create-upload.ts';
import { editLinks } from '../use-cases/edit-view.ts';
import { getEdit } from '../use-cases/get-edit.ts';
import { submitEdit } from '../use-cases/submit-edit.ts';
import { type ApiContext, createApiContext } from './api-context.ts';
import type { ApiApp, ApiDeps, ApiRequest, ApiResponse } from './api-types.ts';
import type { Caller, RouteAccess } from './auth/access-control.ts';
import { keyAdminRoutes } from './auth/key-admin-routes.ts';
import { batchRoutes } from './batches/batch-routes.ts';
import { errorResponse } from './http-errors.ts';
import { idempotentCreate } from './idempotency/idempotent-create.ts';
import { jsonResponse } from './json-response.ts';
import { parseEditRequest } from './parse-edit-request.ts';
import { createRouter } from './router.ts';
import { readPreferWait } from './waiting/prefer-wait.ts';
import { answerAfterWait, getEditWaiting } from './waiting/wait-routes.ts';
import { webhookRoutes } from './webhooks/webhook-routes.ts';

interface Call {
  readonly request: ApiRequest;
  readonly params: Readonly<Record<string, string>>;
  readonly requestId: string;
  /** Who owns the jobs this request may create and see (the key id when keys are required). */
  readonly owner: string;
  /** The authenticated caller: its key (limits, admin flag) when it has one. */
  readonly caller: Caller;
}

type Handler = (ctx: ApiContext, call: Call) => Promise<ApiResponse>;

/** `access` (default `key`): who may call the route (auth/access-control.ts). */
const routes: { method: string; path: string; handler: Handler; access?: RouteAccess }[] = [
  {
    method: 'GET',
    path: '/healthz',
    access: 'public',
    handler: async (ctx) =>
      jsonResponse(200, { status: 'ok', time: new Date(ctx.clock.now()).toISOString() }),
  },
  {
    method: 'GET',
    path: '/openapi.json',
    access: 'public',
    handler: async (ctx) => openApiResponse(ctx.config),
  },
  {
    method: 'GET',
    path: '/playground',
    access: 'public',
    handler: async (ctx) => playgroundResponse(ctx.config),
  },
  {
    method: 'POST',
    path: '/v1/edits',
    handler: async (ctx, call) => {
      const { request, requestId, owner, caller } = call;
      const wait = readPreferWait(request.headers, ctx.config.waiting.maxWaitSeconds);
      const created = await idempotentCreate(ctx, call, async (idempotencyKey) => {
        const submission = await parseEditRequest(request, ctx.config.limits);
        const record = await submitEdit(ctx, submission, {
          requestId,
          owner,
          caller,
          idempotencyKey,
        });
        const links = editLinks(record.id);
        return jsonResponse(
          202,
          { id: record.id, status: record.status, createdAt: record.timestamps.createdAt, links },
          { location: links.self },
        );
      });
      return wait === undefined ? created : answerAfterWait(ctx, created, owner, wait);
    },
  },
  {
    method: 'GET',
    path: '/v1/edits/:id',
    handler: async (ctx, { request, params, owner }) => {
      const wait = readPreferWait(request.headers, ctx.config.waiting.maxWaitSeconds);
      return wait === undefined
        ? jsonResponse(200, await getEdit(ctx, params.id ?? '', owner))
        : getEditWaiting(ctx, params.id ?? '', owner, wait);
    },
  },
  {
    method: 'POST',
    path: '/v1/edits/:id/cancel',
    handler: async (ctx, { params, requestId, owner }) =>
      jsonResponse(200, await cancelEdit(ctx, params.id ?? '', { requestId, owner })),
  },
  {
    method: 'POST',
    path: '/v1/uploads',
    handler: async (ctx, call) =>
      idempotentCreate(ctx, call, async () =>
        jsonResponse(201, await createUpload(ctx, parseOptionalJson(call.request), call.owner)),
      ),
  },
  ...keyAdminRoutes.map((route) => ({ ...route, access: 'admin' as const })),
  ...batchRoutes,
  ...webhookRoutes,
];

/** Every route (router spelling) and who may call it, for the OpenAPI test: none undocumented. */
export const API_ROUTES: readonly {
  readonly method: string;
  readonly path: string;
  readonly access: RouteAccess;
}[] = routes.map(({ method, path, access }) => ({ method, path, access: access ?? 'key' }));

/**
 * The HTTP API as one plain function, served by the Lambda entry (handlers/api.ts) and by the
 * local server (local/http-server.ts). It never throws: every failure becomes the uniform error
 * body of http-errors.ts, and every response carries `x-request-id`.
 * @throws ConfigError at construction when `deps.config` is invalid.
 */
export function createApiApp(deps: ApiDeps): ApiApp {
  const ctx = createApiContext(deps);
  // The router hands back the whole route, so that its access rule is known before it runs.
  const route = createRouter(
    routes.map((entry) => ({ ...entry, handler: { run: entry.handler, access: entry.access } })),
  );
  const { maxBodyBytes } = ctx.config.limits;
  const toErrorResponse = (error: unknown, requestId: string, request?: ApiRequest) =>
    errorResponse(error, {
      requestId,
      retryAfterSeconds: ctx.config.retryAfterSeconds,
      log: ctx.log,
      ...(request === undefined ? {} : { context: { method: request.method, path: request.path } }),
    });

  const app = async (request: ApiRequest): Promise<ApiResponse> => {
    const requestId = request.requestId ?? ctx.ids.requestId();
    let response: ApiResponse;
    try {
      const { handler, params } = route(request.method, request.path);
      const caller = await ctx.access.authenticate(request, handler.access ?? 'key');
      checkBodySize(request, maxBodyBytes);
      response = await handler.run(ctx, {
        request,
        params,
        requestId,
        owner: caller.owner,
        caller,
      });
    } catch (error) {
      response = toErrorResponse(error, requestId, request);
    }
    return { ...response, headers: { ...response.headers, 'x-request-id': requestId } };
  };
  return Object.assign(app, {
    maxBodyBytes,
    errorResponse: (error: unknown, requestId?: string) => {
      const id = requestId ?? ctx.ids.requestId();
      const response = toErrorResponse(error, id);
      return { ...response, headers: { ...response.headers, 'x-request-id': id } };
    },
  });
}

/** The body limit, whether the adapter stopped reading, the body is whole, or only declared. */
function checkBodySize(request: ApiRequest, maxBodyBytes: number): void {
  const declared = Number(request.headers['content-length'] ?? 0);
  const size = Math.max(request.body.byteLength, Number.isFinite(declared) ? declared : 0);
  if (request.bodyExceeded === true || size > maxBodyBytes) {
    throw new RequestError(
      'PAYLOAD_TOO_LARGE',
      `Expected a request body of at most ${maxBodyBytes} bytes but received ${request.bodyExceeded === true && size <= maxBodyBytes ? 'more' : size}; upload large images with POST /v1/uploads and submit { "image": { "uploadId": ... } }`,
      { details: { maxBytes: maxBodyBytes, ...(size > maxBodyBytes ? { bytes: size } : {}) } },
    );
  }
}

/** An optional JSON body: empty means `{}`. */
function parseOptionalJson(request: ApiRequest): unknown {
  if (request.body.byteLength === 0) return {};
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new RequestError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Expected Content-Type application/json (or no body) but received ${JSON.stringify(mediaType ?? '')}`,
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
