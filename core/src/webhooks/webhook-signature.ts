import { createHmac } from 'node:crypto';
import { ValidationError } from '../errors.ts';

/** The three Standard Webhooks headers of one delivery attempt. */
// A type literal, not an interface, so that it fits a Record of headers (verifyWebhook's input).
export type WebhookHeaders = {
  /** The event id: the same on every attempt, for the receiver to deduplicate on. */
  readonly 'webhook-id': string;
  /** Unix seconds of this attempt (retries carry a new one). */
  readonly 'webhook-timestamp': string;
  /** Space-separated `v1,<base64 HMAC-SHA256>`, one per signing key. */
  readonly 'webhook-signature': string;
};

export interface SignedContent {
  readonly id: string;
  /** Unix seconds. */
  readonly timestamp: number;
  /** The exact bytes sent (a string is taken as UTF-8). */
  readonly body: string | Uint8Array;
}

/** Ids and timestamps are part of the signed text `id.timestamp.body`, so neither may hold a dot. */
const MESSAGE_ID = /^[A-Za-z0-9_-]{1,256}$/;

/** base64 HMAC-SHA256 of `{id}.{timestamp}.{body}` under `key`. */
export function webhookSignature(key: Uint8Array, content: SignedContent): string {
  const hmac = createHmac('sha256', key);
  hmac.update(`${content.id}.${content.timestamp}.`, 'utf8');
  hmac.update(typeof content.body === 'string' ? Buffer.from(content.body, 'utf8') : content.body);
  return hmac.digest('base64');
}

/**
 * The headers of one attempt, signed with every key (several during a rotation).
 * @throws ValidationError `INVALID_ARGUMENT` for an id outside `[A-Za-z0-9_-]`, a timestamp that
 *   is not whole non-negative seconds, or no key.
 */
export function signWebhook(content: SignedContent, keys: readonly Uint8Array[]): WebhookHeaders {
  if (!MESSAGE_ID.test(content.id)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected a webhook id of 1 to 256 letters, digits, "_" or "-" but received ${JSON.stringify(content.id.slice(0, 60))}`,
    );
  }
  if (!Number.isSafeInteger(content.timestamp) || content.timestamp < 0) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected a webhook timestamp in whole Unix seconds but received ${String(content.timestamp)}`,
    );
  }
  if (keys.length === 0) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      'Expected at least one signing key but received none',
    );
  }
  return {
    'webhook-id': content.id,
    'webhook-timestamp': String(content.timestamp),
    'webhook-signature': keys.map((key) => `v1,${webhookSignature(key, content)}`).join(' '),
  };
}
