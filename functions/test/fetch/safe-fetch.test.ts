import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  pinnedLookup,
  type ResolvedAddress,
  type Resolver,
  SafeFetchError,
  type SafeFetchOptions,
  safeFetch,
} from '#functions/fetch/safe-fetch.ts';

let server: Server;
let port: number;
let origin: string;
const seen: { path: string; host: string | undefined; method: string | undefined; body: string }[] =
  [];

beforeAll(async () => {
  server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      seen.push({
        path,
        host: request.headers.host,
        method: request.method,
        body: Buffer.concat(chunks).toString(),
      });
      const redirect = (to: string, status = 302) => {
        response.writeHead(status, { location: to });
        response.end();
      };
      if (path === '/ok') {
        response.writeHead(200, { 'content-type': 'text/plain', 'x-two': ['a', 'b'] });
        response.end('hello');
      } else if (path === '/to-metadata') redirect('https://169.254.169.254/latest/meta-data/');
      else if (path === '/to-decimal') redirect('https://2130706433/');
      else if (path === '/to-mapped') redirect('https://[::ffff:7f00:1]/');
      else if (path === '/to-internal-name') redirect('https://metadata.google.internal/');
      else if (path === '/to-rebinding-name') redirect('https://rebind.example.com/');
      else if (path === '/to-plain-http') redirect('http://hooks.example.com/');
      else if (path === '/see-other') redirect('/ok', 303);
      else if (path.startsWith('/stream/')) {
        response.writeHead(200);
        response.end(Buffer.alloc(Number(path.slice(8))));
      } else if (path === '/slow') {
        response.writeHead(200);
        response.write('x'); // and never ends
      } else {
        response.writeHead(404);
        response.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A resolver from a table, recording every name it was asked for. */
function tableResolver(
  table: Record<string, readonly ResolvedAddress[]>,
): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (host: string) => {
    asked.push(host);
    const found = table[host];
    if (found === undefined)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found;
  };
  return Object.assign(resolve, { asked });
}

const v4 = (address: string): ResolvedAddress => ({ address, family: 4 });
const v6 = (address: string): ResolvedAddress => ({ address, family: 6 });

function options(overrides: Partial<SafeFetchOptions> = {}): SafeFetchOptions {
  return {
    policy: { allowOrigins: [origin] },
    timeoutMs: 2_000,
    maxRedirects: 3,
    maxBytes: 10_000,
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<SafeFetchError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof SafeFetchError))
    throw new Error(`Expected a SafeFetchError but got ${String(error)}`);
  return error;
}

describe('safeFetch: refused by the URL text, before any DNS query or connection', () => {
  it.each([
    ['https://2130706433/', 'blocked-address', 'loopback'],
    ['https://0x7f000001/', 'blocked-address', 'loopback'],
    ['https://0177.0.0.1/', 'blocked-address', 'loopback'],
    ['https://127.1/', 'blocked-address', 'loopback'],
    ['https://[::ffff:127.0.0.1]/', 'blocked-address', 'loopback'],
    ['https://[64:ff9b::a9fe:a9fe]/', 'blocked-address', 'metadata'],
    ['https://169.254.169.254/latest/meta-data/', 'blocked-address', 'metadata'],
    ['https://[fd00:ec2::254]/', 'blocked-address', 'metadata'],
    ['https://10.1.2.3/', 'blocked-address', 'private'],
    ['https://100.100.100.200/', 'blocked-address', 'cgnat'],
    ['https://localhost/', 'blocked-host', undefined],
    ['http://hooks.example.com/', 'scheme', undefined],
    ['https://user:secret@hooks.example.com/', 'credentials', undefined],
    ['https://hooks.example.com:25/', 'port', undefined],
  ])('%s → %s', async (url, reason, addressClass) => {
    const resolve = tableResolver({});
    const before = seen.length;

    const error = await failure(safeFetch({ url }, options({ resolve })));

    expect(error).toMatchObject({ reason, redirect: false });
    expect(error.details.addressClass).toBe(addressClass);
    expect(resolve.asked).toEqual([]);
    expect(seen.length).toBe(before);
  });
});

describe('safeFetch: refused after DNS resolution (injected resolver)', () => {
  it.each([
    ['127.0.0.1', [v4('127.0.0.1')], 'loopback'],
    ['::1', [v6('::1')], 'loopback'],
    ['::ffff:127.0.0.1', [v6('::ffff:127.0.0.1')], 'loopback'],
    ['169.254.169.254', [v4('169.254.169.254')], 'metadata'],
    ['10.0.0.5', [v4('10.0.0.5')], 'private'],
    ['a public and a private address', [v4('93.184.216.34'), v4('192.168.1.10')], 'private'],
  ])('a name resolving to %s', async (_name, addresses, addressClass) => {
    const resolve = tableResolver({ 'hooks.example.com': addresses });

    const error = await failure(
      safeFetch({ url: 'https://hooks.example.com/x' }, options({ resolve })),
    );

    expect(error).toMatchObject({
      reason: 'blocked-address',
      redirect: false,
      details: { addressClass, resolvedFrom: 'hooks.example.com' },
      message: expect.stringContaining('its host "hooks.example.com" resolves to'),
    });
    expect(resolve.asked).toEqual(['hooks.example.com']);
  });

  it('reports a name that does not resolve as dns', async () => {
    const error = await failure(
      safeFetch({ url: 'https://nowhere.example.com/' }, options({ resolve: tableResolver({}) })),
    );

    expect(error.reason).toBe('dns');
  });
});

describe('safeFetch: every redirect hop is checked again', () => {
  it.each([
    ['/to-metadata', 'blocked-address', 'metadata'],
    ['/to-decimal', 'blocked-address', 'loopback'],
    ['/to-mapped', 'blocked-address', 'loopback'],
    ['/to-internal-name', 'blocked-host', undefined],
    ['/to-plain-http', 'scheme', undefined],
  ])('refuses %s', async (path, reason, addressClass) => {
    const resolve = tableResolver({});

    const error = await failure(safeFetch({ url: `${origin}${path}` }, options({ resolve })));

    expect(error).toMatchObject({ reason, redirect: true });
    expect(error.details.addressClass).toBe(addressClass);
    expect(resolve.asked).toEqual([]);
  });

  it('refuses a redirect to a name that resolves to the metadata address', async () => {
    const resolve = tableResolver({ 'rebind.example.com': [v4('169.254.169.254')] });

    const error = await failure(
      safeFetch({ url: `${origin}/to-rebinding-name` }, options({ resolve })),
    );

    expect(error).toMatchObject({
      reason: 'blocked-address',
      redirect: true,
      details: { addressClass: 'metadata' },
    });
  });

  it('turns a POST into a GET on 303, and returns a 3xx as it is without following', async () => {
    const followed = await safeFetch(
      { url: `${origin}/see-other`, method: 'POST', body: 'x' },
      options(),
    );
    const unfollowed = await safeFetch(
      { url: `${origin}/to-metadata`, method: 'POST', body: '{}' },
      options({ maxRedirects: 0 }),
    );

    expect(followed).toMatchObject({ status: 200, url: new URL(`${origin}/ok`) });
    expect(seen.at(-2)).toMatchObject({ path: '/ok', method: 'GET', body: '' });
    expect(unfollowed.status).toBe(302);
    expect(seen.at(-1)).toMatchObject({ path: '/to-metadata', method: 'POST', body: '{}' });
  });
});

describe('safeFetch: connects to exactly the checked address', () => {
  it('resolves an allow-listed name once and sends Host with the original name', async () => {
    const name = `pinned.test:${port}`;
    const resolve = tableResolver({ 'pinned.test': [v4('127.0.0.1')] });

    const response = await safeFetch(
      { url: `http://${name}/ok` },
      options({ policy: { allowOrigins: [`http://${name}`] }, resolve }),
    );

    expect(response).toMatchObject({
      status: 200,
      address: '127.0.0.1',
      headers: { 'x-two': 'a, b' },
    });
    expect(Buffer.from(response.body).toString()).toBe('hello');
    expect(resolve.asked).toEqual(['pinned.test']);
    expect(seen.at(-1)).toMatchObject({ path: '/ok', host: name });
  });

  it('pinnedLookup answers every query with the checked address, whatever the name', () => {
    const lookup = pinnedLookup(v6('2606:4700::1'));
    const answers: unknown[] = [];

    lookup('evil.example', { all: true }, (_error, address) => answers.push(address));
    lookup('other.example', { family: 4 }, (_error, address, family) =>
      answers.push([address, family]),
    );

    expect(answers).toEqual([[{ address: '2606:4700::1', family: 6 }], ['2606:4700::1', 6]]);
  });
});

describe('safeFetch: limits while downloading', () => {
  it('reads a body at the byte limit and refuses one byte more', async () => {
    const at = await safeFetch({ url: `${origin}/stream/1000` }, options({ maxBytes: 1_000 }));
    const over = await failure(
      safeFetch({ url: `${origin}/stream/1001` }, options({ maxBytes: 1_000 })),
    );

    expect(at.body.byteLength).toBe(1_000);
    expect(over).toMatchObject({ reason: 'too-large', details: { maxBytes: 1_000 } });
  });

  it('ends at the deadline when the server stops sending', async () => {
    const started = Date.now();

    const error = await failure(safeFetch({ url: `${origin}/slow` }, options({ timeoutMs: 200 })));

    expect(error).toMatchObject({ reason: 'timeout', details: { timeoutMs: 200 } });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('reports a refused connection as network', async () => {
    const error = await failure(
      safeFetch(
        { url: 'http://127.0.0.1:9/' },
        options({ policy: { allowOrigins: ['http://127.0.0.1:9'] } }),
      ),
    );

    expect(error.reason).toBe('network');
  });
});

describe('safeFetch: the deadline covers DNS too', () => {
  it('ends a resolver that never answers at the deadline', async () => {
    const stuck: Resolver = () => new Promise(() => {});

    const error = await failure(
      safeFetch({ url: 'https://hooks.example.com/' }, options({ resolve: stuck, timeoutMs: 100 })),
    );

    expect(error).toMatchObject({ reason: 'timeout', details: { timeoutMs: 100 } });
  });
});
