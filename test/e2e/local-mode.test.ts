/**
 * Local mode end to end (issue 3, items 4 and 5): the HTTP API and a worker in one process on the
 * embedded stores and queues under a data folder, exactly as `npm start` composes them, on
 * 127.0.0.1 and a free port. The engine is the real one on the tiny test bundle (its output is NOT
 * a real edit), behind a HeldEngine where a test needs a job to stay running.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '#core/config/parse-config.ts';
import { FsJobQueue } from '#core/local/fs-job-queue.ts';
import { verifyWebhook } from '#core/webhooks/verify-webhook.ts';
import { EditApiError, EditClient } from '#runtime/local-mode/edit-client.ts';
import { type LocalMode, startLocalMode } from '#runtime/local-mode/start-local-mode.ts';
import type { LeaseResult } from '#runtime/worker/process-lease.ts';
import { localOutputs, testPng, useTempRoot, waitFor } from './helpers/e2e-harness.ts';
import type { HeldEngine } from './helpers/held-engine.ts';
import { tinyEngine } from './helpers/tiny-engine.ts';

const newDir = useTempRoot('local-mode');
const SAMPLE = new URL('../fixtures/sample/photo.jpg', import.meta.url);

describe('local mode: API and worker in one process', () => {
  let mode: LocalMode;
  let engine: HeldEngine;
  let client: EditClient;
  const results: LeaseResult[] = [];

  const receiver = {
    url: '',
    received: [] as { body: string; headers: IncomingHttpHeaders }[],
    server: createServer(),
  };

  beforeAll(async () => {
    receiver.server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        receiver.received.push({
          body: Buffer.concat(chunks).toString('utf8'),
          headers: request.headers,
        });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
    engine = await tinyEngine();
    const config = parseConfig({ VIBE_DATA_DIR: newDir(), VIBE_SHUTDOWN_GRACE_SECONDS: '5' });
    mode = await startLocalMode({
      config,
      port: 0,
      engine,
      announce: () => {},
      onResult: (result) => results.push(result),
      // The test receiver is plain http on loopback: allow-listed for this test only.
      outboundPolicy: { allowOrigins: [receiver.url] },
    });
    // API keys are required by default: local mode made its operator's key.
    client = new EditClient({ url: mode.url, apiKey: mode.apiKey?.token });
  });
  afterAll(async () => {
    await mode?.close({ deadlineMs: 1_000 });
    await new Promise((resolve) => receiver.server.close(resolve));
  });

  it('submits, runs and serves the output through its signed URL', async () => {
    expect(mode.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const accepted = await client.submit({
      image: await testPng(64, 48),
      instruction: 'make it winter',
      steps: 4,
      seed: 7,
      output: { format: 'webp', quality: 80 },
    });
    expect(accepted).toMatchObject({
      status: 'queued',
      links: { self: `/v1/edits/${accepted.id}` },
    });
    // The API names the model from the start: even a queued job says it is synthetic.
    expect((await client.get(accepted.id)).model).toEqual({
      name: 'vibe-tiny-test',
      version: 'tiny-bundle-1',
      synthetic: true,
    });

    const view = await client.wait(accepted.id, { intervalMs: 50, timeoutMs: 20_000 });

    expect(view).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      progress: { step: 4, steps: 4 },
      error: null,
      model: { name: 'vibe-tiny-test', synthetic: true },
      parameters: { steps: 4, seed: 7, output: { format: 'webp', quality: 80 } },
      output: { width: 64, height: 48, format: 'webp' },
    });
    expect(view.timings.inferenceMs).toBeGreaterThan(0);
    const url = view.output?.url ?? '';
    expect(url.startsWith(`${mode.url}/local-blobs/outputs/${accepted.id}.webp?`)).toBe(true);
    const image = await client.download(url);
    expect(await sharp(image).metadata()).toMatchObject({ format: 'webp', width: 64, height: 48 });
    const tampered = await fetch(url.replace(/sig=[^&]+/, 'sig=AAAA'));
    expect(tampered.status).toBe(403);
    expect(await localOutputs(mode.dataDir)).toEqual([`outputs/${accepted.id}.webp`]);
  });

  it('delivers a signed edit.succeeded webhook that a receiver verifies', async () => {
    const response = await fetch(`${mode.url}/v1/edits`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${mode.apiKey?.token ?? ''}`,
      },
      body: JSON.stringify({
        image: {
          dataUri: `data:image/png;base64,${Buffer.from(await testPng(64, 48)).toString('base64')}`,
        },
        instruction: 'make it winter',
        steps: 2,
        webhook: { url: `${receiver.url}/hook`, events: ['edit.succeeded'] },
      }),
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    await waitFor('the webhook delivery', () => receiver.received.length > 0, 20_000);
    const delivery = receiver.received[0]!;
    const verified = verifyWebhook(delivery.body, delivery.headers, [mode.webhookSecret]);
    expect(verified.payload).toMatchObject({
      type: 'edit.succeeded',
      data: { id, status: 'succeeded' },
    });
    // A receiver refuses a tampered body.
    expect(() =>
      verifyWebhook(`${delivery.body} `, delivery.headers, [mode.webhookSecret]),
    ).toThrow();
  });

  it('takes a multipart upload, as the README curl line sends it', async () => {
    const form = new FormData();
    form.set('image', new Blob([await readFile(SAMPLE)], { type: 'image/jpeg' }), 'photo.jpg');
    form.set('instruction', 'make it winter');
    form.set('steps', '2');
    const headers = { authorization: `Bearer ${mode.apiKey?.token}` };
    expect((await fetch(`${mode.url}/v1/edits`, { method: 'POST', body: form })).status).toBe(401);
    const answer = await fetch(`${mode.url}/v1/edits`, { method: 'POST', body: form, headers });
    expect(answer.status).toBe(202);
    const { id } = (await answer.json()) as { id: string };

    const view = await client.wait(id, { intervalMs: 50, timeoutMs: 20_000 });

    expect(view).toMatchObject({
      status: 'succeeded',
      input: { width: 640, height: 480, format: 'jpeg' },
      output: { width: 640, height: 480, format: 'png' },
    });
    const image = await client.download(view.output?.url ?? '');
    expect(await sharp(image).metadata()).toMatchObject({ format: 'png', width: 640, height: 480 });
  });

  it('cancels a queued job at once and a running one at its next step; neither has an output', async () => {
    engine.holdMs = 30_000;
    try {
      const running = await client.submit({
        image: await testPng(),
        instruction: 'add a hat',
        steps: 6,
      });
      await waitFor(
        'the first job to run',
        async () => (await client.get(running.id)).status === 'running',
      );
      const queued = await client.submit({
        image: await testPng(),
        instruction: 'add a scarf',
        steps: 6,
      });
      expect((await client.get(queued.id)).status).toBe('queued');

      expect(await client.cancel(queued.id)).toEqual({
        id: queued.id,
        status: 'canceled',
        canceled: 'immediately',
      });
      const canceledAt = Date.now();
      expect(await client.cancel(running.id)).toEqual({
        id: running.id,
        status: 'canceled',
        canceled: 'at-next-step',
      });

      // The worker sees the cancel at the held job's next step report (every 100 ms, written at
      // most every 500 ms), long before its 30 s hold ends, then skips the canceled queued job.
      await waitFor('the worker to let go of both jobs', () =>
        [running.id, queued.id].every((id) => results.some((result) => result.jobId === id)),
      );
      expect(Date.now() - canceledAt).toBeLessThan(5_000);
      expect(results.find((result) => result.jobId === running.id)?.outcome).toBe('canceled');
      expect(results.find((result) => result.jobId === queued.id)?.outcome).toBe('skipped');

      const [stopped, never] = [await client.get(running.id), await client.get(queued.id)];
      expect(stopped).toMatchObject({
        status: 'canceled',
        error: { code: 'CANCELED' },
        output: null,
        progress: { step: 0, steps: 6 },
      });
      expect(never).toMatchObject({
        status: 'canceled',
        startedAt: null,
        attempts: 0,
        output: null,
        error: { code: 'CANCELED' },
      });
      const outputs = await localOutputs(mode.dataDir);
      expect(outputs.filter((key) => key.includes(running.id) || key.includes(queued.id))).toEqual(
        [],
      );
      const lane = mode.ports.queues.interactive;
      expect(lane).toBeInstanceOf(FsJobQueue);
      expect(await (lane as FsJobQueue<unknown>).depth()).toEqual({ visible: 0, hidden: 0 });

      // A finished job cannot be canceled again.
      const again = client.cancel(running.id);
      await expect(again).rejects.toBeInstanceOf(EditApiError);
      await expect(again).rejects.toMatchObject({
        status: 409,
        code: 'CONFLICT',
        details: { status: 'canceled' },
      });
    } finally {
      engine.holdMs = 0;
    }
  });
});
