import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiRequest, ApiResponse } from '../api/api-types.ts';

const MiB = 1024 ** 2;

export interface ReadBody {
  /** What was kept: at most `maxBytes`. */
  readonly body: Uint8Array;
  /** The body was longer than `maxBytes`. */
  readonly exceeded: boolean;
  /**
   * The body was so much longer that reading stopped before its end; the connection must be
   * closed after the answer.
   */
  readonly abandoned: boolean;
}

/**
 * Reads a request body, keeping at most `maxBytes`. Past the limit it keeps reading and dropping
 * the rest (up to `maxBytes + drainBytes`) so that the client, still sending, receives the 413
 * instead of a connection reset.
 */
export async function readBody(
  request: IncomingMessage,
  maxBytes: number,
  drainBytes = 32 * MiB,
): Promise<ReadBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.byteLength;
    if (size <= maxBytes) chunks.push(buffer);
    else if (size > maxBytes + drainBytes) {
      return { body: new Uint8Array(Buffer.concat(chunks)), exceeded: true, abandoned: true };
    }
  }
  return {
    body: new Uint8Array(Buffer.concat(chunks)),
    exceeded: size > maxBytes,
    abandoned: false,
  };
}

/**
 * Receives a body under `maxBytes`. A client that sent `Expect: 100-continue` (curl does for
 * bodies over 1 MB) and declared more than the limit gets its answer before it sends anything;
 * a declared length far past the limit is not read at all. Both end with the connection closed.
 */
export async function receiveBody(
  request: IncomingMessage,
  response: ServerResponse,
  maxBytes: number,
  expectsContinue: boolean,
  drainBytes = 32 * MiB,
): Promise<ReadBody> {
  const declared = declaredLength(request);
  if (
    declared !== undefined &&
    (declared > maxBytes + drainBytes || (expectsContinue && declared > maxBytes))
  ) {
    return { body: new Uint8Array(), exceeded: true, abandoned: true };
  }
  if (expectsContinue) response.writeContinue();
  return readBody(request, maxBytes, drainBytes);
}

/** The declared Content-Length, when there is a valid one (and no Transfer-Encoding, RFC 9112 §6.3). */
export function declaredLength(request: IncomingMessage): number | undefined {
  if (request.headers['transfer-encoding'] !== undefined) return undefined;
  const text = request.headers['content-length'];
  return text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

/** node:http request + body → ApiRequest (lower-case headers; repeated query keys joined by `,`). */
export function toApiRequest(request: IncomingMessage, read: ReadBody): ApiRequest {
  const url = new URL(request.url ?? '/', 'http://local.invalid');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const query: Record<string, string> = {};
  for (const key of new Set(url.searchParams.keys())) {
    query[key] = url.searchParams.getAll(key).join(',');
  }
  return {
    method: request.method ?? 'GET',
    path: url.pathname,
    headers,
    query,
    body: read.body,
    ...(read.exceeded ? { bodyExceeded: true } : {}),
  };
}

export function writeResponse(
  response: ServerResponse,
  answer:
    | ApiResponse
    | { status: number; headers: Record<string, string>; body: Uint8Array | string },
  options: { readonly close?: boolean; readonly head?: boolean } = {},
): void {
  const headers: Record<string, string | number> = { ...answer.headers };
  if (headers['content-length'] === undefined)
    headers['content-length'] = Buffer.byteLength(answer.body);
  if (options.close === true) headers.connection = 'close';
  response.writeHead(answer.status, headers);
  response.end(options.head === true ? undefined : answer.body);
}
