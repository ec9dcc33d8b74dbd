import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsBlobStore } from '#core/local/fs-blob-store.ts';
import { verifySignedBlobUrl } from '#core/local/signed-blob-url.ts';
import { describeBlobStoreContract } from '#core/testing/blob-store-contract.ts';
import { type LocalBlobServer, startLocalBlobServer } from '../helpers/local-blob-server.ts';
import { useTempRoot } from '../helpers/temp-dir.ts';

const secret = randomBytes(32);
const newDir = useTempRoot('blobs');
let store: FsBlobStore;
let server: LocalBlobServer;

beforeAll(async () => {
  server = await startLocalBlobServer(() => store, secret);
  store = new FsBlobStore({ root: newDir(), baseUrl: server.baseUrl, signingSecret: secret });
});
afterAll(() => server.close());

describeBlobStoreContract('FsBlobStore', async () => ({ store }));

describe('FsBlobStore', () => {
  it('refuses an upload above the size limit bound into the signed URL', async () => {
    const signed = await store.signedUploadUrl('uploads/too-big', {
      expiresInSeconds: 60,
      maxBytes: 4,
    });

    const response = await fetch(signed.url, { method: 'PUT', body: '12345' });

    expect(response.status).toBe(413);
    expect(signed.enforcesMaxBytes).toBe(true);
    expect(await store.head('uploads/too-big')).toBeUndefined();
  });

  it('signs URLs that the verifier refuses for another method, a raised limit or after expiry', async () => {
    const upload = await store.signedUploadUrl('uploads/x', { expiresInSeconds: 60, maxBytes: 10 });
    const download = await store.signedDownloadUrl('uploads/x', { expiresInSeconds: 60 });
    const raised = new URL(upload.url);
    raised.searchParams.set('max', '1000000');

    expect(verifySignedBlobUrl(upload.url, { method: 'PUT', secret })).toMatchObject({
      ok: true,
      key: 'uploads/x',
      maxBytes: 10,
    });
    expect(verifySignedBlobUrl(upload.url, { method: 'GET', secret })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(verifySignedBlobUrl(download.url, { method: 'PUT', secret })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(verifySignedBlobUrl(raised, { method: 'PUT', secret })).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(
      verifySignedBlobUrl(download.url, { method: 'GET', secret, now: Date.now() + 61_000 }),
    ).toEqual({ ok: false, reason: 'expired' });
  });

  it('leaves no temporary files behind and keeps blobs inside the root', async () => {
    const root = newDir();
    const local = new FsBlobStore({ root, baseUrl: 'http://127.0.0.1:1', signingSecret: secret });

    await local.put('outputs/job_1.png', new Uint8Array([1, 2, 3]), { contentType: 'image/png' });

    expect(await readdir(`${root}/.tmp`)).toEqual([]);
    expect(await readdir(`${root}/outputs`)).toEqual(['job_1.png']);
    expect(local.pathOf('outputs/job_1.png')).toBe(`${root}/outputs/job_1.png`);
  });

  it('refuses a signing secret shorter than 16 bytes', () => {
    expect(
      () =>
        new FsBlobStore({ root: newDir(), baseUrl: 'http://127.0.0.1:1', signingSecret: 'short' }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
