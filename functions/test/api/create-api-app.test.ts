import { describe, expect, it } from 'vitest';
import { outputKey } from '#core/jobs/storage-keys.ts';
import { verifySignedBlobUrl } from '#core/local/signed-blob-url.ts';
import {
  call,
  createHarness,
  type Harness,
  imageFile,
  jsonRequest,
  multipartRequest,
  SIGNING_SECRET,
  START,
  useTempRoot,
} from '../helpers/api-harness.ts';
import { jpegImage, pngImage, toDataUri } from '../helpers/images.ts';

const tempDir = useTempRoot('app');

async function submitPng(h: Harness, fields: Record<string, unknown> = {}) {
  const image = { dataUri: toDataUri(await pngImage(64, 48)) };
  return call(
    h.app,
    jsonRequest('POST', '/v1/edits', { image, instruction: 'make it winter', ...fields }),
  );
}

/** Plays the worker: queued -> running (-> succeeded with an output). */
async function runJob(h: Harness, id: string, finish: boolean) {
  const started = new Date(START + 1500).toISOString();
  await h.jobs.update(id, (job) => ({
    ...job,
    status: 'running',
    attempts: 1,
    timestamps: { ...job.timestamps, startedAt: started },
    progress: { step: 3, steps: 20 },
  }));
  if (!finish) return;
  const key = outputKey(id, 'png');
  await h.blobs.put(key, await pngImage(64, 48), { contentType: 'image/png' });
  await h.jobs.update(id, (job) => ({
    ...job,
    status: 'succeeded',
    output: { key, width: 64, height: 48, format: 'png' },
    progress: { step: 20, steps: 20 },
    metrics: { queueMs: 1500, inferenceMs: 900, totalMs: 2600 },
    timestamps: { ...job.timestamps, completedAt: new Date(START + 2600).toISOString() },
  }));
}

describe('createApiApp', () => {
  it('answers GET /healthz with ok and a request id', async () => {
    const h = createHarness(tempDir());

    const res = await call(h.app, jsonRequest('GET', '/healthz'));

    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'ok', time: '2026-11-27T12:00:00.000Z' });
    expect(res.headers['x-request-id']).toMatch(/^req_\d+$/);
  });

  it('answers 404 NOT_FOUND for an unknown path and 405 with Allow for a wrong method', async () => {
    const h = createHarness(tempDir());

    const missing = await call(h.app, jsonRequest('GET', '/v2/edits'));
    const wrong = await call(h.app, jsonRequest('DELETE', '/v1/edits'));

    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatchObject({
      code: 'NOT_FOUND',
      requestId: missing.headers['x-request-id'],
    });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('POST');
    expect(wrong.json.error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('accepts a JSON edit with a data URI: stores the input, the queued record and the message, in that order', async () => {
    const h = createHarness(tempDir(), {
      config: { model: { name: 'vibe', version: '1', synthetic: true } },
    });
    const png = await pngImage(64, 48);

    const res = await submitPng(h);

    expect(res.status).toBe(202);
    expect(res.json).toEqual({
      id: 'job_0002',
      status: 'queued',
      createdAt: '2026-11-27T12:00:00.000Z',
      links: { self: '/v1/edits/job_0002', cancel: '/v1/edits/job_0002/cancel' },
    });
    expect(res.headers.location).toBe('/v1/edits/job_0002');
    const record = await h.jobs.get('job_0002');
    expect(record).toMatchObject({
      status: 'queued',
      lane: 'interactive',
      owner: 'anonymous',
      instruction: 'make it winter',
      parameters: {
        steps: 20,
        guidanceScale: 4.5,
        imageGuidanceScale: 1.2,
        seed: 42,
        sizeMode: 'aligned',
        output: { format: 'png' },
      },
      input: { key: 'inputs/job_0002', width: 64, height: 48, format: 'png' },
      model: { name: 'vibe', version: '1', synthetic: true },
      version: 1,
    });
    const stored = await h.blobs.get('inputs/job_0002');
    expect(Buffer.from(stored.body).equals(Buffer.from(png))).toBe(true);
    expect(stored.contentType).toBe('image/png');
    const [lease] = await h.queues.interactive.receive({
      maxMessages: 1,
      waitSeconds: 0,
      leaseSeconds: 30,
    });
    expect(lease?.message).toEqual({
      v: 1,
      jobId: 'job_0002',
      lane: 'interactive',
      traceId: res.headers['x-request-id'],
    });
    const [event] = await h.eventQueue.receive({
      maxMessages: 1,
      waitSeconds: 0,
      leaseSeconds: 30,
    });
    expect(event?.message).toMatchObject({ id: 'evt_job_0002_1', type: 'edit.queued' });
  });

  it('applies the given parameters and sends a batch job to the batch queue', async () => {
    const h = createHarness(tempDir());

    const res = await submitPng(h, {
      lane: 'batch',
      steps: 8,
      guidanceScale: 0,
      imageGuidanceScale: 2.5,
      seed: 7,
      sizeMode: 'parity',
      output: { format: 'webp', quality: 80 },
    });

    expect(res.status).toBe(202);
    expect((await h.jobs.get(res.json.id))?.parameters).toEqual({
      steps: 8,
      guidanceScale: 0,
      imageGuidanceScale: 2.5,
      seed: 7,
      sizeMode: 'parity',
      output: { format: 'webp', quality: 80 },
    });
    expect(await h.queues.batch.depth()).toEqual({ visible: 1, hidden: 0 });
    expect(await h.queues.interactive.depth()).toEqual({ visible: 0, hidden: 0 });
  });

  it('accepts a multipart edit with an image file part and text fields', async () => {
    const h = createHarness(tempDir());
    const form = new FormData();
    form.append('image', imageFile(await jpegImage(80, 40), 'cat.jpg', 'image/jpeg'));
    form.append('instruction', '  add a hat\n');
    form.append('steps', '12');
    form.append('seed', '');
    form.append('output.format', 'jpeg');
    form.append('output.quality', '70');

    const res = await call(h.app, await multipartRequest('/v1/edits', form));

    expect(res.status).toBe(202);
    const record = await h.jobs.get(res.json.id);
    expect(record).toMatchObject({
      instruction: 'add a hat',
      parameters: { steps: 12, seed: 42, output: { format: 'jpeg', quality: 70 } },
      input: { width: 80, height: 40, format: 'jpeg' },
    });
  });

  it('records the EXIF-oriented size in aligned mode and the stored size in parity mode', async () => {
    const h = createHarness(tempDir());
    const rotated = { dataUri: toDataUri(await jpegImage(80, 40, 6), 'image/jpeg') };

    const aligned = await call(
      h.app,
      jsonRequest('POST', '/v1/edits', { image: rotated, instruction: 'x' }),
    );
    const parity = await call(
      h.app,
      jsonRequest('POST', '/v1/edits', { image: rotated, instruction: 'x', sizeMode: 'parity' }),
    );

    expect((await h.jobs.get(aligned.json.id))?.input).toMatchObject({ width: 40, height: 80 });
    expect((await h.jobs.get(parity.json.id))?.input).toMatchObject({ width: 80, height: 40 });
  });

  it('shows a queued job with its queue time so far and no output', async () => {
    const h = createHarness(tempDir());
    const { json } = await submitPng(h);
    h.clock.advance(1234);

    const res = await call(h.app, jsonRequest('GET', `/v1/edits/${json.id}`));

    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      id: json.id,
      status: 'queued',
      progress: null,
      timings: { queueMs: 1234, inferenceMs: null, totalMs: null },
      error: null,
      output: null,
      input: { width: 64, height: 48, format: 'png' },
      links: { self: `/v1/edits/${json.id}` },
    });
  });

  it('shows a running job with its progress, step of steps', async () => {
    const h = createHarness(tempDir());
    const { json } = await submitPng(h);
    await runJob(h, json.id, false);

    const res = await call(h.app, jsonRequest('GET', `/v1/edits/${json.id}`));

    expect(res.json).toMatchObject({
      status: 'running',
      progress: { step: 3, steps: 20 },
      timings: { queueMs: 1500, inferenceMs: null, totalMs: null },
      startedAt: '2026-11-27T12:00:01.500Z',
    });
  });

  it('shows a succeeded job with its timings and a presigned output URL that expires after the TTL', async () => {
    const h = createHarness(tempDir(), { config: { signedUrlTtlSeconds: 600 } });
    const { json } = await submitPng(h);
    await runJob(h, json.id, true);

    const res = await call(h.app, jsonRequest('GET', `/v1/edits/${json.id}`));

    expect(res.json).toMatchObject({
      status: 'succeeded',
      progress: { step: 20, steps: 20 },
      timings: { queueMs: 1500, inferenceMs: 900, totalMs: 2600 },
      output: { expiresAt: '2026-11-27T12:10:00.000Z', width: 64, height: 48, format: 'png' },
    });
    const verified = verifySignedBlobUrl(res.json.output.url, {
      method: 'GET',
      secret: Buffer.from(SIGNING_SECRET),
      now: START,
    });
    expect(verified).toMatchObject({ ok: true, key: `outputs/${json.id}.png` });
  });

  it('answers 404 NOT_FOUND for a job id that does not exist or cannot exist', async () => {
    const h = createHarness(tempDir());

    const unknown = await call(h.app, jsonRequest('GET', '/v1/edits/job_nope'));
    const impossible = await call(h.app, jsonRequest('GET', '/v1/edits/..%2Fsecret'));

    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({ code: 'NOT_FOUND', details: { id: 'job_nope' } });
    expect(impossible.status).toBe(404);
  });

  it('cancels a queued job immediately and publishes the change', async () => {
    const h = createHarness(tempDir());
    const { json } = await submitPng(h);

    const res = await call(h.app, jsonRequest('POST', `/v1/edits/${json.id}/cancel`));

    expect(res.status).toBe(200);
    expect(res.json).toEqual({ id: json.id, status: 'canceled', canceled: 'immediately' });
    expect(await h.jobs.get(json.id)).toMatchObject({
      status: 'canceled',
      error: { code: 'CANCELED' },
      timestamps: { completedAt: '2026-11-27T12:00:00.000Z' },
    });
    const events = await h.eventQueue.receive({
      maxMessages: 10,
      waitSeconds: 0,
      leaseSeconds: 30,
    });
    expect(events.map((lease) => lease.message.type).sort()).toEqual([
      'edit.canceled',
      'edit.queued',
    ]);
  });

  it('marks a running job canceled and says that the worker stops at its next step', async () => {
    const h = createHarness(tempDir());
    const { json } = await submitPng(h);
    await runJob(h, json.id, false);

    const res = await call(h.app, jsonRequest('POST', `/v1/edits/${json.id}/cancel`));

    expect(res.json).toEqual({ id: json.id, status: 'canceled', canceled: 'at-next-step' });
    expect((await h.jobs.get(json.id))?.status).toBe('canceled');
  });

  it('answers 409 CONFLICT with the state of a finished job, and 404 for an unknown one', async () => {
    const h = createHarness(tempDir());
    const { json } = await submitPng(h);
    await runJob(h, json.id, true);

    const finished = await call(h.app, jsonRequest('POST', `/v1/edits/${json.id}/cancel`));
    const unknown = await call(h.app, jsonRequest('POST', '/v1/edits/job_nope/cancel'));

    expect(finished.status).toBe(409);
    expect(finished.json.error).toMatchObject({
      code: 'CONFLICT',
      details: { id: json.id, status: 'succeeded' },
    });
    expect(finished.json.error.message).toContain('already "succeeded"');
    expect((await h.jobs.get(json.id))?.status).toBe('succeeded');
    expect(unknown.status).toBe(404);
  });

  it('submits a URL image through the injected fetcher', async () => {
    const png = await pngImage(64, 48);
    const asked: string[] = [];
    const h = createHarness(tempDir(), {
      fetchImage: async (url, { maxBytes }) => {
        asked.push(`${url} ${maxBytes}`);
        return { bytes: png, contentType: 'image/png', finalUrl: url };
      },
    });

    const res = await call(
      h.app,
      jsonRequest('POST', '/v1/edits', {
        image: { url: 'https://images.example/cat.png' },
        instruction: 'x',
      }),
    );

    expect(res.status).toBe(202);
    expect(asked).toEqual([`https://images.example/cat.png ${20 * 1024 ** 2}`]);
  });
});
