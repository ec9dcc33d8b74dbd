import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkSigningSecret, LOCAL_BLOB_PATH_PREFIX } from '#core/local/signed-blob-url.ts';
import type { ApiApp, ApiDeps } from '../api/api-types.ts';
import { createApiApp } from '../api/create-api-app.ts';
import { serveLocalBlob } from './local-blob-route.ts';
import { receiveBody, toApiRequest, writeResponse } from './node-request.ts';

export interface LocalApiServerOptions {
  /**
   * The app's dependencies, or a function that builds them once the server's base URL is known
   * (with port 0 the port is only known after listening, and the local blob store signs URLs on it).
   */
  readonly deps: ApiDeps | ((baseUrl: string) => ApiDeps);
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /**
   * The HMAC secret of the local blob store's signed URLs (FsBlobStore `signingSecret`). When given,
   * the server also serves `/local-blobs/*` from `deps.blobs`, as S3 serves presigned URLs.
   */
  readonly blobUrlSecret?: string | Uint8Array;
}

export interface LocalApiServer {
  /** e.g. `http://127.0.0.1:43121` */
  readonly url: string;
  readonly app: ApiApp;
  /** Stops accepting connections and closes idle ones; resolves when the server is closed. */
  close(): Promise<void>;
}

/**
 * Serves the API app (the same one the Lambda entry serves) on node:http, by default on
 * 127.0.0.1 and a free port. Request bodies are read up to the app's limit; a longer body is
 * answered 413 after it has been drained, not with a connection reset.
 */
export async function startLocalApiServer(options: LocalApiServerOptions): Promise<LocalApiServer> {
  const host = options.host ?? '127.0.0.1';
  const secret =
    options.blobUrlSecret === undefined ? undefined : checkSigningSecret(options.blobUrlSecret);
  let app: ApiApp | undefined;
  let blobs: ApiDeps['blobs'] | undefined;

  const dispatch = (
    request: IncomingMessage,
    response: ServerResponse,
    expectsContinue: boolean,
  ) => {
    handle(request, response, expectsContinue).catch((error: unknown) => {
      if (app !== undefined && !response.headersSent) {
        writeResponse(response, app.errorResponse(error), { close: true });
      } else {
        response.destroy(error instanceof Error ? error : undefined);
      }
    });
  };

  const handle = async (
    request: IncomingMessage,
    response: ServerResponse,
    expectsContinue: boolean,
  ) => {
    if (app === undefined || blobs === undefined) {
      writeResponse(
        response,
        { status: 503, headers: { 'retry-after': '1' }, body: '' },
        { close: true },
      );
      return;
    }
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (secret !== undefined && path.startsWith(LOCAL_BLOB_PATH_PREFIX)) {
      await serveLocalBlob(request, response, { blobs, secret, app, expectsContinue });
      return;
    }
    const read = await receiveBody(request, response, app.maxBodyBytes, expectsContinue);
    const answer = await app(toApiRequest(request, read));
    writeResponse(response, answer, { close: read.abandoned });
  };

  const server = createServer();
  server.on('request', (request, response) => dispatch(request, response, false));
  server.on('checkContinue', (request, response) => dispatch(request, response, true));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  try {
    const deps = typeof options.deps === 'function' ? options.deps(url) : options.deps;
    app = createApiApp(deps);
    blobs = deps.blobs;
  } catch (error) {
    server.close();
    throw error;
  }
  const built = app;
  return {
    url,
    app: built,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeIdleConnections();
      }),
  };
}
