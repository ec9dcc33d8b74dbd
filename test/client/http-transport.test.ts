import { describe, expect, it } from 'vitest';
import { HttpTransport } from '#client/http-transport.ts';
import { parseRetryAfter, VibeApiError, VibeNetworkError } from '#client/vibe-api-error.ts';
import { VibeClient } from '#client/vibe-client.ts';

interface Sent {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
}

/** A fetch that answers from a script and records what was sent. */
function scriptedFetch(answers: readonly (Response | Error)[]) {
  const sent: Sent[] = [];
  let index = 0;
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    sent.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers: { ...(init?.headers as Record<string, string>) },
    });
    const answer = answers[Math.min(index++, answers.length - 1)];
    if (answer instanceof Error) throw answer;
    if (answer === undefined) throw new Error('no scripted answer');
    return answer.clone();
  };
  return { fetch: fetch as typeof globalThis.fetch, sent };
}

function errorAnswer(status: number, code: string, headers: Record<string, string> = {}) {
  return new Response(
    JSON.stringify({ error: { code, message: `${code} happened`, requestId: 'req_42' } }),
    { status, headers: { 'content-type': 'application/json', ...headers } },
  );
}

const ok = () => new Response(JSON.stringify({ status: 'ok', time: '2026-11-27T12:00:00.000Z' }));

function transport(fetch: typeof globalThis.fetch, sleeps: number[], maxRetries = 3) {
  return new HttpTransport({
    baseUrl: 'http://127.0.0.1:9/',
    apiKey: 'vibe_0123456789abcdef_secret',
    fetch,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    retry: { maxRetries, maxDelayMs: 10_000, baseDelayMs: 400 },
  });
}

describe('HttpTransport', () => {
  it('retries a 503 after its Retry-After and returns the answer that follows', async () => {
    const { fetch, sent } = scriptedFetch([
      errorAnswer(503, 'DEPENDENCY_UNAVAILABLE', { 'retry-after': '2' }),
      ok(),
    ]);
    const sleeps: number[] = [];

    const body = await transport(fetch, sleeps).json({ method: 'GET', path: '/healthz' });

    expect(body).toEqual({ status: 'ok', time: '2026-11-27T12:00:00.000Z' });
    expect(sleeps).toEqual([2000]);
    expect(sent.map((s) => s.url)).toEqual([
      'http://127.0.0.1:9/healthz',
      'http://127.0.0.1:9/healthz',
    ]);
  });

  it('gives up after maxRetries and throws the last error with its code and retryAfter', async () => {
    const { fetch, sent } = scriptedFetch([
      errorAnswer(429, 'RATE_LIMITED', { 'retry-after': '1', 'x-request-id': 'req_42' }),
    ]);
    const sleeps: number[] = [];

    const error = await transport(fetch, sleeps, 2)
      .send({ method: 'GET', path: '/v1/edits/job_1' })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(VibeApiError);
    expect(error).toMatchObject({
      status: 429,
      code: 'RATE_LIMITED',
      message: 'RATE_LIMITED happened',
      requestId: 'req_42',
      retryAfter: 1,
    });
    expect(sent).toHaveLength(3);
    expect(sleeps).toEqual([1000, 1000]);
  });

  it('does not wait for a Retry-After above maxDelayMs: the caller gets the error at once', async () => {
    const { fetch, sent } = scriptedFetch([
      errorAnswer(429, 'QUOTA_EXCEEDED', { 'retry-after': '3600' }),
    ]);
    const sleeps: number[] = [];

    await expect(
      transport(fetch, sleeps).send({ method: 'GET', path: '/x' }),
    ).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED', retryAfter: 3600 });
    expect(sent).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('backs off exponentially with jitter when no Retry-After is sent', async () => {
    const { fetch } = scriptedFetch([errorAnswer(503, 'DEPENDENCY_UNAVAILABLE'), ok()]);
    const sleeps: number[] = [];
    const { fetch: fetch3 } = scriptedFetch([
      errorAnswer(503, 'DEPENDENCY_UNAVAILABLE'),
      errorAnswer(503, 'DEPENDENCY_UNAVAILABLE'),
      errorAnswer(503, 'DEPENDENCY_UNAVAILABLE'),
      ok(),
    ]);

    await transport(fetch, sleeps).send({ method: 'GET', path: '/a' });
    await transport(fetch3, sleeps).send({ method: 'GET', path: '/a' });

    // random() = 0.5: three quarters of 400 · 2^attempt
    expect(sleeps).toEqual([300, 300, 600, 1200]);
  });

  it('never retries other errors', async () => {
    const { fetch, sent } = scriptedFetch([errorAnswer(400, 'INVALID_ARGUMENT'), ok()]);

    await expect(
      transport(fetch, []).send({ method: 'POST', path: '/v1/edits' }),
    ).rejects.toMatchObject({
      status: 400,
      code: 'INVALID_ARGUMENT',
    });
    expect(sent).toHaveLength(1);
  });

  it('retries a lost answer only for calls that are safe to repeat', async () => {
    const lost = new TypeError('fetch failed');
    const safe = scriptedFetch([lost, ok()]);
    const unsafe = scriptedFetch([lost, ok()]);

    await transport(safe.fetch, []).send({ method: 'GET', path: '/a', retryOnNetworkError: true });
    const error = await transport(unsafe.fetch, [])
      .send({ method: 'POST', path: '/a' })
      .catch((e: unknown) => e);

    expect(safe.sent).toHaveLength(2);
    expect(unsafe.sent).toHaveLength(1);
    expect(error).toBeInstanceOf(VibeNetworkError);
    expect((error as Error).message).toContain('POST http://127.0.0.1:9/a');
  });

  it('describes an error answer that is not the API body by its status', async () => {
    const { fetch } = scriptedFetch([
      new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
    ]);

    await expect(transport(fetch, []).send({ method: 'GET', path: '/a' })).rejects.toMatchObject({
      status: 502,
      code: 'HTTP_502',
      message: expect.stringContaining('received 502 Bad Gateway: <html>Bad Gateway</html>'),
    });
  });

  it('sends the key as a Bearer token to the API and never to presigned URLs', async () => {
    const { fetch, sent } = scriptedFetch([ok(), ok()]);
    const http = transport(fetch, []);

    await http.send({ method: 'GET', path: '/healthz' });
    await http.send({
      method: 'GET',
      path: 'https://bucket.s3.amazonaws.com/o?X-Amz-Signature=1',
      auth: false,
    });

    expect(sent[0]?.headers.authorization).toBe('Bearer vibe_0123456789abcdef_secret');
    expect(sent[1]?.headers.authorization).toBeUndefined();
    expect(sent[1]?.url).toBe('https://bucket.s3.amazonaws.com/o?X-Amz-Signature=1');
  });

  it('refuses a base URL that is not http(s)', () => {
    expect(() => new HttpTransport({ baseUrl: 'ftp://example.com' })).toThrow(
      'Expected an http or https base URL but received "ftp://example.com"',
    );
  });
});

describe('parseRetryAfter', () => {
  it('reads delta seconds and HTTP dates, and ignores anything else', () => {
    const now = Date.parse('2026-11-27T12:00:00.000Z');

    expect(parseRetryAfter('7', now)).toBe(7);
    expect(parseRetryAfter('Fri, 27 Nov 2026 12:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Fri, 27 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('VibeClient creates', () => {
  it('sends one Idempotency-Key per create, the same on every retry of it', async () => {
    const accepted = () =>
      new Response(
        JSON.stringify({
          id: 'job_1',
          status: 'queued',
          createdAt: '2026-11-27T12:00:00.000Z',
          links: {},
        }),
        { status: 202 },
      );
    const { fetch, sent } = scriptedFetch([
      errorAnswer(503, 'DEPENDENCY_UNAVAILABLE', { 'retry-after': '0' }),
      accepted(),
      accepted(),
    ]);
    const client = new VibeClient({ baseUrl: 'http://127.0.0.1:9', fetch, sleep: async () => {} });
    const request = { image: { url: 'https://example.com/cat.png' }, instruction: 'add a hat' };

    await client.submitEdit(request);
    await client.submitEdit(request, { idempotencyKey: 'my-key-1' });

    const keys = sent.map((s) => s.headers['idempotency-key']);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).toBe('my-key-1');
    expect(sent[0]?.headers['content-type']).toBe('application/json');
  });

  it('asks the API to hold a submission with Prefer: wait, capped at maxPreferWaitSeconds', async () => {
    const { fetch, sent } = scriptedFetch([
      new Response(JSON.stringify({ id: 'job_1', status: 'queued' }), { status: 202 }),
    ]);
    const client = new VibeClient({
      baseUrl: 'http://127.0.0.1:9',
      fetch,
      maxPreferWaitSeconds: 20,
    });

    await client.submitEdit({ image: { uploadId: 'upl_1_ab' }, instruction: 'x' }, { wait: 60 });

    expect(sent[0]?.headers.prefer).toBe('wait=20');
  });
});
