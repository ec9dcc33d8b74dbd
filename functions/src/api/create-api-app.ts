import { RequestError, ValidationError } from '#core/errors.ts';
import { cancelEdit } from '../use-cases/cancel-edit.ts';
import { createUpload } from '../use-cases/create-upload.ts';
import { editLinks } from '../use-cases/edit-view.ts';
import { getEdit } from '../use-cases/get-edit.ts';
import { submitEdit } from '../use-cases/submit-edit.ts';
import { type ApiContext, createApiContext } from './api-context.ts';
import type { ApiApp, ApiDeps, ApiRequest, ApiResponse } from './api-types.ts';
import { errorResponse } from './http-errors.ts';
import { jsonResponse } from './json-response.ts';
import { parseEditRequest } from './parse-edit-request.ts';
import { createRouter } from './router.ts';

interface Call {
  readonly request: ApiRequest;
  readonly params: Readonly<Record<string, string>>;
  readonly requestId: string;
  /** Who owns the jobs this request may create and see. */
  readonly owner: string;
}

type Handler = (ctx: ApiContext, call: Call) => Promise<ApiResponse>;

const routes: { method: string; path: string; handler: Handler }[] = [
  {
    method: 'GET',
    path: '/healthz',
    handler: async (ctx) =>
      jsonResponse(200, { status: 'ok', time: new Date(ctx.clock.now()).toISOString() }),
  },
  {
    method: 'POST',
    path: '/v1/edits',
    handler: async (ctx, { request, requestId, owner }) => {
      const submission = await parseEditRequest(request, ctx.config.limits);
      const record = await submitEdit(ctx, submission, { requestId, owner });
      const links = editLinks(record.id);
      return jsonResponse(
        202,
        { id: record.id, status: record.status, createdAt: record.timestamps.createdAt, links },
        { location: links.self },
      );
    },
  },
  {
    method: 'GET',
    path: '/v1/edits/:id',
    handler: async (ctx, { params, owner }) =>
      jsonResponse(200, await getEdit(ctx, params.id ?? '', owner)),
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
    handler: async (ctx, { request }) =>
      jsonResponse(201, await createUpload(ctx, parseOptionalJson(request))),
  },
];

/**
 * The HTTP API as one plain function, served by the Lambda entry (handlers/api.ts) and by the
 * local server (local/http-server.ts). It never throws: every failure becomes the uniform error
 * body of http-errors.ts, and every response carries `x-request-id`.
 * @throws ConfigError at construction when `deps.config` is invalid.
 */
export function createApiApp(deps: ApiDeps): ApiApp {
  const ctx = createApiContext(deps);
  const route = createRouter(routes);
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
      checkBodySize(request, maxBodyBytes);
      const owner = request.principal ?? ctx.config.owner;
      response = await handler(ctx, { request, params, requestId, owner });
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
