import { describe, expect, it } from 'vitest';
import { encodeCursor } from '#functions/api/batches/get-batch.ts';
import { useTempRoot } from '../../helpers/api-harness.ts';
import { createBatchHarness, item, pngImage } from './batch-harness.ts';

const tempDir = useTempRoot('batches-get');

async function fiveItems(options: Parameters<typeof createBatchHarness>[1] = {}) {
  const h = createBatchHarness(tempDir(), {
    limits: { chunkSize: 2, maxPageItems: 3 },
    ...options,
  });
  const uploadId = await h.upload(await pngImage());
  const { json } = await h.create({
    items: [1, 2, 3, 4, 5].map((seed) => item(uploadId, seed === 4 ? { steps: -1 } : { seed })),
  });
  return { h, id: json.id as string };
}

const lines = (items: readonly { line: number }[]) => items.map((entry) => entry.line);

describe('GET /v1/batches/{id}', () => {
  it('shows the batch before its fan-out: accepted, pending items, line errors, no results', async () => {
    const { h, id } = await fiveItems();

    const res = await h.get(id);

    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      id,
      status: 'accepted',
      source: 'inline',
      createdAt: '2026-11-27T12:00:00.000Z',
      fannedOutAt: null,
      completedAt: null,
      counts: { total: 5, pending: 4, rejected: 1 },
      lineErrors: { count: 1, items: [{ line: 4, code: 'INVALID_ARGUMENT' }] },
      results: null,
      webhook: null,
    });
    expect(res.json.items[0]).toEqual({
      line: 1,
      id: null,
      status: 'pending',
      error: null,
      output: null,
      links: null,
    });
  });

  it('pages through the items in line order with at most `limit` per page and an opaque cursor', async () => {
    const { h, id } = await fiveItems();
    await h.runner.drain();

    const first = await h.get(id, { limit: '2' });
    const second = await h.get(id, { limit: '2', cursor: first.json.nextCursor });
    const third = await h.get(id, { limit: '2', cursor: second.json.nextCursor });
    const whole = await h.get(id);
    const rest = await h.get(id, { cursor: encodeCursor(2) });

    expect(lines(first.json.items)).toEqual([1, 2]);
    expect(first.json.links.next).toBe(
      `/v1/batches/${id}?cursor=${encodeURIComponent(first.json.nextCursor)}`,
    );
    expect(lines(second.json.items)).toEqual([3, 4]);
    expect(lines(third.json.items)).toEqual([5]);
    expect(third.json.nextCursor).toBeNull();
    expect(third.json.links.next).toBeUndefined();
    // The page size is capped (maxPageItems 3 here, 100 by default).
    expect(lines(whole.json.items)).toEqual([1, 2, 3]);
    expect(lines(rest.json.items)).toEqual([3, 4, 5]);
    expect(second.json.items[0]).toMatchObject({
      line: 3,
      id: `${id}-3`,
      status: 'queued',
      links: { self: `/v1/edits/${id}-3` },
    });
  });

  it('refuses a limit outside 1 to the page size and a cursor it did not hand out', async () => {
    const { h, id } = await fiveItems();

    for (const query of [
      { limit: '0' },
      { limit: '4' },
      { limit: 'ten' },
      { cursor: 'bm9wZQ' },
      { cursor: encodeCursor(-1) },
    ]) {
      const res = await h.get(id, query);
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.json.error).toMatchObject({
        code: 'INVALID_ARGUMENT',
        details: { field: Object.keys(query)[0] },
      });
    }
    const atLimit = await h.get(id, { limit: '3' });
    expect(atLimit.status).toBe(200);
  });

  it('shows the job state of open items on the page and writes it into the batch when the batch lags', async () => {
    const { h, id } = await fiveItems();
    await h.runner.drain();
    // The worker moved job 1 on but could not record it in the batch.
    await h.jobs.update(`${id}-1`, (job) => ({ ...job, status: 'running', attempts: 1 }));

    const res = await h.get(id, { limit: '1' });

    expect(res.json.items[0]).toMatchObject({ line: 1, status: 'running' });
    expect(res.json.counts).toMatchObject({ running: 1, queued: 3 });
    const [chunk] = await h.chunks(id);
    expect(chunk?.items[0]).toMatchObject({ status: 'running', jobVersion: 2 });
  });
});
