import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BatchStore } from '#core/aws/s3-batch-store.ts';
import { batchFactory } from '#core/batches/batch-factory.ts';
import { describeBatchStoreContract } from '#core/batches/batch-store-contract.ts';
import { type FauxqsEmulator, startFauxqs } from '../helpers/fauxqs-emulator.ts';

let plain: FauxqsEmulator;
let conditional: FauxqsEmulator;
let plainBucket: string;
let conditionalBucket: string;

beforeAll(async () => {
  [plain, conditional] = await Promise.all([startFauxqs(), startFauxqs({ conditionalPuts: true })]);
  [plainBucket, conditionalBucket] = await Promise.all([
    plain.createBucket(),
    conditional.createBucket(),
  ]);
});
afterAll(async () => {
  await Promise.all([plain.close(), conditional.close()]);
});

// fauxqs 1.9.2 ignores If-Match / If-None-Match on PutObject: the race tests cannot pass there.
describeBatchStoreContract(
  'S3BatchStore on fauxqs 1.9.2',
  async () => new S3BatchStore({ client: plain.clients.s3, bucket: plainBucket }),
  { settlesRaces: false },
);

// With S3's documented conditional PUT semantics added by the test hook (core/test/helpers).
describeBatchStoreContract(
  'S3BatchStore on fauxqs 1.9.2 + conditional PUT shim',
  async () => new S3BatchStore({ client: conditional.clients.s3, bucket: conditionalBucket }),
);

describe('S3BatchStore', () => {
  it('keeps the records under batches/ as JSON objects', async () => {
    const store = new S3BatchStore({ client: conditional.clients.s3, bucket: conditionalBucket });
    const { batch, chunks } = batchFactory({ items: 2 });
    for (const chunk of chunks) await store.createChunk(chunk);
    await store.create(batch);

    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    const out = await conditional.clients.s3.send(
      new GetObjectCommand({ Bucket: conditionalBucket, Key: `batches/${batch.id}/chunks/0.json` }),
    );

    expect(out.ContentType).toBe('application/json');
    expect(JSON.parse((await out.Body?.transformToString()) ?? '')).toMatchObject({
      batchId: batch.id,
      index: 0,
      version: 1,
    });
  });
});
