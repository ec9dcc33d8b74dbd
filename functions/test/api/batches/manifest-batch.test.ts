import { describe, expect, it } from 'vitest';
import { useTempRoot } from '../../helpers/api-harness.ts';
import { createBatchHarness, item, pngImage } from './batch-harness.ts';

const tempDir = useTempRoot('batches-manifest');

async function setUp(options: Parameters<typeof createBatchHarness>[1] = {}) {
  const h = createBatchHarness(tempDir(), options);
  const uploadId = await h.upload(await pngImage());
  return { h, uploadId };
}

/** A valid manifest line padded with spaces (valid JSON) to exactly `bytes` bytes. */
function lineOfBytes(uploadId: string, bytes: number): string {
  const json = JSON.stringify(item(uploadId));
  return `${json.slice(0, -1)}${' '.repeat(bytes - json.length)}}`;
}

describe('POST /v1/batches (manifest)', () => {
  it('reports each broken line with its number and code, and runs the good lines', async () => {
    const { h, uploadId } = await setUp();
    const manifestId = await h.manifest([
      item(uploadId),
      '{"image": {"uploadId": "x"}, "instruction": ',
      item(uploadId, { colour: 'blue' }),
      { instruction: 'make it winter' },
      '   ',
      item(uploadId, { steps: 500 }),
      '[1, 2]',
      item(uploadId, { instruction: '   ' }),
      item(uploadId, { lane: 'interactive' }),
      '',
      item(uploadId, { seed: 9 }),
    ]);

    const res = await h.create({ manifest: { uploadId: manifestId } });

    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ items: 9, accepted: 2, lineErrors: { count: 7 } });
    expect(
      res.json.lineErrors.items.map((e: { line: number; code: string }) => [e.line, e.code]),
    ).toEqual([
      [2, 'INVALID_ARGUMENT'],
      [3, 'INVALID_ARGUMENT'],
      [4, 'INVALID_ARGUMENT'],
      [6, 'INVALID_ARGUMENT'],
      [7, 'INVALID_ARGUMENT'],
      [8, 'INVALID_INSTRUCTION'],
      [9, 'INVALID_ARGUMENT'],
    ]);
    const messages = res.json.lineErrors.items.map((e: { message: string }) => e.message);
    expect(messages[0]).toMatch(/^Expected line 2 to be one JSON object but it does not parse: /);
    expect(messages[1]).toMatch(/unknown field "colour"/);
    expect(messages[2]).toMatch(/"image"/);
    expect(messages[3]).toMatch(/"steps".*500/);
    expect(messages[4]).toBe(
      'Expected item 7 to be a JSON object (one edit) but received an array of length 2',
    );

    expect(await h.runner.drain()).toBe(1);
    const jobs = (await h.stored()).jobs;
    expect(jobs).toEqual([`${res.json.id}-1.json`, `${res.json.id}-11.json`]);
    const view = await h.get(res.json.id);
    expect(view.json.status).toBe('running');
    expect(view.json.counts).toMatchObject({ total: 9, queued: 2, rejected: 7, pending: 0 });
    expect(
      view.json.items.map((i: { line: number; status: string }) => [i.line, i.status]),
    ).toEqual([
      [1, 'queued'],
      [2, 'rejected'],
      [3, 'rejected'],
      [4, 'rejected'],
      [6, 'rejected'],
      [7, 'rejected'],
      [8, 'rejected'],
      [9, 'rejected'],
      [11, 'queued'],
    ]);
  });

  it('accepts CRLF endings and a byte order mark, and refuses a line that is not UTF-8', async () => {
    const { h, uploadId } = await setUp();
    const good = JSON.stringify(item(uploadId));
    const bytes = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(`${good}\r\n`),
      Buffer.from([0x7b, 0xff, 0x7d, 0x0d, 0x0a]),
      Buffer.from(`${good}\r\n`),
    ]);
    const manifestId = await h.upload(bytes, 'application/x-ndjson');

    const res = await h.create({ manifest: { uploadId: manifestId } });

    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ items: 3, accepted: 2 });
    expect(res.json.lineErrors.items).toEqual([
      {
        line: 2,
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/^Expected line 2 to be UTF-8 text/),
      },
    ]);
  });

  it('takes a line of 16 KiB and refuses one of 16 KiB + 1 byte as a line error', async () => {
    const { h, uploadId } = await setUp();
    const manifestId = await h.manifest([
      lineOfBytes(uploadId, 16_384),
      lineOfBytes(uploadId, 16_385),
    ]);

    const res = await h.create({ manifest: { uploadId: manifestId } });

    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ items: 2, accepted: 1 });
    expect(res.json.lineErrors.items).toEqual([
      {
        line: 2,
        code: 'PAYLOAD_TOO_LARGE',
        message:
          'Expected a manifest line of at most 16384 bytes but line 2 has 16385; reference large images by "uploadId" or "url"',
      },
    ]);
  });

  it('takes as many items as allowed and refuses one more with 413 (blank lines do not count)', async () => {
    const { h, uploadId } = await setUp({ limits: { maxManifestItems: 3 } });
    const atLimit = await h.manifest([item(uploadId), '', item(uploadId), ' ', item(uploadId), '']);
    const beyond = await h.manifest([
      item(uploadId),
      item(uploadId),
      item(uploadId),
      item(uploadId),
    ]);

    const ok = await h.create({ manifest: { uploadId: atLimit } });
    const refused = await h.create({ manifest: { uploadId: beyond } });

    expect(ok.status).toBe(202);
    expect(ok.json.items).toBe(3);
    expect(refused.status).toBe(413);
    expect(refused.json.error).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      message: expect.stringMatching(
        /^Expected a manifest of at most 3 edits \(non-blank lines\) but it has more \(line 4 is edit 4\)/,
      ),
      details: { maxItems: 3, line: 4 },
    });
  });

  it('takes a manifest at the byte limit and refuses one byte more with 413', async () => {
    const { h, uploadId } = await setUp({ limits: { maxManifestBytes: 2000 } });
    const line = JSON.stringify(item(uploadId));
    const atLimit = new TextEncoder().encode(`${line}\n${' '.repeat(2000 - line.length - 1)}`);
    const beyond = new TextEncoder().encode(`${line}\n${' '.repeat(2000 - line.length)}`);
    const okId = await h.upload(atLimit, 'application/x-ndjson');
    const bigId = await h.upload(beyond, 'application/x-ndjson');

    const ok = await h.create({ manifest: { uploadId: okId } });
    const refused = await h.create({ manifest: { uploadId: bigId } });

    expect(atLimit.byteLength).toBe(2000);
    expect(ok.status).toBe(202);
    expect(refused.status).toBe(413);
    expect(refused.json.error).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      message: `Expected a manifest of at most 2000 bytes but upload ${bigId} holds 2001; split it into several batches`,
      details: { bytes: 2001, maxBytes: 2000 },
    });
  });

  it('refuses a manifest over the default 16 MiB with 413 before reading it', async () => {
    const { h } = await setUp();
    const manifestId = await h.upload(
      new Uint8Array(16 * 1024 * 1024 + 1).fill(0x20),
      'application/x-ndjson',
    );

    const res = await h.create({ manifest: { uploadId: manifestId } });

    expect(res.status).toBe(413);
    expect(res.json.error.details).toEqual({
      uploadId: manifestId,
      bytes: 16_777_217,
      maxBytes: 16_777_216,
    });
  });

  it('stores 10,000 lines in one request as 100 chunks and 100 fan-out tasks, with no job yet', async () => {
    const { h, uploadId } = await setUp();
    const lines = Array.from({ length: 10_000 }, (_, i) => item(uploadId, { seed: i }));
    const manifestId = await h.manifest(lines);
    const tooMany = await h.manifest([...lines, item(uploadId)]);

    const started = Date.now();
    const res = await h.create({ manifest: { uploadId: manifestId } });
    const elapsedMs = Date.now() - started;
    const refused = await h.create({ manifest: { uploadId: tooMany } });

    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ items: 10_000, accepted: 10_000, status: 'accepted' });
    const batch = await h.batch(res.json.id);
    expect(batch.chunks).toHaveLength(100);
    expect(batch.chunks[99]).toMatchObject({ firstLine: 9901, lastLine: 10_000, items: 100 });
    expect(await h.taskDepth()).toBe(100);
    expect((await h.stored()).jobs).toEqual([]);
    // The request does no per-item I/O: far below API Gateway's 29 s even on a slow CI machine.
    expect(elapsedMs).toBeLessThan(20_000);
    expect(refused.status).toBe(413);
    expect(refused.json.error.details).toEqual({ maxItems: 10_000, line: 10_001 });
  });

  it('refuses a manifest upload id of another key and a malformed one; images are checked per owner', async () => {
    const { h, uploadId } = await setUp();
    const theirs = await h.upload(
      new TextEncoder().encode(`${JSON.stringify(item(uploadId))}\n`),
      'application/x-ndjson',
      'key_other',
    );
    const ticket = await h.create({ manifest: { uploadId: theirs } }, 'key_other');

    const foreign = await h.create({ manifest: { uploadId: theirs } });
    const malformed = await h.create({ manifest: { uploadId: 'upl_nope' } });

    // Their manifest is theirs; the image upload it names is ours: refused when its job is made.
    expect(ticket.status).toBe(202);
    await h.runner.drain();
    const [chunk] = await h.chunks(ticket.json.id);
    expect(chunk?.items[0]).toMatchObject({
      status: 'rejected',
      jobId: null,
      error: { code: 'UPLOAD_NOT_FOUND' },
    });
    expect(foreign.status).toBe(404);
    expect(foreign.json.error.code).toBe('UPLOAD_NOT_FOUND');
    expect(malformed.status).toBe(400);
    expect(malformed.json.error.details).toEqual({ field: 'manifest.uploadId' });
  });
});
