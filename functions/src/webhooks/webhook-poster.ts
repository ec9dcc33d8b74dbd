import type { OutboundRefusal, OutboundUrlPolicy } from '#core/net/outbound-url.ts';
import { WEBHOOK_ATTEMPT_TIMEOUT_MS } from '#core/webhooks/retry-schedule.ts';
import type { WebhookHeaders } from '#core/webhooks/webhook-signature.ts';
import {
  type Resolver,
  SafeFetchError,
  type SafeFetchReason,
  safeFetch,
} from '../fetch/safe-fetch.ts';

/** What one POST to a receiver gave. */
export interface PostResult {
  /** The receiver's status, or null when no answer came. */
  readonly statusCode: number | null;
  readonly durationMs: number;
  /** Why no (usable) answer came: a SafeFetchError reason and its message. */
  readonly error: { readonly reason: SafeFetchReason; readonly message: string } | null;
  /** True when the URL or its address is refused by the outbound rules: retrying cannot help. */
  readonly refused: boolean;
  /** The receiver's `Retry-After` in seconds (429, 503), when it sent a usable one. */
  readonly retryAfterSeconds?: number;
}

/** Sends one signed attempt. Never throws: every outcome is a PostResult. */
export type WebhookPoster = (
  url: string,
  body: string,
  headers: WebhookHeaders,
) => Promise<PostResult>;

export interface WebhookPosterOptions {
  /** Allow-listed origins (tests only). */
  readonly policy?: OutboundUrlPolicy;
  readonly resolve?: Resolver;
  /** Per attempt, connection to status line. @default WEBHOOK_ATTEMPT_TIMEOUT_MS (10 s) */
  readonly timeoutMs?: number;
  /** @default performance.now */
  readonly elapsed?: () => number;
  /** The clock that turns an HTTP-date `Retry-After` into seconds. @default Date.now */
  readonly now?: () => number;
}

const REFUSALS: ReadonlySet<SafeFetchReason> = new Set<OutboundRefusal>([
  'invalid-url',
  'too-long',
  'scheme',
  'credentials',
  'port',
  'blocked-host',
  'blocked-address',
]);

/** Stops reading once the status line and headers are in: the body does not matter. */
class HeadSeen extends Error {
  constructor(
    readonly status: number,
    readonly headers: Readonly<Record<string, string>>,
  ) {
    super('the receiver answered; its body is not read');
  }
}

/**
 * POSTs through the safe fetcher: the receiver's address is checked after DNS and connected to
 * as checked, redirects are not followed (a 3xx is a failed attempt, as Standard Webhooks says),
 * and the attempt ends at `timeoutMs` whatever the receiver does, so a slow receiver costs one
 * timeout per attempt and never more.
 */
export function createWebhookPoster(options: WebhookPosterOptions = {}): WebhookPoster {
  const timeoutMs = options.timeoutMs ?? WEBHOOK_ATTEMPT_TIMEOUT_MS;
  const elapsed = options.elapsed ?? (() => performance.now());
  const now = options.now ?? Date.now;
  return async (url, body, headers) => {
    const started = elapsed();
    const duration = () => Math.max(0, Math.round(elapsed() - started));
    try {
      await safeFetch(
        {
          url,
          method: 'POST',
          headers: {
            ...headers,
            'content-type': 'application/json',
            'user-agent': 'VIBE-Webhooks/1',
          },
          body,
        },
        {
          ...(options.policy === undefined ? {} : { policy: options.policy }),
          ...(options.resolve === undefined ? {} : { resolve: options.resolve }),
          timeoutMs,
          maxRedirects: 0,
          maxBytes: 64 * 1024,
          onHead: ({ status, headers: answered }) => {
            throw new HeadSeen(status, answered);
          },
        },
      );
      // safeFetch always reaches onHead when it resolves.
      return { statusCode: null, durationMs: duration(), error: null, refused: false };
    } catch (error) {
      if (error instanceof HeadSeen) {
        const retryAfter = parseRetryAfter(error.headers['retry-after'], now());
        return {
          statusCode: error.status,
          durationMs: duration(),
          error: null,
          refused: false,
          ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }),
        };
      }
      if (error instanceof SafeFetchError) {
        return {
          statusCode: null,
          durationMs: duration(),
          error: { reason: error.reason, message: error.message },
          refused: REFUSALS.has(error.reason),
        };
      }
      throw error;
    }
  };
}

/** `Retry-After` as whole seconds from now (delta-seconds or an HTTP date), if usable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - nowMs) / 1000));
}
