import { describe, expect, it } from 'vitest';
import { batchResultsKey } from '#core/batches/batch-keys.ts';
import { ValidationError } from '#core/errors.ts';
import type { JobMessage } from '#core/jobs/job-message.ts';
import { backoffSeconds } from '#runtime/worker/backoff.ts';
import { withBatchProgress } from '#runtime/worker/batch-progress.ts';
import { processLease } from '#runtime/worker/process-lease.ts';
import { useTempRoot } from '../../helpers/api-harness.ts';
import {
  type BatchHarness,
  createBatchHarness,
  FAKE_MODEL,
  fakeEngine,
  item,
  pngImage,
} from './batch-harness.ts';

const tempDir = useTempRoot('batches-e2e');

/** The worker: every message on the batch lane through processLease, with batch tracking. */
async function runWorker(h: BatchHarness, engine = fakeEngine()): Promise<number> {
  const events = withBatchProgress(h.events, h.tracker);
  let handled = 0;
  for (;;) {
    const [lease] = await h.queues.batch.receive({
      maxMessages: 1,
      waitSeconds: 0,
      leaseSeconds: 30,
    });
    if (lease === undefined) return handled;
    await processLease(lease, {
      store: h.jobs,
      blobs: h.blobs,
      events,
      engine,
      model: FAKE_MODEL,
      now: h.clock.now,
      settings: {
        leaseSeconds: 30,
        maxAttempts: 3,
        progressIntervalMs: 1000,
        backoffSeconds: (attempt) => backoffSeconds(attempt, () => 0.5),
      },
    });
    handled += 1;
  }
}

describe('a batch from request to results manifest', () => {
  it('runs every good item on the batch lane, ends completed, and writes one result line per item', async () => {
    const h = createBatchHarness(tempDir());
    const uploadId = await h.upload(await pngImage());
    const engine = fakeEngine((request) =>
      request.instruction === 'refuse me'
        ? new ValidationError('INVALID_IMAGE', 'Refused by the fake engine')
        : undefined,
    );
    const created = await h.create({
      items: [
        item(uploadId),
        item(uploadId, { steps: 'many' }),
        item(uploadId, { output: { format: 'jpeg', quality: 90 } }),
        item(uploadId, { instruction: 'refuse me' }),
        item(uploadId, { seed: 5 }),
      ],
      webhook: { url: 'https://hooks.example.com/batches' },
    });
    const id: string = created.json.id;

    await h.runner.drain();
    expect(await runWorker(h, engine)).toBe(4);

    const batch = await h.batch(id);
    expect(batch).toMatchObject({
      status: 'completed',
      results: { key: batchResultsKey(id), items: 5 },
      finalEvent: { type: 'batch.completed', published: true },
      timestamps: { completedAt: '2026-11-27T12:00:00.000Z' },
    });
    const manifest = new TextDecoder().decode((await h.blobs.get(batchResultsKey(id))).body);
    const lines = manifest
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual([
      {
        line: 1,
        jobId: `${id}-1`,
        status: 'succeeded',
        output: { key: `outputs/${id}-1.png`, width: 32, height: 24, format: 'png' },
        error: null,
        links: { self: `/v1/edits/${id}-1` },
      },
      {
        line: 2,
        jobId: null,
        status: 'rejected',
        output: null,
        error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('"steps"') },
        links: null,
      },
      {
        line: 3,
        jobId: `${id}-3`,
        status: 'succeeded',
        output: { key: `outputs/${id}-3.jpg`, width: 32, height: 24, format: 'jpeg' },
        error: null,
        links: { self: `/v1/edits/${id}-3` },
      },
      {
        line: 4,
        jobId: `${id}-4`,
        status: 'failed',
        output: null,
        error: { code: 'INVALID_IMAGE', message: 'Refused by the fake engine' },
        links: { self: `/v1/edits/${id}-4` },
      },
      expect.objectContaining({ line: 5, status: 'succeeded' }),
    ]);

    const view = await h.get(id);
    expect(view.status).toBe(200);
    expect(view.json).toMatchObject({
      status: 'completed',
      counts: { total: 5, succeeded: 3, failed: 1, rejected: 1, queued: 0, running: 0, pending: 0 },
      results: { url: expect.stringContaining(`/local-blobs/${batchResultsKey(id)}`), items: 5 },
      nextCursor: null,
    });
    expect(view.json.items[0]).toMatchObject({
      line: 1,
      id: `${id}-1`,
      status: 'succeeded',
      output: {
        url: expect.stringContaining(`outputs/${id}-1.png`),
        width: 32,
        height: 24,
        format: 'png',
      },
      links: { self: `/v1/edits/${id}-1` },
    });

    const events = await h.drainEvents();
    const batchEvents = events.filter((event) => 'batch' in event);
    expect(batchEvents).toEqual([
      {
        v: 1,
        id: `evt_${id}_${batch.finalEvent?.sequence}`,
        type: 'batch.completed',
        occurredAt: '2026-11-27T12:00:00.000Z',
        batch: {
          id,
          owner: 'anonymous',
          webhook: {
            url: 'https://hooks.example.com/batches',
            events: ['batch.completed', 'batch.canceled'],
          },
        },
        data: expect.objectContaining({
          status: 'completed',
          items: 5,
          lineErrors: 1,
          counts: expect.objectContaining({ succeeded: 3, failed: 1, rejected: 1 }),
          links: { self: `/v1/batches/${id}` },
        }),
      },
    ]);
    expect(
      events.filter((event) => 'job' in event && event.type === 'edit.succeeded'),
    ).toHaveLength(3);
  });

  it('tracks a redelivered job message without counting it twice or ending the batch again', async () => {
    const h = createBatchHarness(tempDir());
    const uploadId = await h.upload(await pngImage());
    const { json } = await h.create({ items: [item(uploadId), item(uploadId)] });
    await h.runner.drain();
    await runWorker(h);
    const ended = await h.batch(json.id);
    await h.drainEvents();

    const duplicate: JobMessage = { v: 1, jobId: `${json.id}-1`, lane: 'batch', traceId: 'again' };
    await h.queues.batch.send(duplicate);
    await runWorker(h);

    expect(await h.batch(json.id)).toEqual(ended);
    const events = await h.drainEvents();
    expect(events.map((event) => [event.id, event.type])).toEqual([
      [`evt_${json.id}-1_4`, 'edit.succeeded'],
    ]);
  });

  it('keeps a job message for a retry when its batch cannot be written, and catches up then', async () => {
    const h = createBatchHarness(tempDir());
    const uploadId = await h.upload(await pngImage());
    const { json } = await h.create({ items: [item(uploadId)] });
    await h.runner.drain();
    const realUpdate = h.batchStore.updateChunk.bind(h.batchStore);
    let failures = 2;
    h.batchStore.updateChunk = async (...args) => {
      if (failures-- > 0)
        throw new (await import('#core/errors.ts')).DependencyError('store down (test)');
      return realUpdate(...args);
    };

    await runWorker(h);
    const stuck = await h.batch(json.id);
    h.clock.advance(60_000);
    await runWorker(h);

    expect(stuck.status).toBe('running');
    expect((await h.jobs.get(`${json.id}-1`))?.status).toBe('succeeded');
    expect(await h.batch(json.id)).toMatchObject({
      status: 'completed',
      finalEvent: { published: true },
    });
  });
});
