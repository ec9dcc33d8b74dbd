import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FsJobStore } from '#core/local/fs-job-store.ts';
import { jobRecordFactory } from '#core/testing/job-factory.ts';
import { describeJobStoreContract } from '#core/testing/job-store-contract.ts';
import { useTempRoot } from '../helpers/temp-dir.ts';

const newDir = useTempRoot('jobs');

describeJobStoreContract('FsJobStore', async () => ({ store: new FsJobStore({ root: newDir() }) }));

describe('FsJobStore', () => {
  it('serializes racing updates of two instances on one folder without losing any', async () => {
    const root = newDir();
    const [a, b] = [new FsJobStore({ root }), new FsJobStore({ root })];
    const job = jobRecordFactory();
    await a.create(job);
    await a.update(job.id, (current) => ({
      ...current,
      status: 'running',
      progress: { step: 0, steps: 20 },
    }));

    const bump = (store: FsJobStore) =>
      store.update(job.id, (current) => ({
        ...current,
        progress: { step: (current.progress?.step ?? 0) + 1, steps: 20 },
      }));
    await Promise.all([bump(a), bump(b), bump(a), bump(b)]);

    expect(await b.get(job.id)).toMatchObject({ version: 6, progress: { step: 4 } });
  });

  it('lets exactly one of two instances create the same id', async () => {
    const root = newDir();
    const job = jobRecordFactory();

    const results = await Promise.allSettled([
      new FsJobStore({ root }).create(job),
      new FsJobStore({ root }).create({ ...job, instruction: 'other' }),
    ]);

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((result) => result.status === 'rejected')).toMatchObject({
      reason: { code: 'CONFLICT' },
    });
  });

  it('stores the record as jobs/<id>.json and leaves no temporary or lock files', async () => {
    const root = newDir();
    const store = new FsJobStore({ root });
    const job = jobRecordFactory();

    await store.create(job);
    await store.update(job.id, (current) => ({ ...current, status: 'running' }));

    expect(await readdir(join(root, 'jobs'))).toEqual([`${job.id}.json`]);
  });

  it('takes over a lock file left by a dead process once it is stale', async () => {
    const root = newDir();
    const store = new FsJobStore({ root, lockTimeoutMs: 2_000 });
    const job = jobRecordFactory();
    await store.create(job);
    const lock = join(root, 'jobs', `${job.id}.json.lock`);
    await writeFile(lock, 'dead-process');
    const { utimes } = await import('node:fs/promises');
    const longAgo = new Date(Date.now() - 60_000);
    await utimes(lock, longAgo, longAgo);

    const updated = await store.update(job.id, (current) => ({ ...current, status: 'canceled' }));

    expect(updated.status).toBe('canceled');
  });

  it('gives up with a retryable DependencyError while a live lock is held', async () => {
    const root = newDir();
    const store = new FsJobStore({ root, lockTimeoutMs: 100 });
    const job = jobRecordFactory();
    await store.create(job);
    await writeFile(join(root, 'jobs', `${job.id}.json.lock`), 'live-process');

    await expect(
      store.update(job.id, (current) => ({ ...current, status: 'canceled' })),
    ).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retryable: true });
  });

  it('reports an unreadable record as a DependencyError instead of undefined', async () => {
    const root = newDir();
    const store = new FsJobStore({ root });
    const job = jobRecordFactory();
    await store.create(job);
    await writeFile(join(root, 'jobs', `${job.id}.json`), '{"id": 1');

    await expect(store.get(job.id)).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
  });
});
