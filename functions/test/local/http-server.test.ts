import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outputKey } from '#core/jobs/storage-keys.ts';
import type { LogEntry } from '#functions/api/api-types.ts';
import { type LocalApiServer, startLocalApiServer } from '#functions/local/http-server.ts';
import {
  createLocalStores,
  type LocalStores,
  SIGNING_SECRET,
  useTempRoot,
} from '../helpers/api-harness.ts';
import { jpegImage, pngImage } from '../helpers/images.ts';

const tempDir = useTempRoot('server');
const MAX_BODY = 64 * 1024;
let server: LocalApiServer;
let stores: LocalStores;
const logs: LogEntry[] = [];

beforeAll(async () => {
  const root = tempDir();
  server = await startLocalApiServer({
    blobUrlSecret: SIGNING_SECRET,
    deps: (baseUrl) => {
      stores = createLocalStores(root, { baseUrl, realClock: true });
      return {
        blobs: stores.blobs,
        jobs: stores.jobs,
        queues: stores.queues,
        events: stores.events,
        clock: stores.clock,
        ids: stores.ids,
        log: (entry) => logs.push(entry),
        config: { limits: { maxBodyBytes: MAX_BODY, maxInlineImageBytes: 32 * 1024 } },
      };
    },
  });
});

afterAll(() => server.close());

/** A raw request, to see exactly what a client that is still sending gets back. */
function rawPost(
  path: string,
  headers: Record<string, string | number>,
  body: Uint8Array | undefined,
): Promise<{ status: number; body: string; sentBody: boolean }> {
  return new Promise((resolve, reject) => {
    let sentBody = false;
    const req = httpRequest(`${server.url}${path}`, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          sentBody,
        }),
      );
    });
    req.on('error', reject);
    req.on('continue', () => {
      sentBody = true;
      req.end(body);
    });
    if (headers.expect === undefined) {
      sentBody = true;
      req.end(body);
    }
  });
}

describe('startLocalApiServer', () => {
  it('listens on 127.0.0.1 and answers /healthz', async () => {
    const res = await fetch(`${server.url}/healthz`);

    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('accepts a multipart upload and serves the output through its signed URL', async () => {
    const form = new FormData();
    form.append('image', new File([await jpegImage(64, 64)], 'in.jpg', { type: 'image/jpeg' }));
    form.append('instruction', 'make it winter');

    const accepted = await fetch(`${server.url}/v1/edits`, { method: 'POST', body: form });
    const { id } = (await accepted.json()) as { id: string };
    const output = await pngImage(64, 64);
    await stores.blobs.put(outputKey(id, 'png'), output, { contentType: 'image/png' });
    await stores.jobs.update(id, (job) => ({ ...job, status: 'running', attempts: 1 }));
    await stores.jobs.update(id, (job) => ({
      ...job,
      status: 'succeeded',
      output: { key: outputKey(id, 'png'), width: 64, height: 64, format: 'png' },
    }));
    const view = (await (await fetch(`${server.url}/v1/edits/${id}`)).json()) as {
      output: { url: string };
    };
    const download = await fetch(view.output.url);

    expect(accepted.status).toBe(202);
    expect(view.output.url.startsWith(`${server.url}/local-blobs/outputs/${id}.png?`)).toBe(true);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await download.arrayBuffer()).equals(Buffer.from(output))).toBe(true);
  });

  it('takes an image through a presigned upload, then a submission by upload id', async () => {
    const ticket = (await (
      await fetch(`${server.url}/v1/uploads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ contentType: 'image/png' }),
      })
    ).json()) as { uploadId: string; url: string; method: string; headers: Record<string, string> };
    const image = await pngImage(100, 50);

    const put = await fetch(ticket.url, {
      method: ticket.method,
      headers: ticket.headers,
      body: image,
    });
    const submitted = await fetch(`${server.url}/v1/edits`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ image: { uploadId: ticket.uploadId }, instruction: 'add a moon' }),
    });
    const { id } = (await submitted.json()) as { id: string };

    expect(put.status).toBe(200);
    expect(submitted.status).toBe(202);
    expect((await stores.jobs.get(id))?.input).toMatchObject({
      width: 100,
      height: 50,
      format: 'png',
    });
  });

  it('answers 413 in the uniform body to a client that sends more than the cap, without a reset', async () => {
    const res = await fetch(`${server.url}/v1/edits`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Uint8Array(MAX_BODY * 3),
    });

    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({
      error: { code: 'PAYLOAD_TOO_LARGE', details: { maxBytes: MAX_BODY } },
    });
  });

  it('reads a long body to its end before answering 413, so a client writing in chunks is not reset', async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${server.url}/v1/edits`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      });
      req.on('error', reject);
      req.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
      let sent = 0;
      const chunk = Buffer.alloc(256 * 1024);
      const writeMore = () => {
        while (sent < 64) {
          sent += 1;
          if (!req.write(chunk)) {
            req.once('drain', () => setTimeout(writeMore, 1));
            return;
          }
        }
        req.end();
      };
      writeMore();
    });

    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers 413 before the body is sent to a client that waits for 100-continue', async () => {
    const res = await rawPost(
      '/v1/edits',
      {
        'content-type': 'application/json',
        'content-length': MAX_BODY + 1,
        expect: '100-continue',
      },
      new Uint8Array(MAX_BODY + 1),
    );

    expect(res.status).toBe(413);
    expect(res.sentBody).toBe(false);
    expect(JSON.parse(res.body).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('sends 100-continue to a client within the cap', async () => {
    const res = await rawPost(
      '/v1/uploads',
      { 'content-length': 0, expect: '100-continue' },
      new Uint8Array(),
    );

    expect(res.status).toBe(201);
    expect(res.sentBody).toBe(true);
  });

  it('refuses blob URLs whose signature, size limit or content type does not hold', async () => {
    const ticket = (await (
      await fetch(`${server.url}/v1/uploads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ contentType: 'image/png', contentLength: 100 }),
      })
    ).json()) as { url: string };
    const tampered = ticket.url.replace('max=100', 'max=100000');

    const forged = await fetch(tampered, {
      method: 'PUT',
      headers: { 'content-type': 'image/png' },
      body: 'x',
    });
    const asGet = await fetch(ticket.url);
    const wrongType = await fetch(ticket.url, {
      method: 'PUT',
      headers: { 'content-type': 'image/gif' },
      body: 'x',
    });
    const tooBig = await fetch(ticket.url, {
      method: 'PUT',
      headers: { 'content-type': 'image/png' },
      body: new Uint8Array(5000),
    });

    expect(forged.status).toBe(403);
    expect(await forged.json()).toMatchObject({
      error: { code: 'ACCESS_DENIED', details: { reason: 'bad-signature' } },
    });
    expect(asGet.status).toBe(403);
    expect(wrongType.status).toBe(403);
    expect(tooBig.status).toBe(413);
    expect((await stores.stored()).blobs.filter((key) => key.startsWith('uploads/'))).toHaveLength(
      1,
    );
  });

  it('answers 404 for a signed URL of a blob that is not there', async () => {
    const signed = await stores.blobs.signedDownloadUrl('outputs/none.png', {
      expiresInSeconds: 60,
    });

    const res = await fetch(signed.url);

    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });
});
