import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageFetcher, type FetchImage } from '#functions/fetch/image-fetcher.ts';
import { call, createHarness, jsonRequest, useTempRoot } from '../helpers/api-harness.ts';
import { pngImage } from '../helpers/images.ts';

const tempDir = useTempRoot('fetch');
let server: Server;
let origin: string;
let png: Uint8Array;

beforeAll(async () => {
  png = await pngImage(64, 48);
  server = createServer((request, response) => {
    const path = request.url ?? '/';
    const redirect = (to: string) => {
      response.writeHead(302, { location: to });
      response.end();
    };
    if (path === '/cat.png') {
      response.writeHead(200, { 'content-type': 'image/png' });
      response.end(png);
    } else if (path === '/page') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<!doctype html><p>not an image</p>');
    } else if (path === '/loop-a') redirect('/loop-b');
    else if (path === '/loop-b') redirect(`${origin}/loop-a`);
    else if (path.startsWith('/hop/')) {
      const n = Number(path.slice(5));
      redirect(n === 0 ? '/cat.png' : `/hop/${n - 1}`);
    } else if (path === '/elsewhere') redirect('http://127.0.0.1:9/x.png');
    else if (path === '/to-metadata') redirect('https://169.254.169.254/latest/meta-data/iam/');
    else if (path === '/no-location') {
      response.writeHead(301);
      response.end();
    } else if (path === '/big') {
      response.writeHead(200, { 'content-type': 'image/png', 'content-length': 100_000 });
      response.end(Buffer.alloc(100_000));
    } else if (path === '/stream') {
      response.writeHead(200, { 'content-type': 'image/png' });
      for (let i = 0; i < 50; i++) response.write(Buffer.alloc(2_000));
      response.end();
    } else if (path === '/octets') {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      response.end(png);
    } else if (path === '/slow') {
      response.writeHead(200, { 'content-type': 'image/png' });
      response.write(png.subarray(0, 10)); // and never ends
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('missing');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function fetcher(options: { timeoutMs?: number; maxRedirects?: number } = {}): FetchImage {
  return createImageFetcher({ allowHttpOrigins: [origin], timeoutMs: 2000, ...options });
}

describe('createImageFetcher', () => {
  it('downloads an image from an allowed origin', async () => {
    const fetched = await fetcher()(`${origin}/cat.png`, { maxBytes: 10_000 });

    expect(Buffer.from(fetched.bytes).equals(Buffer.from(png))).toBe(true);
    expect(fetched).toMatchObject({ contentType: 'image/png', finalUrl: `${origin}/cat.png` });
  });

  it('follows redirects up to the limit and reports where the bytes came from', async () => {
    const fetched = await fetcher({ maxRedirects: 3 })(`${origin}/hop/2`, { maxBytes: 10_000 });

    expect(fetched.finalUrl).toBe(`${origin}/cat.png`);
  });

  it('refuses a page that says it is HTML before reading it', async () => {
    await expect(fetcher()(`${origin}/page`, { maxBytes: 10_000 })).rejects.toMatchObject({
      code: 'UNSUPPORTED_IMAGE_FORMAT',
      details: { contentType: 'text/html' },
      message: expect.stringContaining(`answered with text/html`),
    });
  });

  it('ends a redirect loop with IMAGE_FETCH_FAILED', async () => {
    await expect(
      fetcher({ maxRedirects: 10 })(`${origin}/loop-a`, { maxBytes: 10_000 }),
    ).rejects.toMatchObject({
      code: 'IMAGE_FETCH_FAILED',
      details: { reason: 'redirect-loop' },
    });
  });

  it('stops after the redirect limit', async () => {
    await expect(
      fetcher({ maxRedirects: 3 })(`${origin}/hop/3`, { maxBytes: 10_000 }),
    ).rejects.toMatchObject({
      code: 'IMAGE_FETCH_FAILED',
      details: { reason: 'too-many-redirects' },
      message: expect.stringContaining('redirected more than 3 times'),
    });
  });

  it('refuses a redirect to an origin that is not allowed, and one without a Location', async () => {
    await expect(fetcher()(`${origin}/elsewhere`, { maxBytes: 10_000 })).rejects.toMatchObject({
      details: { reason: 'redirect-not-allowed' },
    });
    await expect(fetcher()(`${origin}/no-location`, { maxBytes: 10_000 })).rejects.toMatchObject({
      details: { reason: 'bad-redirect' },
    });
  });

  it('refuses a body over the limit, declared or streamed', async () => {
    await expect(fetcher()(`${origin}/big`, { maxBytes: 1_000 })).rejects.toMatchObject({
      code: 'IMAGE_TOO_LARGE',
      message: expect.stringContaining('declares 100000 bytes'),
    });
    await expect(fetcher()(`${origin}/stream`, { maxBytes: 1_000 })).rejects.toMatchObject({
      code: 'IMAGE_TOO_LARGE',
      message: expect.stringContaining('sent more than 1000 bytes'),
    });
  });

  it('gives up on a server that stops sending, after the deadline', async () => {
    const started = Date.now();

    await expect(
      fetcher({ timeoutMs: 200 })(`${origin}/slow`, { maxBytes: 10_000 }),
    ).rejects.toMatchObject({
      code: 'IMAGE_FETCH_FAILED',
      details: { reason: 'timeout', timeoutMs: 200 },
    });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('reports an HTTP error status and a refused connection', async () => {
    await expect(fetcher()(`${origin}/missing`, { maxBytes: 10_000 })).rejects.toMatchObject({
      code: 'IMAGE_FETCH_FAILED',
      details: { reason: 'status', status: 404 },
    });
    const closed = createImageFetcher({ allowHttpOrigins: ['http://127.0.0.1:9'] });
    await expect(closed('http://127.0.0.1:9/x.png', { maxBytes: 10 })).rejects.toMatchObject({
      code: 'IMAGE_FETCH_FAILED',
      details: { reason: 'network' },
    });
  });

  it('refuses plain http without an allow-list entry, and credentials, without any request', async () => {
    const calls: string[] = [];
    const strict = createImageFetcher({
      resolve: (host) => {
        calls.push(host);
        return Promise.reject(new Error('no network'));
      },
    });

    await expect(strict(`${origin}/cat.png`, { maxBytes: 10 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(strict('https://user:pw@a.example/x.png', { maxBytes: 10 })).rejects.toMatchObject(
      {
        code: 'INVALID_ARGUMENT',
      },
    );
    await expect(strict('ftp://a.example/x.png', { maxBytes: 10 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(calls).toEqual([]);
  });
});

describe('createImageFetcher against SSRF', () => {
  it.each([
    ['https://0x7f000001/cat.png', 'loopback'],
    ['https://2130706433/cat.png', 'loopback'],
    ['https://[::ffff:127.0.0.1]/cat.png', 'loopback'],
    ['https://169.254.169.254/latest/meta-data/', 'metadata'],
  ])('refuses %s by its text with INVALID_ARGUMENT', async (url, addressClass) => {
    await expect(fetcher()(url, { maxBytes: 10_000 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { field: 'image.url', reason: 'blocked-address', addressClass },
    });
  });

  it('refuses a name that resolves to 127.0.0.1 with IMAGE_FETCH_FAILED, before connecting', async () => {
    const asked: string[] = [];
    const rebinding = createImageFetcher({
      resolve: async (host) => {
        asked.push(host);
        return [{ address: '127.0.0.1', family: 4 }];
      },
    });

    await expect(
      rebinding('https://images.example.com/cat.png', { maxBytes: 10_000 }),
    ).rejects.toMatchObject({
      code: 'IMAGE_FETCH_FAILED',
      details: { reason: 'blocked-address', addressClass: 'loopback' },
    });
    expect(asked).toEqual(['images.example.com']);
  });

  it('refuses a redirect to the metadata address', async () => {
    await expect(fetcher()(`${origin}/to-metadata`, { maxBytes: 10_000 })).rejects.toMatchObject({
      code: 'IMAGE_FETCH_FAILED',
      details: {
        reason: 'redirect-not-allowed',
        refusal: 'blocked-address',
        addressClass: 'metadata',
      },
    });
  });
});

describe('POST /v1/edits with an image URL', () => {
  it.each([
    ['/cat.png', 202, undefined],
    ['/octets', 202, undefined],
    ['/page', 415, 'UNSUPPORTED_IMAGE_FORMAT'],
    ['/loop-a', 422, 'IMAGE_FETCH_FAILED'],
    ['/big', 422, 'IMAGE_TOO_LARGE'],
  ])('answers %s with %i %s', async (path, status, code) => {
    const h = createHarness(tempDir(), {
      config: { limits: { maxImageBytes: 50_000 } },
      fetchImage: fetcher(),
    });

    const res = await call(
      h.app,
      jsonRequest('POST', '/v1/edits', {
        image: { url: `${origin}${path}` },
        instruction: 'make it winter',
      }),
    );

    expect(res.status).toBe(status);
    if (code === undefined) {
      expect((await h.stored()).messages).toBe(1);
    } else {
      expect(res.json.error.code).toBe(code);
      expect(await h.stored()).toEqual({ blobs: [], jobs: [], messages: 0, events: 0 });
    }
  });
});
