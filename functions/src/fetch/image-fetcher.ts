/**
 * Downloads the image of a `{ "url": ... }` submission with hard limits: https only (plain http
 * only for origins on an explicit allow-list, which tests use), redirects followed by hand up to
 * a bound with loop detection, one deadline for the whole download, a byte limit enforced while
 * reading, and content that is plainly not an image refused before its body is read.
 *
 * Not yet done here (issue 5): refusing private, loopback, link-local and metadata addresses after
 * DNS resolution (DESIGN §9). Keep this module the only place that fetches caller URLs.
 */
import { RequestError, ValidationError } from '#core/errors.ts';

export interface FetchedImage {
  readonly bytes: Uint8Array;
  /** The Content-Type the server sent, if any (not trusted: the bytes decide the format). */
  readonly contentType: string | undefined;
  /** The URL the bytes came from, after redirects. */
  readonly finalUrl: string;
}

/**
 * @throws ValidationError `INVALID_ARGUMENT` (a URL that is not allowed), `IMAGE_TOO_LARGE`,
 *   `UNSUPPORTED_IMAGE_FORMAT` (the server says the content is not an image); RequestError
 *   `IMAGE_FETCH_FAILED` (network, timeout, HTTP status, redirect loop or too many redirects).
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
   * Origins that may be fetched over plain http, e.g. `http://127.0.0.1:40123`. For tests only;
   * production passes none, so only https is fetched.
   */
  readonly allowHttpOrigins?: readonly string[];
  /** @default globalThis.fetch */
  readonly fetch?: typeof globalThis.fetch;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const IMAGE_CONTENT_TYPES =
  /^(image\/[a-z0-9.+-]+|application\/octet-stream|binary\/octet-stream)$/;

export function createImageFetcher(options: ImageFetcherOptions = {}): FetchImage {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxRedirects = options.maxRedirects ?? 3;
  const httpOrigins = new Set(
    (options.allowHttpOrigins ?? []).map((origin) => new URL(origin).origin),
  );
  const fetchImpl = options.fetch ?? globalThis.fetch;

  return async (text, { maxBytes }) => {
    let url = parseAllowed(text, httpOrigins);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const visited = new Set([url.href]);
    try {
      for (let redirects = 0; ; redirects++) {
        const response = await request(fetchImpl, url, controller.signal, timeoutMs);
        if (!REDIRECTS.has(response.status)) {
          return await readImage(response, url, maxBytes, controller.signal, timeoutMs);
        }
        await discard(response);
        const location = response.headers.get('location');
        const next = location === null ? undefined : resolveRedirect(location, url);
        if (next === undefined) {
          throw fetchFailed(
            url,
            'bad-redirect',
            `it answered ${response.status} without a usable Location header`,
          );
        }
        if (!isAllowed(next, httpOrigins)) {
          throw fetchFailed(
            url,
            'redirect-not-allowed',
            `it redirected to ${describeUrl(next)}, which is not an https URL`,
          );
        }
        if (visited.has(next.href)) {
          throw fetchFailed(
            url,
            'redirect-loop',
            `it redirected back to ${describeUrl(next)} (a redirect loop)`,
          );
        }
        if (redirects >= maxRedirects) {
          throw fetchFailed(
            url,
            'too-many-redirects',
            `it redirected more than ${maxRedirects} times`,
          );
        }
        visited.add(next.href);
        url = next;
      }
    } finally {
      clearTimeout(timer);
    }
  };
}

function parseAllowed(text: string, httpOrigins: ReadonlySet<string>): URL {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (url === undefined || !isAllowed(url, httpOrigins)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "image.url" to be an absolute https URL without credentials but received ${JSON.stringify(text.slice(0, 100))}`,
      { details: { field: 'image.url', allowed: 'https URLs' } },
    );
  }
  return url;
}

function isAllowed(url: URL, httpOrigins: ReadonlySet<string>): boolean {
  if (url.username !== '' || url.password !== '') return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && httpOrigins.has(url.origin));
}

function resolveRedirect(location: string, base: URL): URL | undefined {
  return URL.canParse(location, base.href) ? new URL(location, base) : undefined;
}

async function request(
  fetchImpl: typeof globalThis.fetch,
  url: URL,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<Response> {
  try {
    return await fetchImpl(url, {
      redirect: 'manual',
      signal,
      headers: { accept: 'image/jpeg, image/png, image/webp, image/*;q=0.8, */*;q=0.1' },
    });
  } catch (error) {
    throw signal.aborted
      ? timedOut(url, timeoutMs, error)
      : fetchFailed(url, 'network', `the connection failed (${errorText(error)})`, error);
  }
}

async function readImage(
  response: Response,
  url: URL,
  maxBytes: number,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<FetchedImage> {
  if (!response.ok) {
    await discard(response);
    throw fetchFailed(url, 'status', `it answered HTTP ${response.status}`, undefined, {
      status: response.status,
    });
  }
  const contentType = response.headers.get('content-type') ?? undefined;
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== undefined && mediaType !== '' && !IMAGE_CONTENT_TYPES.test(mediaType)) {
    await discard(response);
    throw new ValidationError(
      'UNSUPPORTED_IMAGE_FORMAT',
      `Expected "image.url" to answer with a JPEG, PNG or WebP image but ${describeUrl(url)} answered with ${mediaType}`,
      { details: { field: 'image.url', contentType: mediaType, allowed: ['jpeg', 'png', 'webp'] } },
    );
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await discard(response);
    throw tooLarge(url, maxBytes, `declares ${declared} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    if (response.body !== null) {
      for await (const chunk of response.body) {
        size += chunk.byteLength;
        // Leaving the loop by throwing cancels the stream (the iterator's return()).
        if (size > maxBytes) {
          throw tooLarge(url, maxBytes, `sent more than ${maxBytes} bytes`);
        }
        chunks.push(chunk);
      }
    }
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw signal.aborted
      ? timedOut(url, timeoutMs, error)
      : fetchFailed(url, 'network', `the download broke off (${errorText(error)})`, error);
  }
  return { bytes: new Uint8Array(Buffer.concat(chunks)), contentType, finalUrl: url.href };
}

async function discard(response: Response): Promise<void> {
  // Unread bodies hold their connection; errors while dropping one do not matter to the caller.
  await response.body?.cancel().catch(() => undefined);
}

function tooLarge(url: URL, maxBytes: number, what: string): ValidationError {
  return new ValidationError(
    'IMAGE_TOO_LARGE',
    `Expected an image of at most ${maxBytes} bytes from "image.url" but ${describeUrl(url)} ${what}`,
    { details: { field: 'image.url', maxBytes } },
  );
}

function timedOut(url: URL, timeoutMs: number, cause: unknown): RequestError {
  return fetchFailed(url, 'timeout', `it did not deliver the image within ${timeoutMs} ms`, cause, {
    timeoutMs,
  });
}

function fetchFailed(
  url: URL,
  reason: string,
  what: string,
  cause?: unknown,
  extra: Readonly<Record<string, unknown>> = {},
): RequestError {
  return new RequestError(
    'IMAGE_FETCH_FAILED',
    `Expected "image.url" to deliver an image but ${what} (${describeUrl(url)})`,
    {
      ...(cause === undefined ? {} : { cause }),
      details: { field: 'image.url', reason, ...extra },
    },
  );
}

/** Origin and path only: a query string may carry a caller's signature or token. */
function describeUrl(url: URL): string {
  const text = `${url.origin}${url.pathname}`;
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
