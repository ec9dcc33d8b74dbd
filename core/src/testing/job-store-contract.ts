import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../jobs/job-record.ts';
import type { JobStatus } from '../jobs/job-status.ts';
import type { JobStore } from '../ports.ts';
import { jobRecordFactory, newJobId } from './job-factory.ts';

export interface JobStoreContractSubject {
  readonly store: JobStore;
}

export interface JobStoreContractOptions {
  /**
   * True (the default) when the backend settles races itself (the local store's locks, real S3's
   * conditional writes). False for an S3 emulator that ignores If-Match / If-None-Match on
   * PutObject: the tests that need a race to be refused (creating an existing id, racing writers)
   * are then not registered, and docs/ports.md records the gap.
   */
  readonly settlesRaces?: boolean;
}

const at =
  (status: JobStatus) =>
  (job: JobRecord): JobRecord => ({ ...job, status });

/**
 * The JobStore contract: monotonic transitions, read-your-writes and optimistic concurrency.
 * Decision (docs/ports.md): of two racing updates without `expectedVersion`, both apply in some
 * order (the loser re-reads and re-runs its mutation); with `expectedVersion`, exactly one wins and
 * the other fails with ConflictError.
 */
export function describeJobStoreContract(
  name: string,
  factory: () => Promise<JobStoreContractSubject>,
  options: JobStoreContractOptions = {},
): void {
  const settlesRaces = options.settlesRaces ?? true;
  describe(`JobStore contract: ${name}`, () => {
    const race = (title: string, body: (store: JobStore) => Promise<void>) => {
      if (!settlesRaces) return;
      it(title, async () => {
        const { store } = await factory();
        await body(store);
      });
    };

    it('creates a job at version 1 and reads it back', async () => {
      const { store } = await factory();
      const job = jobRecordFactory();

      const created = await store.create(job);
      const read = await store.get(job.id);

      expect(created).toEqual({ ...job, version: 1 });
      expect(read).toEqual(created);
    });

    it('returns undefined for an unknown id', async () => {
      const { store } = await factory();

      expect(await store.get(newJobId())).toBeUndefined();
    });

    it('refuses to create a job that is not queued or not a valid record', async () => {
      const { store } = await factory();

      await expect(store.create(jobRecordFactory({ status: 'running' }))).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      await expect(store.create(jobRecordFactory({ instruction: '' }))).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    });

    race('refuses to create a job whose id already exists', async (store) => {
      const job = jobRecordFactory();
      await store.create(job);

      await expect(store.create({ ...job, instruction: 'other' })).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      expect((await store.get(job.id))?.instruction).toBe(job.instruction);
    });

    it('applies an update, bumps the version and reads its own write', async () => {
      const { store } = await factory();
      const job = jobRecordFactory();
      await store.create(job);

      const updated = await store.update(job.id, (current) => ({
        ...current,
        status: 'running',
        attempts: 1,
        timestamps: { ...current.timestamps, startedAt: '2026-11-27T12:00:01.000Z' },
      }));
      const read = await store.get(job.id);

      expect(updated.version).toBe(2);
      expect(updated.status).toBe('running');
      expect(read).toEqual(updated);
    });

    it('rejects an update of an unknown job with NotFoundError', async () => {
      const { store } = await factory();

      await expect(store.update(newJobId(), at('running'))).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    });

    it('walks queued -> running -> succeeded and writes progress in between', async () => {
      const { store } = await factory();
      const job = jobRecordFactory();
      await store.create(job);

      await store.update(job.id, at('running'));
      await store.update(job.id, (current) => ({ ...current, progress: { step: 5, steps: 20 } }));
      const done = await store.update(job.id, at('succeeded'));

      expect(done).toMatchObject({ status: 'succeeded', version: 4, progress: { step: 5 } });
    });

    it('never lets running overwrite succeeded, and says what the state is', async () => {
      const { store } = await factory();
      const job = jobRecordFactory();
      await store.create(job);
      await store.update(job.id, at('running'));
      const succeeded = await store.update(job.id, at('succeeded'));

      await expect(store.update(job.id, at('running'))).rejects.toMatchObject({
        code: 'CONFLICT',
        details: { currentStatus: 'succeeded', requestedStatus: 'running' },
      });
      expect(await store.get(job.id)).toEqual(succeeded);
    });

    it('never leaves a terminal state, not even for a same-state write', async () => {
      const { store } = await factory();
      const endings: [JobStatus[], JobStatus][] = [
        [['running', 'failed'], 'failed'],
        [['canceled'], 'canceled'],
        [['expired'], 'expired'],
      ];
      for (const [path, terminal] of endings) {
        const job = jobRecordFactory();
        await store.create(job);
        for (const status of path) await store.update(job.id, at(status));

        for (const next of ['queued', 'running', 'succeeded', terminal] as const) {
          await expect(store.update(job.id, at(next))).rejects.toMatchObject({
            code: 'CONFLICT',
            details: { currentStatus: terminal },
          });
        }
        expect((await store.get(job.id))?.status).toBe(terminal);
      }
    });

    it('refuses a skipped state (queued -> succeeded) with ConflictError', async () => {
      const { store } = await factory();
      const job = jobRecordFactory();
      await store.create(job);

      await expect(store.update(job.id, at('succeeded'))).rejects.toMatchObject({
        code: 'CONFLICT',
        details: { currentStatus: 'queued' },
      });
    });

    it('allows a retry running -> queued only with attempts + 1', async () => {
      const { store } = await factory();
      const job = jobRecordFactory();
      await store.create(job);
      await store.update(job.id, (current) => ({ ...current, status: 'running', attempts: 1 }));

      await expect(store.update(job.id, at('queued'))).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      const retried = await store.update(job.id, (current) => ({
        ...current,
        status: 'queued',
        attempts: current.attempts + 1,
      }));

      expect(retried).toMatchObject({ status: 'queued', attempts: 2, version: 3 });
    });

    it('rejects a mutation that changes the id or breaks the schema, storing nothing', async () => {
      const { store } = await factory();
      const job = jobRecordFactory();
      const created = await store.create(job);

      await expect(
        store.update(job.id, (current) => ({ ...current, id: newJobId() })),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(
        store.update(job.id, (current) => ({ ...current, attempts: -1 })),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(await store.get(job.id)).toEqual(created);
    });

    it('rejects a stale expectedVersion with ConflictError and keeps the record', async () => {
      const { store } = await factory();
      const job = jobRecordFactory();
      await store.create(job);
      const running = await store.update(job.id, at('running'), { expectedVersion: 1 });

      await expect(
        store.update(job.id, at('canceled'), { expectedVersion: 1 }),
      ).rejects.toMatchObject({ code: 'CONFLICT', details: { currentVersion: 2 } });
      expect(await store.get(job.id)).toEqual(running);
    });

    race(
      'lets exactly one of two racing updates with the same expectedVersion win',
      async (store) => {
        const job = jobRecordFactory();
        await store.create(job);

        const results = await Promise.allSettled([
          store.update(job.id, at('running'), { expectedVersion: 1 }),
          store.update(job.id, at('canceled'), { expectedVersion: 1 }),
        ]);

        const won = results.filter((result) => result.status === 'fulfilled');
        const lost = results.filter((result) => result.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(lost[0]?.reason).toMatchObject({ code: 'CONFLICT' });
        const stored = await store.get(job.id);
        expect(stored?.version).toBe(2);
        expect(stored?.status).toBe(won[0]?.value.status);
      },
    );

    race('applies every one of several racing updates without expectedVersion', async (store) => {
      const job = jobRecordFactory();
      await store.create(job);
      await store.update(job.id, (current) => ({
        ...current,
        status: 'running',
        progress: { step: 0, steps: 20 },
      }));

      const writers = 5;
      await Promise.all(
        Array.from({ length: writers }, () =>
          store.update(job.id, (current) => ({
            ...current,
            progress: { step: (current.progress?.step ?? 0) + 1, steps: 20 },
          })),
        ),
      );

      const stored = await store.get(job.id);
      expect(stored?.progress?.step).toBe(writers);
      expect(stored?.version).toBe(2 + writers);
    });
  });
}
