import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FsBlobStore } from '#core/local/fs-blob-store.ts';
import { verifySignedBlobUrl } from '#core/local/signed-blob-url.ts';

/**
 * A minimal stand-in for the local server's `/local-blobs/*` route, on 127.0.0.1: it checks the
 * signed URL and enforces the bound size limit and content type, as the real route must.
 */
export interface LocalBlobServer {
  readonly baseUrl: string;
  close(): Promise<void>;
}

export async function startLocalBlobServer(
  getStore: () => FsBlobStore,
  secret: Uint8Array,
): Promise<LocalBlobServer> {
  const server: Server = createServer((request, response) => {
    handle(request, getStore(), secret).then(
      ({ status, body, headers }) => {
        response.writeHead(status, headers);
        response.end(body);
      },
      (error: unknown) => {
        response.writeHead(500);
        response.end(String(error));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

interface Reply {
  readonly status: number;
  readonly body?: Uint8Array | string;
  readonly headers?: Record<string, string>;
}

async function handle(
  request: IncomingMessage,
  store: FsBlobStore,
  secret: Uint8Array,
): Promise<Reply> {
  const verified = verifySignedBlobUrl(request.url ?? '', {
    method: request.method ?? 'GET',
    secret,
  });
  if (!verified.ok) return { status: 403, body: verified.reason };
  if (verified.method === 'GET') {
    const blob = await store.get(verified.key);
    return { status: 200, body: blob.body, headers: { 'content-type': blob.contentType } };
  }
  const contentType = request.headers['content-type'] ?? 'application/octet-stream';
  if (verified.contentType !== undefined && verified.contentType !== contentType) {
    return { status: 403, body: 'content-type' };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).byteLength;
    if (verified.maxBytes !== undefined && size > verified.maxBytes) return { status: 413 };
    chunks.push(chunk as Buffer);
  }
  await store.put(verified.key, Buffer.concat(chunks), { contentType });
  return { status: 200 };
}
