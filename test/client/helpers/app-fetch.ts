import type { ApiApp } from '#functions/api/api-types.ts';

/**
 * A `fetch` that hands requests to the API app in this process (no socket), for client tests on an
 * app that a test composes itself (e.g. with a webhook delivery log and a test receiver).
 */
export function appFetch(app: ApiApp): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const query: Record<string, string> = {};
    for (const key of new Set(url.searchParams.keys())) {
      query[key] = url.searchParams.getAll(key).join(',');
    }
    const answer = await app({
      method: request.method,
      path: url.pathname,
      headers,
      query,
      body: new Uint8Array(await request.arrayBuffer()),
    });
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  }) as typeof fetch;
}
