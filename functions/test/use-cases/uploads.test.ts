import { describe, expect, it } from 'vitest';
import { uploadKey } from '#core/jobs/storage-keys.ts';
import { verifySignedBlobUrl } from '#core/local/signed-blob-url.ts';
import { makeUploadId, parseUploadId } from '#functions/api/upload-id.ts';
import {
  call,
  createHarness,
  type Harness,
  jsonRequest,
  SIGNING_SECRET,
  START,
  useTempRoot,
} from '../helpers/api-harness.ts';
import { pngImage } from '../helpers/images.ts';

const tempDir = useTempRoot('uploads');

async function createUpload(h: Harness, body?: unknown) {
  return call(h.app, jsonRequest('POST', '/v1/uploads', body));
}

function submitUpload(h: Harness, uploadId: string) {
  return call(
    h.app,
    jsonRequest('POST', '/v1/edits', { image: { uploadId }, instruction: 'make it winter' }),
  );
}

describe('POST /v1/uploads', () => {
  it('answers 201 with a presigned PUT to uploads/<id>, its expiry and size limit, and stores nothing', async () => {
    const h = createHarness(tempDir(), { config: { signedUrlTtlSeconds: 300 } });

    const res = await createUpload(h);

    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      method: 'PUT',
      headers: {},
      expiresAt: '2026-11-27T12:05:00.000Z',
      usableUntil: '2026-11-27T13:05:00.000Z',
      maxBytes: 20 * 1024 ** 2,
    });
    expect(parseUploadId(res.json.uploadId).toISOString()).toBe('2026-11-27T12:05:00.000Z');
    const verified = verifySignedBlobUrl(res.json.url, {
      method: 'PUT',
      secret: Buffer.from(SIGNING_SECRET),
      now: START,
    });
    expect(verified).toMatchObject({
      ok: true,
      key: uploadKey(res.json.uploadId),
      maxBytes: 20 * 1024 ** 2,
    });
    expect((await h.stored()).blobs).toEqual([]);
  });

  it('binds the content type and the exact length when the body gives them', async () => {
    const h = createHarness(tempDir());

    const res = await createUpload(h, { contentType: 'image/png', contentLength: 1000 });

    expect(res.json).toMatchObject({ headers: { 'content-type': 'image/png' }, maxBytes: 1000 });
  });

  it('refuses unknown fields and a length above the upload limit', async () => {
    const h = createHarness(tempDir(), { config: { limits: { maxImageBytes: 5000 } } });

    const unknown = await createUpload(h, { filename: 'a.png' });
    const tooLong = await createUpload(h, { contentLength: 5001 });

    expect(unknown.status).toBe(400);
    expect(unknown.json.error.message).toContain('"filename"');
    expect(tooLong.status).toBe(400);
    expect(tooLong.json.error.message).toBe(
      'Expected "contentLength" to be at most 5000 bytes (the upload limit) but received 5001',
    );
  });

  it('lets a submission use an uploaded image, copied to the job input', async () => {
    const h = createHarness(tempDir());
    const { json: ticket } = await createUpload(h);
    await h.blobs.put(uploadKey(ticket.uploadId), await pngImage(64, 48), {
      contentType: 'image/png',
    });

    const res = await submitUpload(h, ticket.uploadId);

    expect(res.status).toBe(202);
    const record = await h.jobs.get(res.json.id);
    expect(record?.input).toMatchObject({
      key: `inputs/${res.json.id}`,
      width: 64,
      height: 48,
      format: 'png',
    });
    expect((await h.stored()).blobs).toEqual([
      `inputs/${res.json.id}`,
      `uploads/${ticket.uploadId}`,
    ]);
  });

  it('answers 404 UPLOAD_NOT_FOUND for an upload id whose image was never uploaded', async () => {
    const h = createHarness(tempDir());
    const { json: ticket } = await createUpload(h);

    const res = await submitUpload(h, ticket.uploadId);

    expect(res.status).toBe(404);
    expect(res.json.error).toMatchObject({
      code: 'UPLOAD_NOT_FOUND',
      details: { uploadId: ticket.uploadId },
    });
    expect(await h.stored()).toEqual({ blobs: [], jobs: [], messages: 0, events: 0 });
  });

  it('answers 410 UPLOAD_EXPIRED once the PUT URL expired with nothing uploaded', async () => {
    const h = createHarness(tempDir(), { config: { signedUrlTtlSeconds: 60 } });
    const { json: ticket } = await createUpload(h);
    h.clock.advance(61_000);

    const res = await submitUpload(h, ticket.uploadId);

    expect(res.status).toBe(410);
    expect(res.json.error.code).toBe('UPLOAD_EXPIRED');
    expect(res.json.error.message).toContain(
      'expired at 2026-11-27T12:01:00.000Z with nothing uploaded',
    );
  });

  it('answers 410 UPLOAD_EXPIRED for an uploaded image used after its retention window', async () => {
    const h = createHarness(tempDir(), {
      config: { signedUrlTtlSeconds: 60, uploadRetentionSeconds: 120 },
    });
    const { json: ticket } = await createUpload(h);
    await h.blobs.put(uploadKey(ticket.uploadId), await pngImage(), { contentType: 'image/png' });
    h.clock.advance(179_000);
    const stillUsable = await submitUpload(h, ticket.uploadId);
    h.clock.advance(1_000);

    const res = await submitUpload(h, ticket.uploadId);

    expect(stillUsable.status).toBe(202);
    expect(res.status).toBe(410);
    expect(res.json.error).toMatchObject({
      code: 'UPLOAD_EXPIRED',
      details: { usableUntil: '2026-11-27T12:03:00.000Z' },
    });
  });

  it('answers 422 IMAGE_TOO_LARGE for an upload above the limit (S3 PUTs do not enforce it)', async () => {
    const h = createHarness(tempDir(), { config: { limits: { maxImageBytes: 100 } } });
    const { json: ticket } = await createUpload(h);
    await h.blobs.put(uploadKey(ticket.uploadId), await pngImage(), { contentType: 'image/png' });

    const res = await submitUpload(h, ticket.uploadId);

    expect(res.status).toBe(422);
    expect(res.json.error).toMatchObject({ code: 'IMAGE_TOO_LARGE', details: { maxBytes: 100 } });
  });

  it('answers 400 for a string that is not an upload id, and an edited expiry names no upload', async () => {
    const h = createHarness(tempDir());
    const { json: ticket } = await createUpload(h);
    await h.blobs.put(uploadKey(ticket.uploadId), await pngImage(), { contentType: 'image/png' });
    const token = String(ticket.uploadId).split('_')[2] ?? '';
    const forged = makeUploadId(new Date(START + 10 * 86_400_000), token);

    const malformed = await submitUpload(h, 'uploads/../../etc');
    const edited = await submitUpload(h, forged);

    expect(malformed.status).toBe(400);
    expect(malformed.json.error.code).toBe('INVALID_ARGUMENT');
    expect(edited.status).toBe(404);
    expect(edited.json.error.code).toBe('UPLOAD_NOT_FOUND');
  });
});
