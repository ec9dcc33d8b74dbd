import { describe, expect, it, vi } from 'vitest';
import { ConfigError } from '#core/errors.ts';
import { createLambdaHandler, toApiRequest } from '#functions/handlers/lambda-adapter.ts';
import { apiGatewayEventFactory, restApiEventFactory } from '../helpers/api-gateway-event.ts';
import { createHarness, imageFile, useTempRoot } from '../helpers/api-harness.ts';
import { pngImage, toDataUri } from '../helpers/images.ts';

const tempDir = useTempRoot('lambda');

function handlerFor(root: string, config = {}) {
  const h = createHarness(root, { config });
  return { h, handler: createLambdaHandler(async () => h.app) };
}

function parse(result: { body?: string | undefined }) {
  return JSON.parse(result.body ?? 'null');
}

describe('createLambdaHandler', () => {
  it('submits a JSON edit from an API Gateway v2 event and uses its request id', async () => {
    const { h, handler } = handlerFor(tempDir());
    const body = JSON.stringify({
      image: { dataUri: toDataUri(await pngImage()) },
      instruction: 'make it winter',
    });

    const result = await handler(
      apiGatewayEventFactory({
        method: 'POST',
        path: '/v1/edits',
        headers: { 'content-type': 'application/json' },
        body,
        requestId: 'Jx1abc=',
      }),
    );

    expect(result).toMatchObject({ statusCode: 202, isBase64Encoded: false });
    expect(result.headers).toMatchObject({
      'x-request-id': 'Jx1abc=',
      location: '/v1/edits/job_0001',
    });
    expect(parse(result)).toMatchObject({ id: 'job_0001', status: 'queued' });
    const [lease] = await h.queues.interactive.receive({
      maxMessages: 1,
      waitSeconds: 0,
      leaseSeconds: 5,
    });
    expect(lease?.message.traceId).toBe('Jx1abc=');
  });

  it('submits a multipart edit that API Gateway delivered base64-encoded', async () => {
    const { h, handler } = handlerFor(tempDir());
    const form = new FormData();
    form.append('image', imageFile(await pngImage(40, 40)));
    form.append('instruction', 'add snow');
    form.append('lane', 'batch');
    const encoded = new Request('http://x.invalid/', { method: 'POST', body: form });
    const bytes = new Uint8Array(await encoded.arrayBuffer());

    const result = await handler(
      apiGatewayEventFactory({
        method: 'POST',
        path: '/v1/edits',
        headers: { 'content-type': encoded.headers.get('content-type') ?? '' },
        body: bytes,
      }),
    );

    expect(result.statusCode).toBe(202);
    expect(await h.jobs.get(parse(result).id)).toMatchObject({
      lane: 'batch',
      instruction: 'add snow',
      input: { width: 40, height: 40, format: 'png' },
    });
  });

  it('reads the job back and answers an unknown one with the uniform 404 body', async () => {
    const { handler } = handlerFor(tempDir());

    const result = await handler(apiGatewayEventFactory({ path: '/v1/edits/job_missing' }));

    expect(result.statusCode).toBe(404);
    expect(parse(result)).toEqual({
      error: expect.objectContaining({ code: 'NOT_FOUND', requestId: 'apigw-req-1' }),
    });
  });

  it('answers 413 for a base64 body above the body limit', async () => {
    const { handler } = handlerFor(tempDir(), {
      limits: { maxBodyBytes: 1000, maxInlineImageBytes: 500 },
    });

    const result = await handler(
      apiGatewayEventFactory({
        method: 'POST',
        path: '/v1/edits',
        headers: { 'content-type': 'multipart/form-data; boundary=x' },
        body: new Uint8Array(1001),
      }),
    );

    expect(result.statusCode).toBe(413);
    expect(parse(result).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers the uniform 500 body, without the cause, when the app cannot be built', async () => {
    const handler = createLambdaHandler(() =>
      Promise.reject(new ConfigError('VIBE_BUCKET is required')),
    );
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);

    const result = await handler(apiGatewayEventFactory());
    const written = stderr.mock.calls.map((args) => String(args[0])).join('');
    stderr.mockRestore();

    expect(result.statusCode).toBe(500);
    expect(parse(result).error).toMatchObject({ code: 'INTERNAL', requestId: 'apigw-req-1' });
    expect(result.body).not.toContain('VIBE_BUCKET');
    expect(written).toContain('VIBE_BUCKET is required');
  });
});

describe('createLambdaHandler with REST API events (payload 1.0)', () => {
  it('submits as the calling API key and hides its jobs from other keys', async () => {
    const { h, handler } = handlerFor(tempDir());
    const body = JSON.stringify({
      image: { dataUri: toDataUri(await pngImage()) },
      instruction: 'make it winter',
    });

    const accepted = await handler(
      restApiEventFactory({
        method: 'POST',
        path: '/v1/edits',
        headers: { 'Content-Type': 'application/json' },
        body,
        apiKeyId: 'key-alice',
      }),
    );
    const id = parse(accepted).id as string;
    const own = await handler(
      restApiEventFactory({ path: `/v1/edits/${id}`, apiKeyId: 'key-alice' }),
    );
    const other = await handler(
      restApiEventFactory({ path: `/v1/edits/${id}`, apiKeyId: 'key-bob' }),
    );
    const otherCancel = await handler(
      restApiEventFactory({ method: 'POST', path: `/v1/edits/${id}/cancel`, apiKeyId: 'key-bob' }),
    );

    expect(accepted.statusCode).toBe(202);
    expect((await h.jobs.get(id))?.owner).toBe('key-alice');
    expect(own.statusCode).toBe(200);
    expect(other.statusCode).toBe(404);
    expect(otherCancel.statusCode).toBe(404);
    expect((await h.jobs.get(id))?.status).toBe('queued');
  });

  it('submits a multipart edit delivered base64-encoded as a binary media type', async () => {
    const { h, handler } = handlerFor(tempDir());
    const form = new FormData();
    form.append('image', imageFile(await pngImage(48, 48)));
    form.append('instruction', 'add snow');
    const encoded = new Request('http://x.invalid/', { method: 'POST', body: form });

    const result = await handler(
      restApiEventFactory({
        method: 'POST',
        path: '/v1/edits',
        headers: { 'Content-Type': encoded.headers.get('content-type') ?? '' },
        body: new Uint8Array(await encoded.arrayBuffer()),
        apiKeyId: 'key-alice',
      }),
    );

    expect(result.statusCode).toBe(202);
    expect(result.headers).toMatchObject({ 'x-request-id': 'rest-req-1' });
    expect((await h.jobs.get(parse(result).id))?.input).toMatchObject({ width: 48, height: 48 });
  });
});

describe('toApiRequest', () => {
  it('keeps the method, path, lower-case headers, query and decoded body', () => {
    const request = toApiRequest(
      apiGatewayEventFactory({
        method: 'POST',
        path: '/v1/uploads',
        headers: { 'Content-Type': 'application/json' },
        query: { a: '1,2' },
        body: '{"contentType":"image/png"}',
      }),
    );

    expect(request).toMatchObject({
      method: 'POST',
      path: '/v1/uploads',
      query: { a: '1,2' },
      requestId: 'apigw-req-1',
    });
    expect(request.headers['content-type']).toBe('application/json');
    expect(Buffer.from(request.body).toString('utf8')).toBe('{"contentType":"image/png"}');
  });
});
