import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchItem } from '#client/batch-types.ts';
import { VibeClient } from '#client/vibe-client.ts';
import { type LocalService, startLocalService } from './helpers/local-service.ts';

let service: LocalService;
let client: VibeClient;
let uploadId: string;
/** Set by a test to hold the engine before it runs a job. */
let gate: Promise<void> | undefined;

beforeAll(async () => {
  service = await startLocalService({ stepMs: 5, beforeRun: () => gate ?? Promise.resolve() });
  client = new VibeClient({ baseUrl: service.url, apiKey: service.apiKey });
  uploadId = (await client.upload(new Uint8Array(await readFile('test/fixtures/sample/photo.jpg'))))
    .uploadId;
});

afterAll(() => service.close());

describe('VibeClient batches against the local server', () => {
  it('creates an inline batch, waits for it, pages its items and reads its results', async () => {
    const accepted = await client.batches.create({
      items: [
        { image: { uploadId }, instruction: 'make it winter' },
        { image: { uploadId }, seed: 5 },
        { image: { uploadId }, steps: 0 },
      ],
      defaults: { instruction: 'add a hat', steps: 2 },
    });
    const seen: number[] = [];

    const batch = await client.batches.wait(accepted.id, {
      pollIntervalMs: 50,
      onProgress: (current) => seen.push(current.counts.succeeded),
    });
    const items: BatchItem[] = [];
    for await (const item of client.batches.items(batch.id)) items.push(item);
    const results = (await client.batches.results(batch))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));

    expect(accepted).toMatchObject({ items: 3, accepted: 2, lineErrors: { count: 1 } });
    expect(accepted.lineErrors.items[0]).toMatchObject({ line: 3, code: 'INVALID_ARGUMENT' });
    expect(batch).toMatchObject({
      status: 'completed',
      counts: { total: 3, succeeded: 2, rejected: 1 },
      results: { items: 3 },
    });
    expect(items.map((item) => [item.line, item.status])).toEqual([
      [1, 'succeeded'],
      [2, 'succeeded'],
      [3, 'rejected'],
    ]);
    expect(items[0]?.output).toMatchObject({ width: 640, height: 480, format: 'png' });
    expect(results).toHaveLength(3);
    expect(seen.at(-1)).toBe(2);
  });

  it('cancels a batch: no item starts after that', async () => {
    let release = () => {};
    gate = new Promise<void>((resolve) => {
      release = () => {
        gate = undefined;
        resolve();
      };
    });
    const accepted = await client.batches.create({
      items: Array.from({ length: 4 }, () => ({ image: { uploadId }, instruction: 'x', steps: 1 })),
    });

    const canceled = await client.batches.cancel(accepted.id);
    release();
    const batch = await client.batches.wait(accepted.id, { pollIntervalMs: 50 });

    expect(canceled).toMatchObject({ id: accepted.id, status: 'canceled' });
    expect(batch.status).toBe('canceled');
    expect(batch.counts.succeeded).toBeLessThanOrEqual(1);
    await expect(client.batches.get('bat_00000000000000000000000000000000')).rejects.toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
    });
  });
});
