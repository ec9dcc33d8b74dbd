import { describe, expect, it } from 'vitest';
import type { BatchTask } from '#core/batches/batch-task.ts';
import { DependencyError } from '#core/errors.ts';
import type { JobMessage } from '#core/jobs/job-message.ts';
import type { JobQueue } from '#core/ports.ts';
import { runBatchTasksInBackground } from '#functions/api/batches/batch-task-runner.ts';
import { useTempRoot } from '../../helpers/api-harness.ts';
import { type BatchHarness, createBatchHarness, item, pngImage } from './batch-harness.ts';

const tempDir = useTempRoot('batches-fan-out');

async function setUp(options: Parameters<typeof createBatchHarness>[1] = {}) {
  const h = createBatchHarness(tempDir(), options);
  const uploadId = await h.upload(await pngImage());
  return { h, uploadId };
}

async function laneDepth(h: BatchHarness): Promise<{ interactive: number; batch: number }> {
  const depth = async (lane: 'interactive' | 'batch') => {
    const { visible, hidden } = await h.queues[lane].depth();
    return visible + hidden;
  };
  return { interactive: await depth('interactive'), batch: await depth('batch') };
}

const task = (batchId: string, chunk = 0): BatchTask => ({
  v: 1,
  kind: 'fan-out',
  batchId,
  chunk,
  traceId: 'trace_test',
});

describe('batch fan-out', () => {
  it('creates one batch-lane job per item, with the id <batchId>-<line>, through the submit use case', async () => {
    const { h, uploadId } = await setUp();
    const { json } = await h.create({
      items: [
        item(uploadId),
        item(uploadId, { steps: 9, output: { format: 'webp', quality: 70 } }),
      ],
    });

    expect(await h.runner.drain()).toBe(1);

    const job = await h.jobs.get(`${json.id}-2`);
    expect(job).toMatchObject({
      id: `${json.id}-2`,
      owner: 'anonymous',
      lane: 'batch',
      batchId: json.id,
      status: 'queued',
      parameters: { steps: 9, output: { format: 'webp', quality: 70 } },
      input: { key: `inputs/${json.id}-2`, width: 64, height: 48, format: 'png' },
    });
    expect(await laneDepth(h)).toEqual({ interactive: 0, batch: 2 });
    const [chunk] = await h.chunks(json.id);
    expect(chunk).toMatchObject({ fannedOut: true, claim: null });
    expect(chunk?.items.map((i) => [i.jobId, i.status, i.jobVersion, i.request])).toEqual([
      [`${json.id}-1`, 'queued', 1, null],
      [`${json.id}-2`, 'queued', 1, null],
    ]);
    expect(await h.batch(json.id)).toMatchObject({
      status: 'running',
      timestamps: { fannedOutAt: '2026-11-27T12:00:00.000Z' },
    });
  });

  it('creates no duplicate job or message when a fan-out task is delivered again, even at once', async () => {
    const { h, uploadId } = await setUp({ limits: { chunkSize: 2 } });
    const { json } = await h.create({ items: [item(uploadId), item(uploadId), item(uploadId)] });
    const [first, second] = await Promise.all([
      h.runner.run(task(json.id, 0)),
      h.runner.run(task(json.id, 0)),
    ]);

    await h.runner.drain();
    await h.tasks.send(task(json.id, 0));
    await h.tasks.send(task(json.id, 1));
    await h.runner.drain();

    // One of the two concurrent steps held the chunk; the other was told to come back.
    expect([first, second].map((outcome) => outcome.kind).sort()).toEqual(['again', 'done']);
    expect((await h.stored()).jobs).toHaveLength(3);
    expect(await laneDepth(h)).toEqual({ interactive: 0, batch: 3 });
    expect((await h.batch(json.id)).status).toBe('running');
  });

  it('keeps the record of a job whose message could not be sent, and sends it when the task is retried', async () => {
    let failSends = 1;
    const { h, uploadId } = await setUp({
      wrap: (deps) => ({
        ...deps,
        queues: {
          ...deps.queues,
          batch: {
            receive: (options) => deps.queues.batch.receive(options),
            send: async (message: JobMessage) => {
              if (failSends-- > 0) throw new DependencyError('queue down (test)');
              await deps.queues.batch.send(message);
            },
          } satisfies JobQueue<JobMessage>,
        },
      }),
    });
    const { json } = await h.create({ items: [item(uploadId), item(uploadId)] });

    expect(await h.runner.drain()).toBe(1);
    const afterFailure = await h.jobs.get(`${json.id}-1`);
    h.clock.advance(10_000);
    await h.runner.drain();

    expect(afterFailure).toMatchObject({ status: 'queued', version: 1 });
    expect((await h.stored()).jobs).toHaveLength(2);
    expect(await laneDepth(h)).toEqual({ interactive: 0, batch: 2 });
    expect((await h.chunks(json.id))[0]?.items.map((i) => i.status)).toEqual(['queued', 'queued']);
    expect(h.logs.some((entry) => entry.msg === 'batch task failed; it will be retried')).toBe(
      true,
    );
  });

  it('rejects, with the code of the edits route, an item whose image cannot be read when its job is made', async () => {
    const { h, uploadId } = await setUp();
    const gone = await h.upload(await pngImage());
    await h.blobs.delete(`uploads/${gone}`);
    const { json } = await h.create({
      items: [
        item(uploadId),
        { image: { url: 'https://images.example.com/a.png' }, instruction: 'x' },
        item(gone),
      ],
    });

    await h.runner.drain();

    const [chunk] = await h.chunks(json.id);
    expect(chunk?.items.map((i) => [i.status, i.error?.code ?? null])).toEqual([
      ['queued', null],
      ['rejected', 'IMAGE_FETCH_FAILED'],
      ['rejected', 'UPLOAD_NOT_FOUND'],
    ]);
    expect((await h.stored()).jobs).toEqual([`${json.id}-1.json`]);
    expect((await h.batch(json.id)).chunks[0]?.counts).toMatchObject({ queued: 1, rejected: 2 });
  });

  it('hands the rest of a chunk to a new task when a step runs out of time', async () => {
    const { h, uploadId } = await setUp({ limits: { stepBudgetMs: 1, fanOutConcurrency: 1 } });
    const { json } = await h.create({ items: [item(uploadId), item(uploadId), item(uploadId)] });
    const handled = await h.runner.drain();

    expect(handled).toBeGreaterThan(1);
    expect((await h.stored()).jobs).toHaveLength(3);
    expect(await laneDepth(h)).toEqual({ interactive: 0, batch: 3 });
    expect((await h.batch(json.id)).status).toBe('running');
  });

  it('waits for a chunk claimed by another step until its claim expires', async () => {
    const { h, uploadId } = await setUp();
    const { json } = await h.create({ items: [item(uploadId)] });
    await h.batchStore.updateChunk(json.id, 0, (chunk) => ({
      ...chunk,
      claim: { token: 'other-step', until: '2026-11-27T12:02:00.000Z' },
    }));

    const blocked = await h.runner.run(task(json.id));
    h.clock.advance(120_000);
    const taken = await h.runner.run(task(json.id));

    expect(blocked).toEqual({ kind: 'again', delaySeconds: 120 });
    expect(taken).toEqual({ kind: 'done' });
    expect((await h.stored()).jobs).toEqual([`${json.id}-1.json`]);
  });

  it('creates no job for a batch canceled before its fan-out ran', async () => {
    const { h, uploadId } = await setUp();
    const { json } = await h.create({ items: [item(uploadId), item(uploadId)] });

    const canceled = await h.cancel(json.id);
    await h.runner.drain();

    expect(canceled.json).toMatchObject({
      canceled: { pending: 2, queued: 0, running: 0 },
      complete: true,
    });
    expect((await h.stored()).jobs).toEqual([]);
    expect((await h.batch(json.id)).status).toBe('canceled');
  });

  it('fans out in the background, as local mode runs it, until stopped', async () => {
    const { h, uploadId } = await setUp();
    const loop = runBatchTasksInBackground(h.runner);

    const { json } = await h.create({ items: [item(uploadId), item(uploadId)] });
    const until = Date.now() + 10_000;
    while ((await h.batch(json.id)).status !== 'running' && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await loop.stop();

    expect((await h.batch(json.id)).status).toBe('running');
    expect((await h.stored()).jobs).toEqual([`${json.id}-1.json`, `${json.id}-2.json`]);
  });
});
