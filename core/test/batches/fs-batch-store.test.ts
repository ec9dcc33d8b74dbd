import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchFactory } from '#core/batches/batch-factory.ts';
import type { BatchChunk } from '#core/batches/batch-record.ts';
import { describeBatchStoreContract } from '#core/batches/batch-store-contract.ts';
import { FsBatchStore } from '#core/batches/fs-batch-store.ts';
import { useTempRoot } from '../helpers/temp-dir.ts';

const newDir = useTempRoot('batches');

describeBatchStoreContract('FsBatchStore', async () => new FsBatchStore({ root: newDir() }));

describe('FsBatchStore', () => {
  it('stores batches/<id>.json and batches/<id>/chunks/<n>.json, no temporary or lock files', async () => {
    const root = newDir();
    const store = new FsBatchStore({ root });
    const { batch, chunks } = batchFactory({ items: 3, chunkSize: 2 });

    for (const chunk of chunks) await store.createChunk(chunk);
    await store.create(batch);
    await store.update(batch.id, (current) => ({ ...current, status: 'running' }));
    await store.updateChunk(batch.id, 1, (chunk) => ({ ...chunk, fannedOut: true }));

    expect(await readdir(join(root, 'batches'))).toEqual([batch.id, `${batch.id}.json`]);
    expect(await readdir(join(root, 'batches', batch.id, 'chunks'))).toEqual(['0.json', '1.json']);
  });

  it('serializes racing chunk updates of two instances on one folder without losing any', async () => {
    const root = newDir();
    const [a, b] = [new FsBatchStore({ root }), new FsBatchStore({ root })];
    const { batch, chunks } = batchFactory({ items: 4 });
    await a.createChunk(chunks[0] as BatchChunk);

    const queue = (store: FsBatchStore, line: number) =>
      store.updateChunk(batch.id, 0, (chunk) => ({
        ...chunk,
        items: chunk.items.map((item) =>
          item.line === line ? { ...item, status: 'queued' as const, jobVersion: 1 } : item,
        ),
      }));
    await Promise.all([queue(a, 1), queue(b, 2), queue(a, 3), queue(b, 4)]);

    expect(await b.getChunk(batch.id, 0)).toMatchObject({
      version: 5,
      items: [
        { status: 'queued' },
        { status: 'queued' },
        { status: 'queued' },
        { status: 'queued' },
      ],
    });
  });

  it('reports an unreadable record as a retryable DependencyError', async () => {
    const root = newDir();
    const store = new FsBatchStore({ root });
    const { batch } = batchFactory();
    await store.create(batch);
    await writeFile(join(root, 'batches', `${batch.id}.json`), '{"id": 1');

    await expect(store.get(batch.id)).rejects.toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
      retryable: true,
    });
  });
});
