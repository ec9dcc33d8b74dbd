import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIpLiteral } from '#core/net/ip-address.ts';
import { hostOf } from '#core/net/outbound-url.ts';
import { type Hop, SafeFetchError, transportError } from './safe-fetch-error.ts';

/**
 * One hop of a safe fetch on node:http/https, connected to an address that was already checked
 * (safe-fetch.ts decides which), and its answer read under the byte limit.
 */

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

export interface SafeResponse {
  readonly status: number;
  /** Lower-case names; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  /** The URL the answer came from, after redirects. */
  readonly url: URL;
  /** The address connected to. */
  readonly address: string;
}

/** What reading an answer needs from the fetch options. */
export interface ReadLimits {
  readonly maxBytes: number;
  readonly timeoutMs: number;
  readonly onHead?:
    | ((head: {
        readonly status: number;
        readonly headers: Readonly<Record<string, string>>;
        readonly url: URL;
      }) => void)
    | undefined;
}

/** A `lookup` for node:net that answers every query with the checked address. */
export function pinnedLookup(target: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all === true) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
}

export function sendPinned(
  url: URL,
  target: ResolvedAddress,
  request: {
    method: string;
    headers: Readonly<Record<string, string>> | undefined;
    body: string | Uint8Array | undefined;
  },
  signal: AbortSignal,
  hop: Hop,
  timeoutMs: number,
): Promise<IncomingMessage> {
  const host = hostOf(url);
  const https = url.protocol === 'https:';
  const payload =
    request.body === undefined
      ? undefined
      : typeof request.body === 'string'
        ? Buffer.from(request.body, 'utf8')
        : request.body;
  const requestOptions: RequestOptions & { servername?: string } = {
    method: request.method,
    hostname: host,
    port: url.port === '' ? (https ? 443 : 80) : Number(url.port),
    path: `${url.pathname}${url.search}`,
    headers: {
      ...request.headers,
      ...(payload === undefined ? {} : { 'content-length': String(payload.byteLength) }),
    },
    lookup: pinnedLookup(target),
    // A fresh connection per hop: a pooled socket could belong to another address.
    agent: false,
    signal,
    ...(https && !isIpLiteral(host) ? { servername: host } : {}),
  };
  return new Promise<IncomingMessage>((resolve, reject) => {
    const outgoing = (https ? httpsRequest : httpRequest)(requestOptions, resolve);
    outgoing.on('error', (error) => reject(transportError(error, signal, hop, timeoutMs)));
    outgoing.end(payload);
  });
}

export async function readResponse(
  response: IncomingMessage,
  url: URL,
  address: string,
  options: ReadLimits,
  signal: AbortSignal,
  hop: Hop,
): Promise<SafeResponse> {
  const status = response.statusCode ?? 0;
  const headers = flattenHeaders(response);
  try {
    options.onHead?.({ status, headers, url });
  } catch (error) {
    response.destroy();
    throw error;
  }
  const declared = Number(headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    response.destroy();
    throw new SafeFetchError(
      'too-large',
      `it declares ${declared} bytes (at most ${options.maxBytes})`,
      hop,
      {
        details: { maxBytes: options.maxBytes, declared },
      },
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response) {
      const bytes = chunk as Buffer;
      size += bytes.byteLength;
      if (size > options.maxBytes) {
        response.destroy();
        throw new SafeFetchError('too-large', `it sent more than ${options.maxBytes} bytes`, hop, {
          details: { maxBytes: options.maxBytes },
        });
      }
      chunks.push(bytes);
    }
  } catch (error) {
    if (error instanceof SafeFetchError) throw error;
    throw transportError(error, signal, hop, options.timeoutMs);
  }
  return { status, headers, body: new Uint8Array(Buffer.concat(chunks)), url, address };
}

function flattenHeaders(response: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
