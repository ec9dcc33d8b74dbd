import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchFactory } from '#core/batches/batch-factory.ts';
import { batchJobId, batchResultsKey } from '#core/batches/batch-keys.ts';
import type { BatchChunk } from '#core/batches/batch-record.ts';
import { BatchTracker, type JobState } from '#core/batches/batch-tracker.ts';
import { FsBatchStore } from '#core/batches/fs-batch-store.ts';
import { DependencyError } from '#core/errors.ts';
import { FsBlobStore } from '#core/local/fs-blob-store.ts';
import type { BatchEvent } from '#core/webhooks/batch-event.ts';
import { useTempRoot } from '../helpers/temp-dir.ts';

const newDir = useTempRoot('batch-tracker');
const NOW = Date.parse('2026-11-27T12:30:00.000Z');

async function setUp(items = 2, chunkSize = 100) {
  const root = newDir();
  const store = new FsBatchStore({ root: join(root, 'bucket') });
  const blobs = new FsBlobStore({
    root: join(root, 'bucket'),
    baseUrl: 'http://127.0.0.1:9',
    signingSecret: 'test-secret-of-enough-length-0123456789',
  });
  const published: BatchEvent[] = [];
  let failPublish = 0;
  const events = {
    publish: async (event: BatchEvent) => {
      if (failPublish-- > 0) throw new DependencyError('events down (test)');
      published.push(event);
    },
  };
  const tracker = new BatchTracker({ store, blobs, events, now: () => NOW });
  const { batch, chunks } = batchFactory({ items, chunkSize });
  for (const chunk of chunks) await store.createChunk(chunk);
  await store.create(batch);
  const job = (line: number, status: JobState['status'], version: number): JobState => ({
    id: batchJobId(batch.id, line),
    batchId: batch.id,
    status,
    version,
    output:
      status === 'succeeded'
        ? { key: `outputs/${line}.png`, width: 8, height: 8, format: 'png' }
        : null,
    error: status === 'failed' ? { code: 'INFERENCE_FAILED', message: 'boom' } : null,
  });
  return {
    store,
    blobs,
    tracker,
    published,
    id: batch.id,
    job,
    failNextPublishes: (n: number) => {
      failPublish = n;
    },
  };
}

describe('BatchTracker', () => {
  it('records newer job states only, so a late or repeated state never goes back', async () => {
    const t = await setUp(1);

    await t.tracker.recordJob(t.job(1, 'queued', 1));
    await t.tracker.recordJob(t.job(1, 'running', 2));
    const stale = await t.tracker.recordJob(t.job(1, 'queued', 1));
    const chunk = await t.store.getChunk(t.id, 0);

    expect(chunk?.items[0]).toMatchObject({ status: 'running', jobVersion: 2, jobId: `${t.id}-1` });
    expect(chunk?.version).toBe(3);
    expect(stale?.chunks[0]).toMatchObject({ chunkVersion: 3, counts: { running: 1, queued: 0 } });
    expect(stale?.status).toBe('running');
  });

  it('never lets a stale chunk overwrite a newer summary', async () => {
    const t = await setUp(2);
    await t.tracker.recordJob(t.job(1, 'queued', 1));
    const old = (await t.store.getChunk(t.id, 0)) as BatchChunk;
    await t.tracker.recordJob(t.job(2, 'queued', 1));

    const batch = await t.tracker.syncChunk(old);

    expect(batch.chunks[0]).toMatchObject({ chunkVersion: 3, counts: { queued: 2, pending: 0 } });
  });

  it('ends the batch once: manifest, results and event; repeats only what failed', async () => {
    const t = await setUp(2, 1);
    await t.tracker.recordJob(t.job(1, 'queued', 1));
    await t.tracker.recordJob(t.job(2, 'queued', 1));
    await t.tracker.recordJob(t.job(1, 'succeeded', 3));
    t.failNextPublishes(1);

    await expect(t.tracker.recordJob(t.job(2, 'failed', 3))).rejects.toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
    });
    const afterFailure = await t.store.get(t.id);
    const retried = await t.tracker.recordJob(t.job(2, 'failed', 3));
    const repeated = await t.tracker.recordJob(t.job(2, 'failed', 3));

    expect(afterFailure).toMatchObject({
      status: 'completed',
      results: { key: batchResultsKey(t.id), items: 2 },
      finalEvent: { type: 'batch.completed', published: false },
      timestamps: { completedAt: '2026-11-27T12:30:00.000Z' },
    });
    expect(retried?.finalEvent).toEqual({
      type: 'batch.completed',
      sequence: afterFailure?.finalEvent?.sequence,
      published: true,
    });
    expect(repeated).toEqual(retried);
    expect(t.published.map((event) => [event.id, event.type])).toEqual([
      [`evt_${t.id}_${afterFailure?.finalEvent?.sequence}`, 'batch.completed'],
    ]);
    expect(t.published[0]?.data).toMatchObject({
      status: 'completed',
      items: 2,
      counts: { succeeded: 1, failed: 1 },
    });
    const manifest = new TextDecoder().decode((await t.blobs.get(batchResultsKey(t.id))).body);
    expect(
      manifest
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([
      {
        line: 1,
        jobId: `${t.id}-1`,
        status: 'succeeded',
        output: { key: 'outputs/1.png', width: 8, height: 8, format: 'png' },
        error: null,
        links: { self: `/v1/edits/${t.id}-1` },
      },
      {
        line: 2,
        jobId: `${t.id}-2`,
        status: 'failed',
        output: null,
        error: { code: 'INFERENCE_FAILED', message: 'boom' },
        links: { self: `/v1/edits/${t.id}-2` },
      },
    ]);
  });

  it('ignores jobs without a batch, of an unknown batch, or with an id not of their batch', async () => {
    const t = await setUp(1);

    const results = await Promise.all([
      t.tracker.recordJob({ ...t.job(1, 'queued', 1), batchId: null }),
      t.tracker.recordJob({ ...t.job(1, 'queued', 1), id: 'job_unrelated' }),
      t.tracker.recordJob({ ...t.job(7, 'queued', 1) }),
    ]);

    expect(results).toEqual([undefined, undefined, undefined]);
    expect((await t.store.getChunk(t.id, 0))?.version).toBe(1);
  });
});
