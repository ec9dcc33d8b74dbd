import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { ApiKeyView } from '#core/keys/api-key.ts';
import type { CreatedKey } from '#functions/admin/keys-command.ts';
import type { BatchView, ItemView, toAcceptedView } from '#functions/api/batches/batch-view.ts';
import type { CancelBatchResult } from '#functions/api/batches/cancel-batch.ts';
import type { DeliveryView } from '#functions/api/webhooks/webhook-deliveries.ts';
import { buildOpenApiDocument } from '#functions/openapi/openapi-document.ts';
import {
  cancelResultSchema,
  editAcceptedSchema,
  editSchema,
  errorBodySchema,
  healthSchema,
  uploadTicketSchema,
} from '#functions/openapi/response-schemas.ts';
import {
  apiKeyListSchema,
  type apiKeySchema,
  type batchAcceptedSchema,
  type batchCancelResultSchema,
  type batchItemSchema,
  type batchSchema,
  createdKeySchema,
  revokedKeySchema,
  type webhookDeliverySchemaView,
} from '#functions/openapi/service-response-schemas.ts';
import type { CancelResult } from '#functions/use-cases/cancel-edit.ts';
import type { UploadTicket } from '#functions/use-cases/create-upload.ts';
import type { EditView } from '#functions/use-cases/edit-view.ts';
import { type LocalService, startLocalService } from '#test/client/helpers/local-service.ts';

/**
 * The answers' schemas in the OpenAPI document are true: real answers of local mode parse with
 * them and keep every field (zod drops unknown fields, so an undocumented one makes the parse
 * differ), and the views' TypeScript types equal the schemas' types (checked by tsc).
 */

type Accepted = ReturnType<typeof toAcceptedView>;

let service: LocalService;
let photo: Uint8Array;

beforeAll(async () => {
  service = await startLocalService({ stepMs: 5 });
  photo = new Uint8Array(await readFile('test/fixtures/sample/photo.jpg'));
});

afterAll(() => service.close());

async function api(
  method: string,
  path: string,
  body?: FormData | unknown,
): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = { authorization: `Bearer ${service.apiKey}` };
  let payload: FormData | string | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers,
    ...(payload === undefined ? {} : { body: payload }),
  });
  return { status: response.status, json: await response.json() };
}

function conforms(schema: z.ZodType, body: unknown): void {
  expect(schema.parse(body)).toEqual(body);
}

describe('the answers match their documented schemas', () => {
  it('health, uploads, edits (queued and succeeded), cancel and errors', async () => {
    const form = new FormData();
    form.append('image', new Blob([photo], { type: 'image/jpeg' }), 'photo.jpg');
    form.append('instruction', 'make it winter');
    form.append('steps', '2');

    const health = await api('GET', '/healthz');
    const ticket = await api('POST', '/v1/uploads', { contentType: 'image/png' });
    const accepted = await api('POST', '/v1/edits', form);
    const id = (accepted.json as { id: string }).id;
    const queued = await api('GET', `/v1/edits/${id}`);
    let done = queued;
    for (let i = 0; i < 200 && (done.json as { status: string }).status !== 'succeeded'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      done = await api('GET', `/v1/edits/${id}`);
    }
    const conflict = await api('POST', `/v1/edits/${id}/cancel`);

    conforms(healthSchema, health.json);
    conforms(uploadTicketSchema, ticket.json);
    expect(accepted.status).toBe(202);
    conforms(editAcceptedSchema, accepted.json);
    conforms(editSchema, queued.json);
    expect(done.json).toMatchObject({ status: 'succeeded', output: { format: 'png' } });
    conforms(editSchema, done.json);
    expect(conflict.status).toBe(409);
    conforms(errorBodySchema, conflict.json);
  });

  it('GET /openapi.json serves the document to anyone, without a key', async () => {
    const response = await fetch(`${service.url}/openapi.json`);
    const served = (await response.json()) as { openapi: string; paths: object };

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(served.openapi).toBe('3.1.0');
    expect(Object.keys(served.paths)).toEqual(Object.keys(buildOpenApiDocument().paths as object));
  });

  it('a cancel result', async () => {
    const form = new FormData();
    form.append('image', new Blob([photo], { type: 'image/jpeg' }), 'photo.jpg');
    form.append('instruction', 'x');
    form.append('steps', '100');
    const { json } = await api('POST', '/v1/edits', form);

    const canceled = await api('POST', `/v1/edits/${(json as { id: string }).id}/cancel`);

    expect(canceled.status).toBe(200);
    conforms(cancelResultSchema, canceled.json);
  });

  it('the key admin answers', async () => {
    const created = await api('POST', '/v1/admin/keys', { name: 'schema check' });
    const listed = await api('GET', '/v1/admin/keys');
    const revoked = await api(
      'POST',
      `/v1/admin/keys/${(created.json as { key: { id: string } }).key.id}/revoke`,
    );

    conforms(createdKeySchema, created.json);
    conforms(apiKeyListSchema, listed.json);
    conforms(revokedKeySchema, revoked.json);
  });

  it('have the TypeScript types of the views that build them (either way assignable)', () => {
    expectTypeOf<EditView>().toExtend<z.output<typeof editSchema>>();
    expectTypeOf<z.output<typeof editSchema>>().toExtend<EditView>();
    expectTypeOf<CancelResult>().toExtend<z.output<typeof cancelResultSchema>>();
    expectTypeOf<z.output<typeof cancelResultSchema>>().toExtend<CancelResult>();
    expectTypeOf<UploadTicket>().toExtend<z.output<typeof uploadTicketSchema>>();
    expectTypeOf<z.output<typeof uploadTicketSchema>>().toExtend<UploadTicket>();
    expectTypeOf<Accepted>().toExtend<z.output<typeof batchAcceptedSchema>>();
    expectTypeOf<z.output<typeof batchAcceptedSchema>>().toExtend<Accepted>();
    expectTypeOf<BatchView>().toExtend<z.output<typeof batchSchema>>();
    expectTypeOf<z.output<typeof batchSchema>>().toExtend<BatchView>();
    expectTypeOf<ItemView>().toExtend<z.output<typeof batchItemSchema>>();
    expectTypeOf<z.output<typeof batchItemSchema>>().toExtend<ItemView>();
    expectTypeOf<CancelBatchResult>().toExtend<z.output<typeof batchCancelResultSchema>>();
    expectTypeOf<z.output<typeof batchCancelResultSchema>>().toExtend<CancelBatchResult>();
    expectTypeOf<DeliveryView>().toExtend<z.output<typeof webhookDeliverySchemaView>>();
    expectTypeOf<z.output<typeof webhookDeliverySchemaView>>().toExtend<DeliveryView>();
    expectTypeOf<ApiKeyView>().toExtend<z.output<typeof apiKeySchema>>();
    expectTypeOf<z.output<typeof apiKeySchema>>().toExtend<ApiKeyView>();
    expectTypeOf<CreatedKey>().toExtend<z.output<typeof createdKeySchema>>();
    expectTypeOf<z.output<typeof createdKeySchema>>().toExtend<CreatedKey>();
  });
});
