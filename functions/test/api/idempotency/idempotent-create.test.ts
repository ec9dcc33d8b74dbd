import { describe, expect, it } from 'vitest';
import {
  call,
  imageFile,
  jsonRequest,
  multipartRequest,
  useTempRoot,
} from '../../helpers/api-harness.ts';
import { pngImage } from '../../helpers/images.ts';
import { as, bearer, createKeyedHarness, editBody, submitAs } from '../auth/keyed-harness.ts';

const tempDir = useTempRoot('idem');
const DAY_MS = 86_400_000;

describe('Idempotency-Key on POST /v1/edits', () => {
  it('replays the first response for the same key and body, creating nothing the second time', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey({ jobsPerDay: 5, ratePerSecond: null });
    const headers = { 'idempotency-key': 'order-42' };

    const first = await submitAs(h, token, {}, headers);
    const second = await submitAs(h, token, {}, headers);

    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.json).toEqual(first.json);
    expect(second.headers.location).toBe(first.headers.location);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(second.headers['x-request-id']).not.toBe(first.headers['x-request-id']);
    expect((await h.stored()).jobs).toHaveLength(1);
    expect((await h.jobs.get(first.json.id))?.idempotencyKey).toBe('order-42');
  });

  it('treats JSON with other key order and spacing as the same body', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey();
    const body = await editBody({ steps: 12, seed: 3 });
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const send = (text: string) =>
      call(h.app, {
        method: 'POST',
        path: '/v1/edits',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'k1', ...bearer(token) },
        query: {},
        body: new TextEncoder().encode(text),
      });

    const first = await send(JSON.stringify(body));
    const second = await send(JSON.stringify(reordered, null, 2));

    expect(second.json.id).toBe(first.json.id);
    expect(second.headers['idempotent-replayed']).toBe('true');
  });

  it('treats two multipart bodies with different boundaries but the same parts as the same', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey();
    const png = await pngImage();
    const send = async () => {
      const form = new FormData();
      form.set('image', imageFile(png));
      form.set('instruction', 'make it winter');
      const request = await multipartRequest('/v1/edits', form);
      return call(h.app, {
        ...request,
        headers: { ...request.headers, 'idempotency-key': 'form-1', ...bearer(token) },
      });
    };

    const first = await send();
    const second = await send();

    expect(first.status).toBe(202);
    expect(second.json.id).toBe(first.json.id);
  });

  it('answers 409 IDEMPOTENCY_KEY_REUSED for the same key with another body, and creates nothing', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey();
    await submitAs(h, token, {}, { 'idempotency-key': 'order-42' });

    const reused = await submitAs(h, token, { seed: 7 }, { 'idempotency-key': 'order-42' });

    expect(reused.status).toBe(409);
    expect(reused.json.error).toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
      details: {
        idempotencyKey: 'order-42',
        firstUsedAt: '2026-11-27T12:00:00.000Z',
        expiresAt: '2026-11-28T12:00:00.000Z',
      },
    });
    expect(reused.json.error.message).toContain('another body');
    expect((await h.stored()).jobs).toHaveLength(1);
  });

  it('answers 409 IDEMPOTENCY_IN_PROGRESS with Retry-After 1 while the first request runs', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const h = createKeyedHarness(tempDir(), {
      wrap: (deps) => ({
        ...deps,
        blobs: {
          ...deps.blobs,
          put: async (key, body, options) => {
            await gate;
            return deps.blobs.put(key, body, options);
          },
          get: (key) => deps.blobs.get(key),
          head: (key) => deps.blobs.head(key),
          delete: (key) => deps.blobs.delete(key),
          signedDownloadUrl: (key, o) => deps.blobs.signedDownloadUrl(key, o),
          signedUploadUrl: (key, o) => deps.blobs.signedUploadUrl(key, o),
        },
      }),
    });
    const { token } = await h.newKey();
    const headers = { 'idempotency-key': 'slow' };

    const first = submitAs(h, token, {}, headers);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const during = await submitAs(h, token, {}, headers);
    release();
    const done = await first;
    const after = await submitAs(h, token, {}, headers);

    expect(during.status).toBe(409);
    expect(during.headers['retry-after']).toBe('1');
    expect(during.json.error.code).toBe('IDEMPOTENCY_IN_PROGRESS');
    expect(done.status).toBe(202);
    expect(after.json.id).toBe(done.json.id);
  });

  it('keeps a response 24 hours: after that the key creates a new job', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey({ ratePerSecond: null });
    const headers = { 'idempotency-key': 'daily' };
    const first = await submitAs(h, token, {}, headers);
    await h.jobs.update(first.json.id, (job) => ({ ...job, status: 'canceled' }));

    h.clock.advance(DAY_MS - 1);
    const sameDay = await submitAs(h, token, {}, headers);
    h.clock.advance(1);
    const nextDay = await submitAs(h, token, {}, headers);

    expect(sameDay.json.id).toBe(first.json.id);
    expect(nextDay.status).toBe(202);
    expect(nextDay.json.id).not.toBe(first.json.id);
  });

  it('scopes keys per API key: the same Idempotency-Key of two keys makes two jobs', async () => {
    const h = createKeyedHarness(tempDir());
    const alice = await h.newKey();
    const bob = await h.newKey();

    const a = await submitAs(h, alice.token, {}, { 'idempotency-key': 'shared' });
    const b = await submitAs(h, bob.token, {}, { 'idempotency-key': 'shared' });

    expect(b.status).toBe(202);
    expect(b.json.id).not.toBe(a.json.id);
  });

  it('does not store an error: the key is free for the corrected request', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey();
    const headers = { 'idempotency-key': 'fix-me' };

    const bad = await submitAs(h, token, { steps: 0 }, headers);
    const fixed = await submitAs(h, token, { steps: 10 }, headers);

    expect(bad.status).toBe(400);
    expect(fixed.status).toBe(202);
  });

  it('does not consume quota or concurrency on a replay', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey({ jobsPerDay: 1, concurrency: 1, ratePerSecond: null });
    const headers = { 'idempotency-key': 'once' };

    const first = await submitAs(h, token, {}, headers);
    const replays = [await submitAs(h, token, {}, headers), await submitAs(h, token, {}, headers)];

    expect(first.status).toBe(202);
    expect(replays.map((res) => res.status)).toEqual([202, 202]);
  });

  it('works with keys disabled: the owner is anonymous', async () => {
    const { createHarness } = await import('../../helpers/api-harness.ts');
    const h = createHarness(tempDir());
    const send = async () =>
      call(
        h.app,
        jsonRequest('POST', '/v1/edits', await editBody(), { 'idempotency-key': 'anon' }),
      );

    const first = await send();
    const second = await send();

    expect(second.json.id).toBe(first.json.id);
  });
});

describe('Idempotency-Key limits', () => {
  const attempt = async (key: string) => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey();
    return { h, res: await submitAs(h, token, {}, { 'idempotency-key': key }) };
  };

  it('accepts 1 and 255 visible ASCII characters', async () => {
    expect((await attempt('x')).res.status).toBe(202);
    expect((await attempt('~'.repeat(255))).res.status).toBe(202);
  });

  it('refuses 256 characters, spaces, non-ASCII and an empty key with 400, storing nothing', async () => {
    for (const key of ['k'.repeat(256), 'two words', 'clé', ' ']) {
      const { h, res } = await attempt(key);
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({
        code: 'INVALID_ARGUMENT',
        details: { field: 'Idempotency-Key', maxLength: 255 },
      });
      expect((await h.stored()).jobs).toEqual([]);
    }
  });
});

describe('Idempotency-Key on POST /v1/uploads', () => {
  it('hands out the same upload for the same key and body', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey();
    const ticket = () =>
      call(
        h.app,
        as(
          token,
          jsonRequest(
            'POST',
            '/v1/uploads',
            { contentType: 'image/png' },
            { 'idempotency-key': 'u1' },
          ),
        ),
      );

    const first = await ticket();
    const second = await ticket();

    expect(first.status).toBe(201);
    expect(second.json.uploadId).toBe(first.json.uploadId);
    expect(second.headers['idempotent-replayed']).toBe('true');
  });
});
