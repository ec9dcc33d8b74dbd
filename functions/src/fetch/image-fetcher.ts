/**
 * Downloads the image of a `{ "url": ... }` submission through the safe fetcher (safe-fetch.ts):
 * https only (plain http only for origins on an explicit allow-list, which tests use), no private,
 * loopback, link-local, CGNAT or metadata address by the URL's text, after DNS resolution or after
 * a redirect, redirects followed by hand up to a bound with loop detection, one deadline for the
 * whole download, a byte limit enforced while reading, and content that is plainly not an image
 * refused before its body is read. Keep this module the only place that fetches image URLs.
 */
import { RequestError, ValidationError } from '#core/errors.ts';
import {
  checkOutboundUrl,
  describeUrl,
  type OutboundRefusal,
  type OutboundUrlPolicy,
} from '#core/net/outbound-url.ts';
import { type Resolver, SafeFetchError, type SafeFetchReason, safeFetch } from './safe-fetch.ts';

export interface FetchedImage {
  readonly bytes: Uint8Array;
  /** The Content-Type the server sent, if any (not trusted: the bytes decide the format). */
  readonly contentType: string | undefined;
  /** The URL the bytes came from, after redirects. */
  readonly finalUrl: string;
}

/**
 * @throws ValidationError `INVALID_ARGUMENT` (a URL its text alone condemns: not https, with
 *   credentials, a blocked address or local-only name, a privileged port), `IMAGE_TOO_LARGE`,
 *   `UNSUPPORTED_IMAGE_FORMAT` (the server says the content is not an image); RequestError
 *   `IMAGE_FETCH_FAILED` (a name resolving to a blocked address, a redirect to a URL that is not
 *   allowed, DNS, network, timeout, HTTP status, redirect loop or too many redirects).
 */
export type FetchImage = (
  url: string,
  options: { readonly maxBytes: number },
) => Promise<FetchedImage>;

export interface ImageFetcherOptions {
  /** One deadline for the whole download, redirects and body included. @default 10000 */
  readonly timeoutMs?: number;
  /** @default 3 */
  readonly maxRedirects?: number;
  /**
   * Origins exempt from the https and address rules, e.g. `http://127.0.0.1:40123`. For tests
   * only; production passes none.
   */
  readonly allowHttpOrigins?: readonly string[];
  /** Resolves host names (tests inject one). @default dns.lookup with all: true */
  readonly resolve?: Resolver;
}

const IMAGE_CONTENT_TYPES =
  /^(image\/[a-z0-9.+-]+|application\/octet-stream|binary\/octet-stream)$/;

const REFUSALS: ReadonlySet<SafeFetchReason> = new Set<OutboundRefusal>([
  'invalid-url',
  'too-long',
  'scheme',
  'credentials',
  'port',
  'blocked-host',
  'blocked-address',
]);

export function createImageFetcher(options: ImageFetcherOptions = {}): FetchImage {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxRedirects = options.maxRedirects ?? 3;
  const policy: OutboundUrlPolicy = { allowOrigins: options.allowHttpOrigins ?? [] };

  return async (text, { maxBytes }) => {
    const checked = checkOutboundUrl(text, policy);
    if (!checked.ok) {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        `Expected "image.url" to be an absolute https URL without credentials, on the default port or one from 1024, naming a public host, but ${checked.problem}`,
        {
          details: {
            field: 'image.url',
            reason: checked.reason,
            ...(checked.addressClass === undefined ? {} : { addressClass: checked.addressClass }),
          },
        },
      );
    }
    try {
      const response = await safeFetch(
        {
          url: checked.url,
          headers: { accept: 'image/jpeg, image/png, image/webp, image/*;q=0.8, */*;q=0.1' },
        },
        {
          policy,
          ...(options.resolve === undefined ? {} : { resolve: options.resolve }),
          timeoutMs,
          maxRedirects,
          maxBytes,
          onHead: ({ status, headers, url }) => checkHead(status, headers['content-type'], url),
        },
      );
      return {
        bytes: response.body,
        contentType: response.headers['content-type'],
        finalUrl: response.url.href,
      };
    } catch (error) {
      if (error instanceof SafeFetchError) throw fromSafeFetch(error, maxBytes);
      throw error;
    }
  };
}

/** Refuses an error status or a content type that is not an image before the body is read. */
function checkHead(status: number, contentType: string | undefined, url: URL): void {
  if (status < 200 || status > 299) {
    throw fetchFailed(describeUrl(url), 'status', `it answered HTTP ${status}`, undefined, {
      status,
    });
  }
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== undefined && mediaType !== '' && !IMAGE_CONTENT_TYPES.test(mediaType)) {
    throw new ValidationError(
      'UNSUPPORTED_IMAGE_FORMAT',
      `Expected "image.url" to answer with a JPEG, PNG or WebP image but ${describeUrl(url)} answered with ${mediaType}`,
      { details: { field: 'image.url', contentType: mediaType, allowed: ['jpeg', 'png', 'webp'] } },
    );
  }
}

function fromSafeFetch(error: SafeFetchError, maxBytes: number): ValidationError | RequestError {
  if (error.reason === 'too-large') {
    return new ValidationError(
      'IMAGE_TOO_LARGE',
      `Expected an image of at most ${maxBytes} bytes from "image.url" but ${error.url}: ${error.problem}`,
      { cause: error, details: { field: 'image.url', maxBytes } },
    );
  }
  if (error.redirect && REFUSALS.has(error.reason)) {
    return fetchFailed(
      error.url,
      'redirect-not-allowed',
      `it redirected to a URL that is not allowed: ${error.problem}`,
      error,
      { refusal: error.reason, ...error.details },
    );
  }
  return fetchFailed(error.url, error.reason, error.problem, error, error.details);
}

function fetchFailed(
  where: string,
  reason: string,
  what: string,
  cause?: unknown,
  extra: Readonly<Record<string, unknown>> = {},
): RequestError {
  return new RequestError(
    'IMAGE_FETCH_FAILED',
    `Expected "image.url" to deliver an image but ${what} (${where})`,
    {
      ...(cause === undefined ? {} : { cause }),
      details: { field: 'image.url', reason, ...extra },
    },
  );
}
