import { randomBytes } from 'node:crypto';
import { ValidationError } from '../errors.ts';

/**
 * Standard Webhooks symmetric secrets: `whsec_` followed by the base64 of 24 to 64 random bytes.
 * The HMAC key is the decoded bytes, not the text.
 */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
export const WEBHOOK_SECRET_BYTES = { min: 24, max: 64 } as const;
/** A raw secret (see parseSigningSecrets) must have at least this many characters. */
export const MIN_RAW_SECRET_CHARS = 32;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The key bytes of a `whsec_` secret.
 * @param minBytes the spec's minimum (24) for the sender's own secrets; receivers may pass 1 to
 *   accept shorter secrets from other senders.
 * @throws ValidationError `INVALID_ARGUMENT` naming what is wrong (never the secret itself).
 */
export function parseWebhookSecret(
  text: string,
  minBytes: number = WEBHOOK_SECRET_BYTES.min,
): Uint8Array {
  if (!text.startsWith(WEBHOOK_SECRET_PREFIX)) {
    throw secretError(`it does not start with "${WEBHOOK_SECRET_PREFIX}"`);
  }
  const encoded = text.slice(WEBHOOK_SECRET_PREFIX.length);
  if (!BASE64.test(encoded) || encoded.length % 4 === 1) {
    throw secretError(`the part after "${WEBHOOK_SECRET_PREFIX}" is not base64`);
  }
  const key = new Uint8Array(Buffer.from(encoded, 'base64'));
  if (key.byteLength < minBytes || key.byteLength > WEBHOOK_SECRET_BYTES.max) {
    throw secretError(
      `it decodes to ${key.byteLength} bytes (allowed: ${minBytes} to ${WEBHOOK_SECRET_BYTES.max})`,
    );
  }
  return key;
}

/** `whsec_<base64>` of a key. */
export function formatWebhookSecret(key: Uint8Array): string {
  return `${WEBHOOK_SECRET_PREFIX}${Buffer.from(key).toString('base64')}`;
}

/** A new random secret of `bytes` bytes (default 32), in the `whsec_` form. */
export function generateWebhookSecret(bytes = 32): string {
  if (
    !Number.isInteger(bytes) ||
    bytes < WEBHOOK_SECRET_BYTES.min ||
    bytes > WEBHOOK_SECRET_BYTES.max
  ) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected a secret length from ${WEBHOOK_SECRET_BYTES.min} to ${WEBHOOK_SECRET_BYTES.max} bytes but received ${String(bytes)}`,
    );
  }
  return formatWebhookSecret(randomBytes(bytes));
}

/**
 * The signing keys of a deployment, from one configured value: one or more secrets separated by
 * white space or commas, newest first (during a rotation both sign, Standard Webhooks' "several
 * signatures"). Each is a `whsec_` secret, or a raw secret of at least 32 characters (what the
 * stack's generated Secrets Manager value is) whose UTF-8 bytes are the key; the receiver's
 * `whsec_` form of a raw secret is `formatWebhookSecret(utf8 bytes)`.
 * @throws ValidationError `INVALID_ARGUMENT` when there is no secret or one is malformed.
 */
export function parseSigningSecrets(value: string): Uint8Array[] {
  const parts = value.split(/[\s,]+/).filter((part) => part !== '');
  if (parts.length === 0) throw secretError('no secret was given');
  return parts.map((part) => {
    if (part.startsWith(WEBHOOK_SECRET_PREFIX)) return parseWebhookSecret(part);
    if (part.length < MIN_RAW_SECRET_CHARS) {
      throw secretError(
        `a secret without the "${WEBHOOK_SECRET_PREFIX}" prefix has ${part.length} characters (a raw secret needs at least ${MIN_RAW_SECRET_CHARS})`,
      );
    }
    return new Uint8Array(Buffer.from(part, 'utf8'));
  });
}

function secretError(problem: string): ValidationError {
  return new ValidationError(
    'INVALID_ARGUMENT',
    `Expected a webhook secret "${WEBHOOK_SECRET_PREFIX}<base64 of ${WEBHOOK_SECRET_BYTES.min} to ${WEBHOOK_SECRET_BYTES.max} bytes>" but ${problem}`,
    { details: { field: 'webhookSecret' } },
  );
}
