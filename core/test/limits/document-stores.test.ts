import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3DocumentStore } from '#core/aws/s3-document-store.ts';
import { describeDocumentStoreContract } from '#core/limits/document-store-contract.ts';
import { FsDocumentStore } from '#core/limits/fs-document-store.ts';
import { MemoryDocumentStore } from '#core/limits/memory-document-store.ts';
import { type FauxqsEmulator, startFauxqs } from '../helpers/fauxqs-emulator.ts';
import { useTempRoot } from '../helpers/temp-dir.ts';

const newDir = useTempRoot('docs');
let plain: FauxqsEmulator;
let conditional: FauxqsEmulator;

beforeAll(async () => {
  [plain, conditional] = await Promise.all([startFauxqs(), startFauxqs({ conditionalPuts: true })]);
});
afterAll(async () => {
  await Promise.all([plain.close(), conditional.close()]);
});

describeDocumentStoreContract('MemoryDocumentStore', async () => new MemoryDocumentStore());
describeDocumentStoreContract(
  'FsDocumentStore',
  async () => new FsDocumentStore({ root: newDir() }),
);
// fauxqs 1.9.2 ignores If-Match / If-None-Match on PutObject: the refused-condition tests need
// real S3 or the shim below.
describeDocumentStoreContract(
  'S3DocumentStore on fauxqs 1.9.2',
  async () => new S3DocumentStore({ client: plain.clients.s3, bucket: await plain.createBucket() }),
  { settlesRaces: false },
);
describeDocumentStoreContract(
  'S3DocumentStore on fauxqs 1.9.2 + conditional PUT shim',
  async () =>
    new S3DocumentStore({
      client: conditional.clients.s3,
      bucket: await conditional.createBucket(),
    }),
);

describe('S3DocumentStore', () => {
  it('shows the emulator gap: without the shim a create-only put overwrites', async () => {
    const store = new S3DocumentStore({
      client: plain.clients.s3,
      bucket: await plain.createBucket(),
    });
    await store.put('doc.json', { n: 1 });

    await store.put('doc.json', { n: 2 }, { expectedVersion: null });

    // Real S3 answers 412 here (see the shim suite).
    expect((await store.get('doc.json'))?.value).toEqual({ n: 2 });
  });
});

describe('FsDocumentStore', () => {
  it('serializes two instances on one folder without losing an increment', async () => {
    const root = newDir();
    const [a, b] = [new FsDocumentStore({ root }), new FsDocumentStore({ root })];
    const { updateDocument } = await import('#core/limits/document-store.ts');

    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        updateDocument(
          i % 2 === 0 ? a : b,
          'n.json',
          (current) => ((current as number | undefined) ?? 0) + 1,
          50,
        ),
      ),
    );

    expect((await b.get('n.json'))?.value).toBe(6);
  });
});
