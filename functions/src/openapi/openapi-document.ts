import type { ErrorCode } from '#core/errors.ts';
import { createKeyInputSchema } from '../admin/keys-command.ts';
import { type ApiConfig, resolveApiConfig } from '../api/api-config.ts';
import { batchRequestDocSchema } from '../api/batches/batch-request-schema.ts';
import { jsonEditRequestSchema, multipartEditFieldsSchema } from '../api/edit-request-schema.ts';
import { uploadRequestSchema } from '../use-cases/create-upload.ts';
import { describeApi, multipartForm } from './document-parts.ts';
import { statusOf } from './error-catalog.ts';
import { componentSchemas, type JsonSchema } from './json-schema.ts';
import {
  type Access,
  type OperationDoc,
  PATH_PARAMETERS,
  type ResponseDoc,
} from './operation-doc.ts';
import {
  cancelResultSchema,
  editAcceptedSchema,
  editSchema,
  errorBodySchema,
  healthSchema,
  uploadTicketSchema,
} from './response-schemas.ts';
import { ROUTE_DOCS } from './route-docs.ts';
import {
  apiKeyListSchema,
  apiKeySchema,
  batchAcceptedSchema,
  batchCancelResultSchema,
  batchSchema,
  createdKeySchema,
  revokedKeySchema,
  webhookDeliveriesSchema,
  webhookDeliverySchemaView,
} from './service-response-schemas.ts';

/** The OpenAPI version this document follows. */
export const OPENAPI_VERSION = '3.1.0';

/** Codes every route of an access level may answer, besides its own. */
const ACCESS_ERRORS: Readonly<Record<Access, readonly ErrorCode[]>> = {
  public: ['INTERNAL'],
  key: ['UNAUTHENTICATED', 'RATE_LIMITED', 'QUOTA_EXCEEDED', 'DEPENDENCY_UNAVAILABLE', 'INTERNAL'],
  admin: ['UNAUTHENTICATED', 'ACCESS_DENIED', 'DEPENDENCY_UNAVAILABLE', 'INTERNAL'],
};
const IDEMPOTENCY_ERRORS: readonly ErrorCode[] = [
  'IDEMPOTENCY_KEY_REUSED',
  'IDEMPOTENCY_IN_PROGRESS',
];
/** Answers that carry `Retry-After`. */
const RETRY_STATUSES = new Set([429, 503]);

/**
 * The OpenAPI 3.1 description of the whole API, generated: request bodies from the zod schemas
 * that validate them, answers from response-schemas.ts, error statuses from http-errors.ts, the
 * words from route-docs.ts. Served at `GET /openapi.json` and committed as docs/openapi.json (a
 * test keeps the file current).
 */
export function buildOpenApiDocument(config: ApiConfig = resolveApiConfig()): JsonSchema {
  const schemas = componentSchemas({
    EditRequest: jsonEditRequestSchema,
    EditFormFields: multipartEditFieldsSchema,
    UploadRequest: uploadRequestSchema(config.limits.maxImageBytes),
    Health: healthSchema,
    EditAccepted: editAcceptedSchema,
    Edit: editSchema,
    CancelResult: cancelResultSchema,
    UploadTicket: uploadTicketSchema,
    Error: errorBodySchema,
    BatchRequest: batchRequestDocSchema,
    BatchAccepted: batchAcceptedSchema,
    Batch: batchSchema,
    BatchCancelResult: batchCancelResultSchema,
    WebhookDeliveries: webhookDeliveriesSchema,
    WebhookDelivery: webhookDeliverySchemaView,
    CreateKeyRequest: createKeyInputSchema,
    ApiKey: apiKeySchema,
    ApiKeyList: apiKeyListSchema,
    CreatedKey: createdKeySchema,
    RevokedKey: revokedKeySchema,
  });
  const { EditFormFields: formFields, ...named } = schemas;
  named.EditForm = multipartForm(formFields ?? {});

  const paths: Record<string, Record<string, unknown>> = {};
  for (const [key, doc] of Object.entries(ROUTE_DOCS)) {
    const [method = '', path = ''] = key.split(' ');
    const openApiPath = path.replace(/:([A-Za-z]+)/g, '{$1}');
    paths[openApiPath] ??= {};
    (paths[openApiPath] as Record<string, unknown>)[method.toLowerCase()] = operation(path, doc);
  }

  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: 'VIBE image editing API',
      version: '1.0.0',
      summary: 'Instruction-based image editing: submit an image and an instruction, get the edit.',
      description: describeApi(config),
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [
      { url: 'http://127.0.0.1:8787', description: 'Local mode (npm start)' },
      {
        url: 'https://{api}.execute-api.{region}.amazonaws.com/{stage}',
        description: 'The AWS deployment (API Gateway stage URL)',
        variables: {
          api: { default: 'abc123', description: 'The REST API id' },
          region: { default: 'us-east-1' },
          stage: { default: 'prod' },
        },
      },
    ],
    security: [{ bearerAuth: [] }],
    tags: [
      { name: 'edits', description: 'Edit jobs: submit, read, wait, cancel.' },
      { name: 'uploads', description: 'Presigned uploads for large images and batch manifests.' },
      {
        name: 'batches',
        description: 'Many edits at once, on the batch lane, with a results manifest.',
      },
      { name: 'webhooks', description: 'The delivery log of an edit’s webhooks, and redelivery.' },
      { name: 'admin', description: 'API keys, for admin keys only.' },
      { name: 'service', description: 'Health, this document and the playground.' },
    ],
    paths,
    components: {
      schemas: named,
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key: `Authorization: Bearer <key>`. Local mode prints one at start.',
        },
      },
      parameters: {
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            'Any unique string (a UUID): the same key and request return the first answer for 24 h; the same key with another request is 409 IDEMPOTENCY_KEY_REUSED.',
          schema: { type: 'string', minLength: 1, maxLength: 255 },
        },
        Prefer: {
          name: 'Prefer',
          in: 'header',
          required: false,
          description:
            '`wait=N`: hold the answer up to N seconds (capped to fit API Gateway) for the edit to finish; the answer is the edit as it stands then.',
          schema: { type: 'string', pattern: '(^|[,;\\s])wait=\\d+' },
        },
      },
      headers: {
        'Retry-After': {
          description: 'Seconds to wait before retrying.',
          schema: { type: 'integer', minimum: 0 },
        },
        'X-Request-Id': {
          description: 'The request id, also in error bodies; quote it when reporting a problem.',
          schema: { type: 'string' },
        },
        Location: { description: 'The new resource.', schema: { type: 'string' } },
        'Preference-Applied': {
          description: 'With `Prefer: wait=N`: `wait=<seconds waited at most>`.',
          schema: { type: 'string' },
        },
      },
    },
  };
}

function operation(path: string, doc: OperationDoc): Record<string, unknown> {
  const parameters: unknown[] = [...path.matchAll(/:([A-Za-z]+)/g)].map(([, name = '']) => ({
    name,
    in: 'path',
    required: true,
    description: PATH_PARAMETERS[name] ?? name,
    schema: { type: 'string' },
  }));
  for (const query of doc.query ?? []) {
    parameters.push({ in: 'query', required: false, ...query });
  }
  if (doc.idempotent === true) parameters.push({ $ref: '#/components/parameters/IdempotencyKey' });
  if (doc.preferWait === true) parameters.push({ $ref: '#/components/parameters/Prefer' });

  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(doc.responses)) {
    responses[status] = successResponse(response);
  }
  const codes = [
    ...doc.errors,
    ...(doc.idempotent === true ? IDEMPOTENCY_ERRORS : []),
    ...ACCESS_ERRORS[doc.access],
  ];
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = statusOf(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = {
      description: `Error: ${list.map((code) => `\`${code}\``).join(', ')}.`,
      headers: {
        'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' },
        ...(RETRY_STATUSES.has(status)
          ? { 'Retry-After': { $ref: '#/components/headers/Retry-After' } }
          : {}),
      },
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }

  return {
    operationId: doc.operationId,
    summary: doc.summary,
    ...(doc.description === undefined ? {} : { description: doc.description }),
    tags: [doc.tag],
    ...(doc.access === 'public' ? { security: [] } : {}),
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(doc.requestBody === undefined
      ? {}
      : {
          requestBody: {
            required: doc.requestBody.required,
            content: Object.fromEntries(
              Object.entries(doc.requestBody.content).map(([mediaType, body]) => [
                mediaType,
                {
                  schema: { $ref: `#/components/schemas/${body.schema}` },
                  ...(body.encoding === undefined ? {} : { encoding: body.encoding }),
                },
              ]),
            ),
          },
        }),
    responses,
  };
}

function successResponse(response: ResponseDoc): Record<string, unknown> {
  const headers: Record<string, unknown> = {
    'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' },
  };
  for (const name of response.headers ?? []) {
    headers[name] = { $ref: `#/components/headers/${name}` };
  }
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const content =
    response.schema !== undefined
      ? {
          'application/json': {
            schema:
              typeof response.schema === 'string'
                ? ref(response.schema)
                : { anyOf: response.schema.map(ref) },
          },
        }
      : response.mediaType !== undefined
        ? { [response.mediaType]: {} }
        : undefined;
  return {
    description: response.description,
    headers,
    ...(content === undefined ? {} : { content }),
  };
}
