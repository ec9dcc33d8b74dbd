import { timingSafeEqual } from 'node:crypto';
import { isAppError } from '../errors.ts';
import { parseWebhookSecret } from './webhook-secret.ts';
import { webhookSignature } from './webhook-signature.ts';

/**
 * Receiver-side verification of a Standard Webhooks delivery, for the services that receive
 * VIBE's webhooks (the typed client re-exports it). It needs the raw body exactly as received:
 * parsing the JSON and serializing it again changes the bytes and fails the signature.
 */

/** Why a delivery was refused; stable. */
export type WebhookVerificationReason =
  | 'missing-header'
  | 'invalid-header'
  | 'invalid-secret'
  | 'invalid-payload'
  | 'timestamp-too-old'
  | 'timestamp-in-future'
  | 'no-matching-signature';

/** Thrown by verifyWebhook. `reason` is stable; the message says what arrived and what is allowed. */
export class WebhookVerificationError extends Error {
  readonly code = 'WEBHOOK_VERIFICATION_FAILED' as const;
  readonly reason: WebhookVerificationReason;

  constructor(reason: WebhookVerificationReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WebhookVerificationError';
    this.reason = reason;
  }
}

/** A fetch `Headers`, or a plain object such as node:http's `request.headers`. */
export type WebhookHeaderInput =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyWebhookOptions {
  /** How far the timestamp may be from now, either way. @default 300 */
  readonly toleranceSeconds?: number;
  /** The receiver's clock (ms since the epoch, or a Date). @default Date.now() */
  readonly now?: number | Date;
}

export interface VerifiedWebhook {
  /** `webhook-id`: deduplicate on it (retries and redeliveries reuse it). */
  readonly id: string;
  /** `webhook-timestamp`, Unix seconds. */
  readonly timestamp: number;
  /** The parsed JSON body: `{ type, timestamp, data }`. */
  readonly payload: unknown;
}

export const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * Checks a delivery's headers and signature and returns its parsed body.
 * @param payload the raw request body (string or bytes), not parsed JSON.
 * @param secrets the endpoint's `whsec_` secret, or several during a rotation (any may match).
 * @throws WebhookVerificationError for a missing or malformed header, a timestamp outside the
 *   tolerance (a replay, or a clock far off), no signature matching any secret, a malformed secret,
 *   or a body that is not raw bytes or not JSON.
 */
export function verifyWebhook(
  payload: string | Uint8Array,
  headers: WebhookHeaderInput,
  secrets: string | readonly string[],
  options: VerifyWebhookOptions = {},
): VerifiedWebhook {
  const body = rawBody(payload);
  const id = header(headers, 'webhook-id');
  const timestampText = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!/^\d{1,12}$/.test(timestampText)) {
    throw new WebhookVerificationError(
      'invalid-header',
      `Expected "webhook-timestamp" to be whole Unix seconds but received ${JSON.stringify(timestampText.slice(0, 40))}`,
    );
  }
  const timestamp = Number(timestampText);
  checkTimestamp(timestamp, options);

  const keys = (typeof secrets === 'string' ? [secrets] : secrets).map(secretKey);
  if (keys.length === 0) {
    throw new WebhookVerificationError(
      'invalid-secret',
      'Expected at least one secret but received none',
    );
  }
  const offered = signatures
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice(3), 'base64'));
  const matches = keys.some((key) => {
    const expected = Buffer.from(webhookSignature(key, { id, timestamp, body }), 'base64');
    return offered.some(
      (candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected),
    );
  });
  if (!matches) {
    throw new WebhookVerificationError(
      'no-matching-signature',
      offered.length === 0
        ? 'Expected a "v1,<base64>" entry in "webhook-signature" but received none'
        : `Expected one of ${offered.length} "v1" signatures to match the body under one of ${keys.length} secrets but none does (was the body parsed and re-serialized, or the secret rotated?)`,
    );
  }
  try {
    return { id, timestamp, payload: JSON.parse(Buffer.from(body).toString('utf8')) };
  } catch (error) {
    throw new WebhookVerificationError(
      'invalid-payload',
      'Expected a JSON body but the signed body does not parse',
      { cause: error },
    );
  }
}

function rawBody(payload: unknown): Uint8Array {
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  if (payload instanceof Uint8Array) return payload;
  throw new WebhookVerificationError(
    'invalid-payload',
    `Expected the raw request body as a string or bytes but received ${payload === null ? 'null' : typeof payload}; verify before parsing the JSON`,
  );
}

function header(headers: WebhookHeaderInput, name: string): string {
  let value: string | readonly string[] | null | undefined;
  if (typeof headers.get === 'function') {
    value = (headers as { get(name: string): string | null }).get(name);
  } else {
    const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
    const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name);
    value = key === undefined ? undefined : record[key];
  }
  const text = typeof value === 'string' ? value : Array.isArray(value) ? value.join(' ') : '';
  if (text.trim() === '') {
    throw new WebhookVerificationError(
      'missing-header',
      `Expected a "${name}" header but received none`,
    );
  }
  return text.trim();
}

function checkTimestamp(timestamp: number, options: VerifyWebhookOptions): void {
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const nowMs = options.now === undefined ? Date.now() : Number(options.now);
  const nowSeconds = Math.floor(nowMs / 1000);
  if (timestamp < nowSeconds - tolerance) {
    throw new WebhookVerificationError(
      'timestamp-too-old',
      `Expected "webhook-timestamp" within ${tolerance} s of now but it is ${nowSeconds - timestamp} s old (a replay, or a clock that is off)`,
    );
  }
  if (timestamp > nowSeconds + tolerance) {
    throw new WebhookVerificationError(
      'timestamp-in-future',
      `Expected "webhook-timestamp" within ${tolerance} s of now but it is ${timestamp - nowSeconds} s in the future`,
    );
  }
}

function secretKey(secret: string): Uint8Array {
  try {
    return parseWebhookSecret(secret, 1);
  } catch (error) {
    if (!isAppError(error)) throw error;
    throw new WebhookVerificationError('invalid-secret', error.message, { cause: error });
  }
}
