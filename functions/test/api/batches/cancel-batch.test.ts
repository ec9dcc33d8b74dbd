import { describe, expect, it } from 'vitest';
import { batchResultsKey } from '#core/batches/batch-keys.ts';
import type { JobRecord } from '#core/jobs/job-record.ts';
import { call, jsonRequest, useTempRoot } from '../../helpers/api-harness.ts';
import { type BatchHarness, createBatchHarness, item, pngImage } from './batch-harness.ts';

const tempDir = useTempRoot('batches-cancel');

const task = (batchId: string, chunk: number) => ({
  v: 1 as const,
  kind: 'fan-out' as const,
  batchId,
  chunk,
  traceId: 'trace_test',
});

/** Moves a job as the worker would, and records it in its batch as the worker's events do. */
async function workerMoves(
  h: BatchHarness,
  id: string,
  to: 'running' | 'succeeded',
): Promise<JobRecord> {
  if (to === 'succeeded') await workerMoves(h, id, 'running');
  const job = await h.jobs.update(id, (current) => ({
    ...current,
    status: to,
    attempts: 1,
    output:
      to === 'succeeded'
        ? { key: `outputs/${id}.png`, width: 32, height: 24, format: 'png' }
        : null,
  }));
  await h.tracker.recordJob(job);
  return job;
}

/** A batch of five (chunks of two): 1 succeeded, 2 running, 3 and 4 queued, 5 without a job yet. */
async function batchInFlight(h: BatchHarness): Promise<string> {
  const uploadId = await h.upload(await pngImage());
  const { json } = await h.create({
    items: [1, 2, 3, 4, 5].map((seed) => item(uploadId, { seed })),
    webhook: { url: 'https://hooks.example.com/b' },
  });
  const id: string = json.id;
  await h.runner.run(task(id, 0));
  await h.runner.run(task(id, 1));
  await workerMoves(h, `${id}-1`, 'succeeded');
  await workerMoves(h, `${id}-2`, 'running');
  return id;
}

describe('POST /v1/batches/{id}/cancel', () => {
  it('cancels queued jobs at once, running ones at their next step, and items without a job for good', async () => {
    const h = createBatchHarness(tempDir(), { limits: { chunkSize: 2 } });
    const id = await batchInFlight(h);

    const res = await h.cancel(id);

    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      id,
      status: 'canceled',
      canceled: { pending: 1, queued: 2, running: 1 },
      complete: true,
      counts: {
        total: 5,
        pending: 0,
        rejected: 0,
        queued: 0,
        running: 0,
        succeeded: 1,
        failed: 0,
        canceled: 4,
        expired: 0,
      },
      links: { self: `/v1/batches/${id}`, cancel: `/v1/batches/${id}/cancel` },
    });
    for (const line of [2, 3, 4]) {
      expect(await h.jobs.get(`${id}-${line}`)).toMatchObject({
        status: 'canceled',
        error: { code: 'CANCELED' },
      });
    }
    // The fan-out task of the last chunk comes later and creates nothing.
    await h.runner.drain();
    expect(await h.jobs.get(`${id}-5`)).toBeUndefined();
    const batch = await h.batch(id);
    expect(batch).toMatchObject({
      status: 'canceled',
      timestamps: {
        canceledAt: '2026-11-27T12:00:00.000Z',
        completedAt: '2026-11-27T12:00:00.000Z',
      },
      results: { key: batchResultsKey(id), items: 5 },
      finalEvent: { type: 'batch.canceled', published: true },
    });
    const manifest = new TextDecoder().decode((await h.blobs.get(batchResultsKey(id))).body);
    expect(
      manifest
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line).status),
    ).toEqual(['succeeded', 'canceled', 'canceled', 'canceled', 'canceled']);
    expect(JSON.parse(manifest.trimEnd().split('\n')[4] ?? '')).toMatchObject({
      line: 5,
      jobId: null,
      error: {
        code: 'CANCELED',
        message: 'The batch was canceled before the job of this item was created',
      },
    });
    const events = (await h.drainEvents()).filter((event) => 'batch' in event);
    expect(events.map((event) => [event.type, event.id])).toEqual([
      ['batch.canceled', `evt_${id}_${batch.finalEvent?.sequence}`],
    ]);
  });

  it('answers a repeated cancel with 200 and nothing more to do', async () => {
    const h = createBatchHarness(tempDir(), { limits: { chunkSize: 2 } });
    const id = await batchInFlight(h);
    await h.cancel(id);

    const again = await h.cancel(id);

    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({
      canceled: { pending: 0, queued: 0, running: 0 },
      complete: true,
    });
    expect(again.json.counts).toMatchObject({ succeeded: 1, canceled: 4 });
  });

  it('refuses to cancel a completed batch with 409', async () => {
    const h = createBatchHarness(tempDir());
    const uploadId = await h.upload(await pngImage());
    const { json } = await h.create({ items: [item(uploadId)] });
    await h.runner.drain();
    await workerMoves(h, `${json.id}-1`, 'succeeded');

    const res = await h.cancel(json.id);

    expect(res.status).toBe(409);
    expect(res.json.error).toMatchObject({
      code: 'CONFLICT',
      message: `Expected an accepted or running batch to cancel but batch ${json.id} has completed; a completed batch cannot be canceled`,
      details: { id: json.id, status: 'completed' },
    });
  });

  it('hands the chunks left when its time runs out to cancel tasks, which finish the job', async () => {
    const h = createBatchHarness(tempDir(), { limits: { chunkSize: 1, cancelBudgetMs: 1 } });
    const uploadId = await h.upload(await pngImage());
    const { json } = await h.create({
      items: [1, 2, 3, 4].map((seed) => item(uploadId, { seed })),
    });
    await h.runner.drain();

    const res = await h.cancel(json.id);
    const tasksLeft = await h.taskDepth();
    await h.runner.drain();

    expect(res.status).toBe(200);
    expect(res.json.complete).toBe(false);
    expect(tasksLeft).toBeGreaterThan(0);
    expect(res.json.canceled.queued).toBe(4 - tasksLeft);
    expect(await h.batch(json.id)).toMatchObject({
      status: 'canceled',
      results: { items: 4 },
      chunks: Array(4).fill(
        expect.objectContaining({ counts: expect.objectContaining({ canceled: 1 }) }),
      ),
    });
  });

  it('records a single job canceled through /v1/edits/{id}/cancel in its batch at once', async () => {
    const h = createBatchHarness(tempDir());
    const uploadId = await h.upload(await pngImage());
    const { json } = await h.create({ items: [item(uploadId), item(uploadId)] });
    await h.runner.drain();
    await workerMoves(h, `${json.id}-2`, 'running');

    const res = await call(h.app, jsonRequest('POST', `/v1/edits/${json.id}-2/cancel`));

    expect(res.status).toBe(200);
    expect((await h.batch(json.id)).chunks[0]?.counts).toMatchObject({
      queued: 1,
      running: 0,
      canceled: 1,
    });
  });

  it('answers 404 to another owner, for the batch and its jobs, and for an id no batch can have', async () => {
    const h = createBatchHarness(tempDir());
    const uploadId = await h.upload(await pngImage());
    const { json } = await h.create({ items: [item(uploadId)] });
    await h.runner.drain();

    const cancel = await h.cancel(json.id, 'key_other');
    const get = await h.get(json.id, {}, 'key_other');
    const job = await call(h.app, {
      ...jsonRequest('GET', `/v1/edits/${json.id}-1`),
      principal: 'key_other',
    });
    const malformed = await h.get('bat_../../jobs');

    for (const res of [cancel, get, job, malformed]) {
      expect(res.status).toBe(404);
      expect(res.json.error.code).toBe('NOT_FOUND');
    }
    expect((await h.batch(json.id)).status).toBe('running');
    expect((await h.jobs.get(`${json.id}-1`))?.status).toBe('queued');
  });
});
