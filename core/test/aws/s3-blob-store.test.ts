import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '#core/aws/s3-blob-store.ts';
import { describeBlobStoreContract } from '#core/testing/blob-store-contract.ts';
import { type FauxqsEmulator, startFauxqs } from '../helpers/fauxqs-emulator.ts';

let emulator: FauxqsEmulator;
let store: S3BlobStore;

beforeAll(async () => {
  emulator = await startFauxqs();
  store = new S3BlobStore({ client: emulator.clients.s3, bucket: await emulator.createBucket() });
});
afterAll(() => emulator.close());

describeBlobStoreContract('S3BlobStore on fauxqs 1.9.2', async () => ({ store }));

describe('S3BlobStore', () => {
  const offline = () =>
    new S3BlobStore({
      client: new S3Client({
        region: 'us-east-1',
        endpoint: 'http://127.0.0.1:9',
        forcePathStyle: true,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        maxAttempts: 1,
      }),
      bucket: 'b',
    });

  it('presigns a PUT URL without x-amz-checksum parameters, with expiry and signed length', async () => {
    const signed = await store.signedUploadUrl('uploads/u1', {
      expiresInSeconds: 900,
      maxBytes: 1_000,
      contentLength: 512,
      contentType: 'image/png',
    });
    const url = new URL(signed.url);
    const names = [...url.searchParams.keys()].map((name) => name.toLowerCase());

    expect(names.filter((name) => name.startsWith('x-amz-checksum'))).toEqual([]);
    expect(names).not.toContain('x-amz-sdk-checksum-algorithm');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toContain('content-length');
    expect(signed).toMatchObject({
      enforcesMaxBytes: true,
      headers: { 'content-type': 'image/png', 'content-length': '512' },
    });
  });

  it('reports that a PUT URL without contentLength cannot enforce maxBytes', async () => {
    const signed = await store.signedUploadUrl('uploads/u2', {
      expiresInSeconds: 60,
      maxBytes: 10,
    });

    expect(signed.enforcesMaxBytes).toBe(false);
    expect(new URL(signed.url).searchParams.get('X-Amz-SignedHeaders')).toBe('host');
  });

  it('guards a real trap: a default-checksum client would sign an empty CRC32 into the URL', async () => {
    // The reason for the WHEN_REQUIRED setting, checked so the test above can be trusted.
    const defaultClient = new S3Client({
      region: 'us-east-1',
      endpoint: emulator.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const url = await getSignedUrl(defaultClient, new PutObjectCommand({ Bucket: 'b', Key: 'k' }), {
      expiresIn: 60,
    });
    const guarded = new S3BlobStore({ client: defaultClient, bucket: 'b' });

    expect(url).toMatch(/x-amz-checksum-crc32=/i);
    await expect(
      guarded.signedUploadUrl('k', { expiresInSeconds: 60, maxBytes: 1 }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    defaultClient.destroy();
  });

  it('maps an unreachable S3 to a retryable DependencyError that keeps the cause', async () => {
    const broken = offline();

    const failure = broken.head('inputs/x');

    await expect(failure).rejects.toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
      retryable: true,
    });
    await expect(failure).rejects.toHaveProperty('cause');
  });
});
