import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '#core/aws/aws-clients.ts';
import { S3JobStore } from '#core/aws/s3-job-store.ts';
import { jobRecordFactory } from '#core/testing/job-factory.ts';
import { describeJobStoreContract } from '#core/testing/job-store-contract.ts';
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
describeJobStoreContract(
  'S3JobStore on fauxqs 1.9.2',
  async () => ({ store: new S3JobStore({ client: plain.clients.s3, bucket: plainBucket }) }),
  { settlesRaces: false },
);

// The same emulator with S3's documented conditional PUT semantics added by a test hook: proves
// that the adapter sends the headers and turns 412 into a retry or a ConflictError over HTTP.
describeJobStoreContract('S3JobStore on fauxqs 1.9.2 + conditional PUT shim', async () => ({
  store: new S3JobStore({ client: conditional.clients.s3, bucket: conditionalBucket }),
}));

describe('S3JobStore', () => {
  it('shows the emulator gap: without the shim a second create silently overwrites', async () => {
    const store = new S3JobStore({ client: plain.clients.s3, bucket: plainBucket });
    const job = jobRecordFactory();
    await store.create(job);

    await store.create({ ...job, instruction: 'overwritten' });

    // On real S3, If-None-Match: * refuses this with 412 (see the shim suite above).
    expect((await store.get(job.id))?.instruction).toBe('overwritten');
  });

  it('retries a lost race and gives up with ConflictError after maxAttempts', async () => {
    // A client on which every conditional update first lets another writer change the record,
    // so each If-Match of this client fails.
    const job = jobRecordFactory();
    const jobId = job.id;
    const { s3 } = createAwsClients({
      endpoint: conditional.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const other = new S3JobStore({ client: conditional.clients.s3, bucket: conditionalBucket });
    let interference = 0;
    s3.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { IfMatch?: string; Key?: string };
        if (input.IfMatch !== undefined && input.Key !== undefined) {
          interference += 1;
          await other.update(jobId, (fresh) => ({
            ...fresh,
            instruction: `other ${interference}`,
          }));
        }
        return next(args);
      },
      { step: 'initialize', name: 'interfere' },
    );
    const store = new S3JobStore({ client: s3, bucket: conditionalBucket, maxAttempts: 3 });
    await store.create(job);

    const failure = store.update(jobId, (current) => ({ ...current, instruction: 'loser' }));

    await expect(failure).rejects.toMatchObject({ code: 'CONFLICT', details: { attempt: 3 } });
    expect(interference).toBe(3);
    expect(await other.get(jobId)).toMatchObject({ instruction: 'other 3', version: 4 });
    s3.destroy();
  });
});
