import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3DocumentStore } from '#core/aws/s3-document-store.ts';
import { DocumentIdempotencyStore, documentKey } from '#core/idempotency/idempotency-store.ts';
import { describeIdempotencyStoreContract } from '#core/idempotency/idempotency-store-contract.ts';
import { FsDocumentStore } from '#core/limits/fs-document-store.ts';
import { MemoryDocumentStore } from '#core/limits/memory-document-store.ts';
import { type FauxqsEmulator, startFauxqs } from '../helpers/fauxqs-emulator.ts';
import { useTempRoot } from '../helpers/temp-dir.ts';

const newDir = useTempRoot('idem');
let plain: FauxqsEmulator;
let conditional: FauxqsEmulator;

beforeAll(async () => {
  [plain, conditional] = await Promise.all([startFauxqs(), startFauxqs({ conditionalPuts: true })]);
});
afterAll(async () => {
  await Promise.all([plain.close(), conditional.close()]);
});

describeIdempotencyStoreContract(
  'memory',
  async () => new DocumentIdempotencyStore(new MemoryDocumentStore()),
);
describeIdempotencyStoreContract(
  'local (FsDocumentStore)',
  async () => new DocumentIdempotencyStore(new FsDocumentStore({ root: newDir() })),
);
// fauxqs 1.9.2 ignores If-None-Match: two racing claims would both win there.
describeIdempotencyStoreContract(
  'S3 on fauxqs 1.9.2',
  async () =>
    new DocumentIdempotencyStore(
      new S3DocumentStore({ client: plain.clients.s3, bucket: await plain.createBucket() }),
    ),
  { settlesRaces: false },
);
describeIdempotencyStoreContract(
  'S3 on fauxqs 1.9.2 + conditional PUT shim',
  async () =>
    new DocumentIdempotencyStore(
      new S3DocumentStore({
        client: conditional.clients.s3,
        bucket: await conditional.createBucket(),
      }),
    ),
);

describe('idempotency document keys', () => {
  it('hashes the client key and keeps a plain owner id', () => {
    expect(documentKey('0123456789abcdef', 'abc')).toBe(
      'idempotency/0123456789abcdef/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.json',
    );
    expect(documentKey('a b', 'abc')).toMatch(/^idempotency\/h-[0-9a-f]{64}\/[0-9a-f]{64}\.json$/);
  });
});
