import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestError } from '#core/errors.ts';
import { verifySignedBlobUrl } from '#core/local/signed-blob-url.ts';
import type { BlobStore } from '#core/ports.ts';
import type { ApiApp } from '../api/api-types.ts';
import { receiveBody, writeResponse } from './node-request.ts';

export interface LocalBlobRouteOptions {
  readonly blobs: BlobStore;
  readonly secret: Uint8Array;
  /** For the uniform error body and the request-size default. */
  readonly app: ApiApp;
  readonly expectsContinue: boolean;
}

const REASONS = {
  malformed: 'Expected a signed blob URL (expires, sig and a valid key) but this one is malformed',
  'bad-signature':
    'Expected a URL signed by this server for this method but the signature does not match (the method, key, expiry, size limit and content type are signed)',
  expired: 'Expected an unexpired signed URL but this one has expired; ask the API for a new one',
} as const;

/**
 * `/local-blobs/<key>`: what S3 does for presigned URLs, for the local blob store. GET and HEAD
 * serve a blob; PUT stores one. The URL is checked with core's verifySignedBlobUrl, and the signed
 * method, expiry, size limit and content type are enforced.
 */
export async function serveLocalBlob(
  request: IncomingMessage,
  response: ServerResponse,
  options: LocalBlobRouteOptions,
): Promise<void> {
  const { blobs, secret, app, expectsContinue } = options;
  const method = (request.method ?? 'GET').toUpperCase();
  const refuse = async (error: unknown) => {
    // Drain a refused upload so that the client reads the answer, not a reset.
    const read =
      method === 'PUT' ? await receiveBody(request, response, 0, expectsContinue) : undefined;
    writeResponse(response, app.errorResponse(error), { close: read?.abandoned === true });
  };
  if (method !== 'GET' && method !== 'HEAD' && method !== 'PUT') {
    await refuse(
      new RequestError(
        'METHOD_NOT_ALLOWED',
        `Expected GET, HEAD or PUT for a signed blob URL but received ${method}`,
        {
          details: { method, allow: ['GET', 'HEAD', 'PUT'] },
        },
      ),
    );
    return;
  }
  const verified = verifySignedBlobUrl(request.url ?? '', { method, secret });
  if (!verified.ok) {
    await refuse(
      new RequestError('ACCESS_DENIED', REASONS[verified.reason], {
        details: { reason: verified.reason },
      }),
    );
    return;
  }
  if (verified.method === 'GET') {
    let blob: Awaited<ReturnType<BlobStore['get']>>;
    try {
      blob = await blobs.get(verified.key);
    } catch (error) {
      writeResponse(response, app.errorResponse(error));
      return;
    }
    const headers = {
      'content-type': blob.contentType,
      'content-length': String(blob.body.byteLength),
      etag: blob.etag,
      'cache-control': 'private, no-store',
    };
    writeResponse(response, { status: 200, headers, body: blob.body }, { head: method === 'HEAD' });
    return;
  }
  const contentType = request.headers['content-type'] ?? 'application/octet-stream';
  if (verified.contentType !== undefined && verified.contentType !== contentType) {
    await refuse(
      new RequestError(
        'ACCESS_DENIED',
        `Expected Content-Type ${verified.contentType} (signed into the URL) but received ${contentType}`,
        { details: { expected: verified.contentType, received: contentType } },
      ),
    );
    return;
  }
  const maxBytes = verified.maxBytes ?? app.maxBodyBytes;
  const read = await receiveBody(request, response, maxBytes, expectsContinue);
  if (read.exceeded) {
    const error = new RequestError(
      'PAYLOAD_TOO_LARGE',
      `Expected an upload of at most ${maxBytes} bytes (signed into the URL) but received more`,
      { details: { maxBytes } },
    );
    writeResponse(response, app.errorResponse(error), { close: read.abandoned });
    return;
  }
  try {
    await blobs.put(verified.key, read.body, { contentType });
  } catch (error) {
    writeResponse(response, app.errorResponse(error));
    return;
  }
  writeResponse(response, { status: 200, headers: {}, body: '' });
}
