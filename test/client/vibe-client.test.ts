import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Edit } from '#client/api-types.ts';
import { VibeApiError, VibeJobError, VibeTimeoutError } from '#client/vibe-api-error.ts';
import { VibeClient } from '#client/vibe-client.ts';
import { createLocalAccessStores } from '#core/keys/access-stores.ts';
import { createKey } from '#functions/admin/keys-command.ts';
import { type LocalService, startLocalService } from './helpers/local-service.ts';

const PHOTO = 'test/fixtures/sample/photo.jpg';
let service: LocalService;
let client: VibeClient;
let photo: Uint8Array;
/** Set by a test to hold the engine before it runs a job; released by the test. */
let gate: Promise<void> | undefined;

beforeAll(async () => {
  service = await startLocalService({ stepMs: 15, beforeRun: () => gate ?? Promise.resolve() });
  client = new VibeClient({ baseUrl: service.url, apiKey: service.apiKey });
  photo = new Uint8Array(await readFile(PHOTO));
});

afterAll(() => service.close());

function hold(): () => void {
  let release = () => {};
  gate = new Promise<void>((resolve) => {
    release = () => {
      gate = undefined;
      resolve();
    };
  });
  return release;
}

async function pixel(bytes: Uint8Array, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(bytes)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [data[at] ?? -1, data[at + 1] ?? -1, data[at + 2] ?? -1];
}

describe('VibeClient against the local server', () => {
  it('reads the health check', async () => {
    await expect(client.health()).resolves.toMatchObject({ status: 'ok' });
  });

  it('edits an image end to end: multipart submit, progress, download', async () => {
    const seen: Edit[] = [];

    const { edit, image } = await client.editImage(photo, 'make it winter', {
      steps: 5,
      seed: 7,
      pollIntervalMs: 20,
      onProgress: (current) => seen.push(current),
    });

    expect(edit).toMatchObject({
      status: 'succeeded',
      instruction: 'make it winter',
      parameters: { steps: 5, seed: 7, output: { format: 'png' } },
      input: { width: 640, height: 480, format: 'jpeg' },
      output: { width: 640, height: 480, format: 'png' },
      progress: { step: 5, steps: 5 },
      model: { name: 'negate-test-engine', synthetic: true },
    });
    expect(image.contentType).toBe('image/png');
    // The test engine negates the colours: the sun at (420, 80) is yellow before, blue after.
    const before = await pixel(photo, 420, 80);
    const after = await pixel(image.bytes, 420, 80);
    for (const [channel, value] of after.entries()) {
      expect(value + (before[channel] ?? 0)).toBeGreaterThanOrEqual(250);
      expect(value + (before[channel] ?? 0)).toBeLessThanOrEqual(260);
    }
    expect(seen.at(-1)?.status).toBe('succeeded');
    expect(seen.some((e) => e.status === 'running' || e.status === 'queued')).toBe(true);
  });

  it('submits through an upload (createUpload + PUT) and by data URI', async () => {
    const ticket = await client.upload(photo);
    const png = await sharp(photo).resize(64, 48).png().toBuffer();

    const viaUpload = await client.submitEdit({
      image: { uploadId: ticket.uploadId },
      instruction: 'add a hat',
      steps: 2,
      output: { format: 'webp', quality: 80 },
    });
    const viaDataUri = await client.submitEdit({
      image: { dataUri: `data:image/png;base64,${png.toString('base64')}` },
      instruction: 'add a hat',
      steps: 2,
      lane: 'batch',
    });
    const [first, second] = await Promise.all([
      client.waitForEdit(viaUpload.id, { pollIntervalMs: 20 }),
      client.waitForEdit(viaDataUri.id, { pollIntervalMs: 20 }),
    ]);

    expect(ticket).toMatchObject({ method: 'PUT', maxBytes: photo.byteLength });
    expect(first).toMatchObject({ status: 'succeeded', output: { format: 'webp' } });
    expect(second).toMatchObject({ status: 'succeeded', lane: 'batch', input: { width: 64 } });
    const webp = await client.downloadOutput(first.id);
    expect((await sharp(webp.bytes).metadata()).format).toBe('webp');
  });

  it('sends a file with a webhook through an upload (webhooks ride in JSON bodies only)', async () => {
    const submitted = await client.submitEdit({
      image: { file: { bytes: photo } },
      instruction: 'make it winter',
      steps: 1,
      webhook: { url: 'https://hooks.example.com/vibe', events: ['edit.succeeded'] },
    });

    expect(submitted.status).toBe('queued');
    expect(await client.waitForEdit(submitted.id, { pollIntervalMs: 20 })).toMatchObject({
      status: 'succeeded',
      input: { width: 640, height: 480 },
    });
  });

  it('turns the API error body into a VibeApiError with status, code and request id', async () => {
    const missing = await client.getEdit('job_does_not_exist').catch((e: unknown) => e);
    const invalid = await client
      .submitEdit({ image: { file: { bytes: photo } }, instruction: 'x', steps: 500 })
      .catch((e: unknown) => e);
    const anonymous = await new VibeClient({ baseUrl: service.url })
      .getEdit('job_1')
      .catch((e: unknown) => e);

    expect(missing).toBeInstanceOf(VibeApiError);
    expect(missing).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
      requestId: expect.stringMatching(/^req_/),
    });
    expect(invalid).toMatchObject({
      status: 400,
      code: 'INVALID_ARGUMENT',
      message: 'Expected "steps" to be an integer from 1 to 100 but received 500',
      details: { issues: [expect.objectContaining({ path: 'steps' })] },
    });
    expect(anonymous).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('cancels a running edit, shows the queue position of the one behind it, and refuses its output', async () => {
    const release = hold();
    const running = await client.submitEdit({
      image: { file: { bytes: photo } },
      instruction: 'a',
      steps: 3,
    });
    await waitUntil(async () => (await client.getEdit(running.id)).status === 'running');
    const queued = await client.submitEdit({
      image: { file: { bytes: photo } },
      instruction: 'b',
      steps: 3,
    });

    const behind = await client.getEdit(queued.id);
    const canceled = await client.cancelEdit(running.id);
    release();
    const ended = await client.waitForEdit(running.id, { pollIntervalMs: 20 });
    const next = await client.waitForEdit(queued.id, { pollIntervalMs: 20 });

    expect(behind).toMatchObject({ status: 'queued', queue: { position: 1, ahead: 0 } });
    expect(canceled).toEqual({ id: running.id, status: 'canceled', canceled: 'at-next-step' });
    expect(ended).toMatchObject({ status: 'canceled', error: { code: 'CANCELED' } });
    expect(next.status).toBe('succeeded');
    await expect(client.downloadOutput(ended)).rejects.toBeInstanceOf(VibeJobError);
    await expect(client.cancelEdit(running.id)).rejects.toMatchObject({
      status: 409,
      code: 'CONFLICT',
    });
  });

  it('waitForEdit gives up after timeoutMs with the last state it saw', async () => {
    const release = hold();
    const submitted = await client.submitEdit({
      image: { file: { bytes: photo } },
      instruction: 'a',
    });

    const error = await client
      .waitForEdit(submitted.id, { timeoutMs: 300, pollIntervalMs: 50 })
      .catch((e: unknown) => e);
    release();
    await client.waitForEdit(submitted.id, { pollIntervalMs: 20 });

    expect(error).toBeInstanceOf(VibeTimeoutError);
    expect((error as VibeTimeoutError<Edit>).last?.id).toBe(submitted.id);
    expect(['queued', 'running']).toContain((error as VibeTimeoutError<Edit>).last?.status);
  });

  it('waitForEdit with usePreferWait holds reads on the server instead of polling', async () => {
    let reads = 0;
    const counting = new VibeClient({
      baseUrl: service.url,
      apiKey: service.apiKey,
      fetch: (input, init) => {
        if (init?.method === 'GET') reads += 1;
        return fetch(input, init);
      },
    });
    const submitted = await counting.submitEdit({
      image: { file: { bytes: photo } },
      instruction: 'a',
      steps: 40,
    });

    const edit = await counting.waitForEdit(submitted.id, {
      usePreferWait: true,
      pollIntervalMs: 10,
    });

    expect(edit.status).toBe('succeeded');
    // 40 steps of 15 ms: polling every 10 ms would read about 60 times.
    expect(reads).toBeLessThanOrEqual(3);
  });

  it('replays a create for the same Idempotency-Key and refuses the key with another body', async () => {
    const request = { image: { file: { bytes: photo } }, instruction: 'same', steps: 1 } as const;

    const first = await client.submitEdit(request, { idempotencyKey: 'client-test-key-1' });
    const again = await client.submitEdit(request, { idempotencyKey: 'client-test-key-1' });
    const other = await client
      .submitEdit({ ...request, instruction: 'different' }, { idempotencyKey: 'client-test-key-1' })
      .catch((e: unknown) => e);

    expect(again.id).toBe(first.id);
    expect(other).toMatchObject({ status: 409, code: 'IDEMPOTENCY_KEY_REUSED' });
  });

  it('retries a 429 after its Retry-After and succeeds', async () => {
    const stores = createLocalAccessStores(service.dataDir);
    const { token } = await createKey(stores.keys, { name: 'slow', ratePerSecond: 1, burst: 1 });
    const slow = new VibeClient({ baseUrl: service.url, apiKey: token });
    const started = Date.now();

    await slow.getEdit('job_x').catch((e: unknown) => e);
    const second = await slow.getEdit('job_x').catch((e: unknown) => e);

    // The second read was limited (429), waited Retry-After, and came through to the 404.
    expect(second).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
