/**
 * The one way the service calls a URL that a caller chose (image URLs, webhook URLs). Every hop is
 * checked twice: by its text (core's checkOutboundUrl: https, no credentials, allowed port, no
 * blocked IP literal or local-only name) and by every address its name resolves to (no private,
 * loopback, link-local, CGNAT, metadata, ... address). The connection then goes to exactly the
 * address that was checked: node:http gets a `lookup` that answers with it, so the socket never
 * asks DNS again and a name that re-binds to 127.0.0.1 between the check and the connect (DNS
 * rebinding) cannot slip through. TLS still verifies the certificate against the original name
 * (SNI and Host carry it). Redirects are followed by hand, each hop checked the same way, up to a
 * bound; one deadline covers the whole exchange and a byte limit is enforced while reading.
 */
import { lookup } from 'node:dns/promises';
import { isIpLiteral } from '#core/net/ip-address.ts';
import {
  checkOutboundUrl,
  checkResolvedAddress,
  describeUrl,
  hostOf,
  type OutboundUrlPolicy,
} from '#core/net/outbound-url.ts';
import {
  type ReadLimits,
  type ResolvedAddress,
  readResponse,
  type SafeResponse,
  sendPinned,
} from './pinned-request.ts';
import { type Hop, SafeFetchError, transportError } from './safe-fetch-error.ts';

export { pinnedLookup, type ResolvedAddress, type SafeResponse } from './pinned-request.ts';
export { SafeFetchError, type SafeFetchReason } from './safe-fetch-error.ts';

/** Resolves a host name to its addresses (all of them: each one is checked). */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** The system resolver: `dns.lookup` with `all: true`, in the resolver's own order. */
export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((entry) => ({
    address: entry.address,
    family: entry.family === 6 ? 6 : 4,
  }));

export interface SafeFetchOptions {
  /** Allow-listed origins (tests only). @default none: https and public addresses only */
  readonly policy?: OutboundUrlPolicy;
  /** @default systemResolver */
  readonly resolve?: Resolver;
  /** One deadline for the whole exchange: every hop, headers and body. */
  readonly timeoutMs: number;
  /** Redirects followed; with 0 a 3xx answer is returned as it is (webhooks do not follow). */
  readonly maxRedirects: number;
  /** The largest body read; a larger one fails with `too-large`. */
  readonly maxBytes: number;
  /** Sees the final status and headers before the body is read; throw to stop the download. */
  readonly onHead?: ReadLimits['onHead'];
}

export interface SafeRequest {
  readonly url: string | URL;
  /** @default 'GET' */
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Fetches `request` under the outbound rules.
 * @throws SafeFetchError for a refused URL or address (before any connection to it), a DNS
 *   failure, a network failure, the deadline, a body over `maxBytes`, or a bad or excessive
 *   redirect. Whatever `onHead` throws is rethrown as is.
 */
export async function safeFetch(
  request: SafeRequest,
  options: SafeFetchOptions,
): Promise<SafeResponse> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  let next: string | URL = request.url;
  let redirect = false;
  let method = request.method ?? 'GET';
  let body = request.body;
  const visited = new Set<string>();
  try {
    for (let redirects = 0; ; redirects++) {
      const checked = checkOutboundUrl(next, options.policy);
      if (!checked.ok) {
        throw new SafeFetchError(
          checked.reason,
          checked.problem,
          { where: describeInput(next), redirect },
          {
            details:
              checked.addressClass === undefined ? {} : { addressClass: checked.addressClass },
          },
        );
      }
      const url = checked.url;
      const hop: Hop = { where: describeUrl(url), redirect };
      visited.add(url.href);
      const target = await pickAddress(
        url,
        checked.allowListed,
        options.resolve ?? systemResolver,
        hop,
        { signal: controller.signal, timeoutMs: options.timeoutMs },
      );
      const response = await sendPinned(
        url,
        target,
        { method, headers: request.headers, body },
        controller.signal,
        hop,
        options.timeoutMs,
      );
      const status = response.statusCode ?? 0;
      if (options.maxRedirects === 0 || !REDIRECTS.has(status)) {
        return await readResponse(response, url, target.address, options, controller.signal, hop);
      }
      response.resume();
      const location = response.headers.location;
      const redirectTo =
        location !== undefined && URL.canParse(location, url.href)
          ? new URL(location, url)
          : undefined;
      if (redirectTo === undefined) {
        throw new SafeFetchError(
          'bad-redirect',
          `it answered ${status} without a usable Location header`,
          hop,
        );
      }
      if (visited.has(redirectTo.href)) {
        throw new SafeFetchError(
          'redirect-loop',
          `it redirected back to ${describeUrl(redirectTo)} (a redirect loop)`,
          hop,
        );
      }
      if (redirects >= options.maxRedirects) {
        throw new SafeFetchError(
          'too-many-redirects',
          `it redirected more than ${options.maxRedirects} times`,
          hop,
          {
            details: { maxRedirects: options.maxRedirects },
          },
        );
      }
      if (status !== 307 && status !== 308) {
        method = 'GET';
        body = undefined;
      }
      next = redirectTo;
      redirect = true;
    }
  } finally {
    clearTimeout(timer);
  }
}

function describeInput(input: string | URL): string {
  if (typeof input !== 'string') return describeUrl(input);
  return URL.canParse(input) ? describeUrl(new URL(input)) : JSON.stringify(input.slice(0, 60));
}

/**
 * The address to connect to: the IP literal itself, or the first address of the name after every
 * address it resolves to has passed the check (a name with one private address among public ones
 * is refused: which one a client would use is not ours to guess).
 */
async function pickAddress(
  url: URL,
  allowListed: boolean,
  resolve: Resolver,
  hop: Hop,
  deadline: { readonly signal: AbortSignal; readonly timeoutMs: number },
): Promise<ResolvedAddress> {
  const host = hostOf(url);
  if (isIpLiteral(host)) return { address: host, family: host.includes(':') ? 6 : 4 };
  let addresses: readonly ResolvedAddress[];
  try {
    addresses = await untilAborted(resolve(host), deadline.signal);
  } catch (error) {
    if (deadline.signal.aborted)
      throw transportError(error, deadline.signal, hop, deadline.timeoutMs);
    throw new SafeFetchError('dns', `its host ${JSON.stringify(host)} did not resolve`, hop, {
      cause: error,
    });
  }
  const first = addresses[0];
  if (first === undefined) {
    throw new SafeFetchError('dns', `its host ${JSON.stringify(host)} resolved to no address`, hop);
  }
  if (!allowListed) {
    for (const entry of addresses) {
      const verdict = checkResolvedAddress(entry.address);
      if (!verdict.ok) {
        throw new SafeFetchError(
          'blocked-address',
          `its host ${JSON.stringify(host)} resolves to ${verdict.problem}`,
          hop,
          { details: { addressClass: verdict.addressClass, resolvedFrom: host } },
        );
      }
    }
  }
  return first;
}

/** `promise`, or a rejection as soon as `signal` aborts (a resolver has no signal of its own). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted before the DNS answer'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted before the DNS answer'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
