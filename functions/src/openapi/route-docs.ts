import type { OperationDoc } from './operation-doc.ts';

const IMAGE_PART = { image: { contentType: 'image/jpeg, image/png, image/webp' } };

/**
 * The document's words for every route, keyed `METHOD /path` in the router's spelling
 * (`:name` parameters). A route the router knows without an entry here fails test/openapi.
 */
export const ROUTE_DOCS: Readonly<Record<string, OperationDoc>> = {
  'GET /healthz': {
    operationId: 'getHealth',
    summary: 'Health check',
    description: 'Answers without calling any dependency. Local mode only behind API Gateway.',
    tag: 'service',
    access: 'public',
    responses: { 200: { description: 'The API answers.', schema: 'Health' } },
    errors: [],
  },
  'GET /openapi.json': {
    operationId: 'getOpenApiDocument',
    summary: 'This OpenAPI 3.1 document',
    tag: 'service',
    access: 'public',
    responses: {
      200: {
        description: 'The document, generated from the request schemas.',
        mediaType: 'application/json',
      },
    },
    errors: [],
  },
  'GET /playground': {
    operationId: 'getPlayground',
    summary: 'The playground page',
    description:
      'A self-contained HTML page to try edits in a browser with a pasted API key. Served in local mode, and on AWS when VIBE_PLAYGROUND is on; otherwise 404.',
    tag: 'service',
    access: 'public',
    responses: { 200: { description: 'The page.', mediaType: 'text/html' } },
    errors: ['NOT_FOUND'],
  },
  'POST /v1/uploads': {
    operationId: 'createUpload',
    summary: 'Get a presigned PUT for a large image',
    description:
      'For images above the inline limit. PUT the bytes to `url` with `headers` before `expiresAt`, then submit `{ "image": { "uploadId": ... } }` until `usableUntil`. Nothing is stored by this call.',
    tag: 'uploads',
    access: 'key',
    idempotent: true,
    requestBody: {
      required: false,
      content: { 'application/json': { schema: 'UploadRequest' } },
    },
    responses: { 201: { description: 'The upload ticket.', schema: 'UploadTicket' } },
    errors: ['INVALID_ARGUMENT', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE'],
  },
  'POST /v1/edits': {
    operationId: 'createEdit',
    summary: 'Submit an edit',
    description:
      'JSON with the image as an upload id, an https URL or a data URI; or multipart/form-data with an `image` file part and the other fields as text fields (`output` as `output.format` and `output.quality`). Everything is validated before anything is stored.',
    tag: 'edits',
    access: 'key',
    idempotent: true,
    preferWait: true,
    requestBody: {
      required: true,
      content: {
        'application/json': { schema: 'EditRequest' },
        'multipart/form-data': { schema: 'EditForm', encoding: IMAGE_PART },
      },
    },
    responses: {
      200: {
        description: 'With `Prefer: wait=N`: the edit finished within the wait.',
        schema: 'Edit',
        headers: ['Location', 'Preference-Applied'],
      },
      202: {
        description:
          'Accepted and queued. With `Prefer: wait=N`: the whole edit as it stands when the wait ended.',
        schema: ['EditAccepted', 'Edit'],
        headers: ['Location', 'Preference-Applied'],
      },
    },
    errors: [
      'INVALID_ARGUMENT',
      'INVALID_INSTRUCTION',
      'UPLOAD_NOT_FOUND',
      'UPLOAD_EXPIRED',
      'PAYLOAD_TOO_LARGE',
      'UNSUPPORTED_MEDIA_TYPE',
      'UNSUPPORTED_IMAGE_FORMAT',
      'INVALID_IMAGE',
      'IMAGE_TOO_LARGE',
      'IMAGE_TOO_SMALL',
      'UNSUPPORTED_ASPECT_RATIO',
      'IMAGE_FETCH_FAILED',
    ],
  },
  'GET /v1/edits/:id': {
    operationId: 'getEdit',
    summary: 'Get an edit',
    description:
      'Status, progress, timings, error, and for a succeeded edit the output with a fresh presigned URL.',
    tag: 'edits',
    access: 'key',
    preferWait: true,
    responses: {
      200: {
        description:
          'The edit; with `Prefer: wait=N`, once it has finished or after N seconds, as it stands.',
        schema: 'Edit',
        headers: ['Preference-Applied'],
      },
    },
    errors: ['NOT_FOUND', 'INVALID_ARGUMENT'],
  },
  'POST /v1/edits/:id/cancel': {
    operationId: 'cancelEdit',
    summary: 'Cancel an edit',
    description:
      'A queued edit is canceled at once and never runs; a running one stops at its next denoising step. A finished one is 409.',
    tag: 'edits',
    access: 'key',
    responses: { 200: { description: 'Canceled.', schema: 'CancelResult' } },
    errors: ['NOT_FOUND', 'CONFLICT'],
  },
  'GET /v1/edits/:id/webhook-deliveries': {
    operationId: 'listWebhookDeliveries',
    summary: 'The webhook delivery log of an edit',
    description:
      'Every delivery (one per event), newest first, with its attempts: times, durations, status codes, errors, the next attempt, and whether it ended dead-lettered.',
    tag: 'webhooks',
    access: 'key',
    responses: { 200: { description: 'The log.', schema: 'WebhookDeliveries' } },
    errors: ['NOT_FOUND'],
  },
  'POST /v1/edits/:id/webhook-deliveries/:deliveryId/redeliver': {
    operationId: 'redeliverWebhook',
    summary: 'Deliver a webhook event again',
    description:
      'Starts a new round of the delivery with the full retry schedule; the event keeps its `webhook-id`, so a receiver that got it deduplicates.',
    tag: 'webhooks',
    access: 'key',
    responses: { 202: { description: 'Queued again.', schema: 'WebhookDelivery' } },
    errors: ['NOT_FOUND'],
  },
  'POST /v1/batches': {
    operationId: 'createBatch',
    summary: 'Submit a batch of edits',
    description:
      'Inline `items` or a JSONL `manifest` uploaded through `POST /v1/uploads`. Each item is checked like a single edit; refused lines are reported with their line number and the others run on the batch lane.',
    tag: 'batches',
    access: 'key',
    idempotent: true,
    requestBody: { required: true, content: { 'application/json': { schema: 'BatchRequest' } } },
    responses: {
      202: { description: 'Created.', schema: 'BatchAccepted', headers: ['Location'] },
    },
    errors: [
      'INVALID_ARGUMENT',
      'UNSUPPORTED_MEDIA_TYPE',
      'PAYLOAD_TOO_LARGE',
      'UPLOAD_NOT_FOUND',
      'UPLOAD_EXPIRED',
      'NOT_FOUND',
    ],
  },
  'GET /v1/batches/:id': {
    operationId: 'getBatch',
    summary: 'Get a batch',
    description:
      'Counts by item state, the line errors, one page of items (with links to their edits and, when succeeded, their outputs), and the results manifest once the batch has ended.',
    tag: 'batches',
    access: 'key',
    query: [
      {
        name: 'limit',
        description: 'Items per page (1 to 100; default 100).',
        schema: { type: 'integer', minimum: 1, maximum: 100 },
      },
      {
        name: 'cursor',
        description: 'The `nextCursor` of the previous page.',
        schema: { type: 'string' },
      },
    ],
    responses: { 200: { description: 'The batch.', schema: 'Batch' } },
    errors: ['NOT_FOUND', 'INVALID_ARGUMENT'],
  },
  'POST /v1/batches/:id/cancel': {
    operationId: 'cancelBatch',
    summary: 'Cancel a batch',
    description:
      'No item of the batch starts after this; queued items end at once, running ones at their next step. A completed batch is 409.',
    tag: 'batches',
    access: 'key',
    responses: { 200: { description: 'Canceled.', schema: 'BatchCancelResult' } },
    errors: ['NOT_FOUND', 'CONFLICT'],
  },
  'GET /v1/admin/keys': {
    operationId: 'listKeys',
    summary: 'List API keys',
    tag: 'admin',
    access: 'admin',
    responses: { 200: { description: 'Every key, oldest first.', schema: 'ApiKeyList' } },
    errors: [],
  },
  'POST /v1/admin/keys': {
    operationId: 'createKey',
    summary: 'Create an API key',
    description:
      'The token is in this answer only; the service keeps its SHA-256. Not idempotent on purpose (a replay would have to keep the secret).',
    tag: 'admin',
    access: 'admin',
    requestBody: {
      required: true,
      content: { 'application/json': { schema: 'CreateKeyRequest' } },
    },
    responses: { 201: { description: 'Created.', schema: 'CreatedKey' } },
    errors: ['INVALID_ARGUMENT', 'UNSUPPORTED_MEDIA_TYPE'],
  },
  'POST /v1/admin/keys/:id/revoke': {
    operationId: 'revokeKey',
    summary: 'Revoke an API key',
    description: 'From then on (within the key cache time, 5 s) the key is answered 401.',
    tag: 'admin',
    access: 'admin',
    responses: { 200: { description: 'Revoked.', schema: 'RevokedKey' } },
    errors: ['NOT_FOUND', 'INVALID_ARGUMENT'],
  },
};
