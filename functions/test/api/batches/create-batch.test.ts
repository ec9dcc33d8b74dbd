import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempRoot } from '../../helpers/api-harness.ts';
import { type BatchHarness, createBatchHarness, item, pngImage } from './batch-harness.ts';

const tempDir = useTempRoot('batches-create');

async function withUpload(options: Parameters<typeof createBatchHarness>[1] = {}) {
  const h = createBatchHarness(tempDir(), options);
  const uploadId = await h.upload(await pngImage());
  return { h, uploadId };
}

async function batchFiles(h: BatchHarness): Promise<string[]> {
  try {
    return await readdir(join(h.root, 'store', 'batches'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

describe('POST /v1/batches (inline items)', () => {
  it('accepts the good items, reports the broken ones by line, and creates no job in the request', async () => {
    const { h, uploadId } = await withUpload();

    const res = await h.create({
      items: [
        item(uploadId),
        item(uploadId, { colour: 'blue' }),
        item(uploadId, { steps: 7 }),
        item(uploadId, { steps: 500 }),
        item(uploadId, { seed: 3 }),
      ],
    });

    expect(res.status).toBe(202);
    const id = 'bat_00000000000000000000000000000001';
    expect(res.headers.location).toBe(`/v1/batches/${id}`);
    expect(res.json).toMatchObject({
      id,
      status: 'accepted',
      items: 5,
      accepted: 3,
      lineErrors: {
        count: 2,
        items: [
          {
            line: 2,
            code: 'INVALID_ARGUMENT',
            message: expect.stringContaining('unknown field "colour"'),
          },
          { line: 4, code: 'INVALID_ARGUMENT', message: expect.stringMatching(/"steps".*500/) },
        ],
      },
      links: { self: `/v1/batches/${id}`, cancel: `/v1/batches/${id}/cancel` },
    });
    const [chunk] = await h.chunks(id);
    expect(chunk?.items.map((i) => [i.line, i.status])).toEqual([
      [1, 'pending'],
      [2, 'rejected'],
      [3, 'pending'],
      [4, 'rejected'],
      [5, 'pending'],
    ]);
    expect(chunk?.items[2]?.request).toEqual(item(uploadId, { steps: 7 }));
    expect(await h.taskDepth()).toBe(1);
    expect((await h.stored()).jobs).toEqual([]);
  });

  it('applies defaults under each item, item fields first, and refuses a "lane" other than batch', async () => {
    const { h, uploadId } = await withUpload();

    const res = await h.create({
      defaults: {
        instruction: 'make it autumn',
        steps: 8,
        output: { format: 'jpeg', quality: 80 },
      },
      items: [
        { image: { uploadId } },
        { image: { uploadId }, instruction: 'make it winter', output: { format: 'png' } },
        { image: { uploadId }, lane: 'interactive' },
        { image: { uploadId }, lane: 'batch' },
      ],
    });

    expect(res.status).toBe(202);
    const [chunk] = await h.chunks(res.json.id);
    expect(chunk?.items.map((i) => i.request)).toEqual([
      {
        instruction: 'make it autumn',
        steps: 8,
        output: { format: 'jpeg', quality: 80 },
        image: { uploadId },
      },
      { instruction: 'make it winter', steps: 8, output: { format: 'png' }, image: { uploadId } },
      null,
      {
        instruction: 'make it autumn',
        steps: 8,
        output: { format: 'jpeg', quality: 80 },
        image: { uploadId },
      },
    ]);
    expect(chunk?.items[2]?.error).toEqual({
      code: 'INVALID_ARGUMENT',
      message:
        'Expected no "lane" in item 3 (batch items run on the batch lane) but received "interactive"',
    });
  });

  it('takes 100 inline items and refuses 101 with 413, storing nothing', async () => {
    const { h, uploadId } = await withUpload();

    const atLimit = await h.create({ items: Array.from({ length: 100 }, () => item(uploadId)) });
    const beyond = await h.create({ items: Array.from({ length: 101 }, () => item(uploadId)) });

    expect(atLimit.status).toBe(202);
    expect(atLimit.json).toMatchObject({ items: 100, accepted: 100 });
    expect(beyond.status).toBe(413);
    expect(beyond.json.error).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      message: expect.stringContaining('Expected at most 100 inline items but received 101'),
      details: { maxItems: 100, items: 101 },
    });
    expect(await batchFiles(h)).toHaveLength(2);
  });

  it('refuses a batch whose items are all broken with 400 and the line errors, storing nothing', async () => {
    const { h, uploadId } = await withUpload();

    const res = await h.create({
      items: [item(uploadId, { steps: 0 }), 'not an object', { image: { uploadId } }],
    });

    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: {
        lineErrorCount: 3,
        lineErrors: [
          { line: 1, code: 'INVALID_ARGUMENT' },
          {
            line: 2,
            code: 'INVALID_ARGUMENT',
            message: 'Expected item 2 to be a JSON object (one edit) but received "not an object"',
          },
          { line: 3, code: 'INVALID_INSTRUCTION' },
        ],
      },
    });
    expect(await batchFiles(h)).toEqual([]);
    expect(await h.taskDepth()).toBe(0);
  });

  it('refuses a malformed body as a whole: neither or both sources, bad defaults, bad webhook', async () => {
    const { h, uploadId } = await withUpload();
    const items = [item(uploadId)];

    const cases = [
      [{}, /exactly one of "items".*received neither/],
      [{ items, manifest: { uploadId } }, /exactly one of "items".*received both/],
      [{ items: [] }, /at least one edit/],
      [{ items, extra: 1 }, /unknown "extra"/],
      [{ items, defaults: { image: { uploadId } } }, /in "defaults" but received unknown "image"/],
      [
        { items, defaults: { steps: 0 } },
        /Expected "defaults" to hold valid edit fields but: .*"steps"/,
      ],
      [{ items, webhook: { url: 'http://example.com/hook' } }, /"webhook.url"/],
      [
        { items, webhook: { url: 'https://example.com/hook', events: ['edit.succeeded'] } },
        /"webhook.events"/,
      ],
    ] as const;
    for (const [body, message] of cases) {
      const res = await h.create(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error).toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(message),
      });
    }
    expect(await batchFiles(h)).toEqual([]);
  });

  it("checks an item's own webhook URL with its other fields", async () => {
    const { h, uploadId } = await withUpload();

    const res = await h.create({
      items: [
        item(uploadId, { webhook: { url: 'https://hooks.example.com/item' } }),
        item(uploadId, { webhook: { url: 'https://169.254.169.254/latest' } }),
      ],
    });

    expect(res.status).toBe(202);
    expect(res.json.lineErrors.items).toEqual([
      { line: 2, code: 'INVALID_ARGUMENT', message: expect.stringContaining('"webhook.url"') },
    ]);
  });

  it('stores the webhook with its default events', async () => {
    const { h, uploadId } = await withUpload();

    const res = await h.create({
      items: [item(uploadId)],
      webhook: { url: 'https://hooks.example.com/vibe' },
    });

    expect((await h.batch(res.json.id)).webhook).toEqual({
      url: 'https://hooks.example.com/vibe',
      events: ['batch.completed', 'batch.canceled'],
    });
  });

  it('needs a JSON body (415 otherwise)', async () => {
    const { h } = await withUpload();

    const res = await h.create(undefined, undefined, { 'content-type': 'text/plain' });

    expect(res.status).toBe(415);
    expect(res.json.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers 404 with a reason when the server has no batch store', async () => {
    const h = createBatchHarness(tempDir(), { disabled: true });

    const res = await h.create({ items: [] });

    expect(res.status).toBe(404);
    expect(res.json.error).toMatchObject({ code: 'NOT_FOUND', details: { feature: 'batches' } });
  });

  it('replays the first answer for the same Idempotency-Key and body', async () => {
    const { h, uploadId } = await withUpload();
    const body = { items: [item(uploadId)] };

    const first = await h.create(body, undefined, { 'idempotency-key': 'batch-1' });
    const again = await h.create(body, undefined, { 'idempotency-key': 'batch-1' });

    expect(again.status).toBe(202);
    expect(again.json.id).toBe(first.json.id);
    expect(await batchFiles(h)).toHaveLength(2);
  });
});
