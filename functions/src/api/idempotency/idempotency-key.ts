import { ValidationError } from '#core/errors.ts';

/** The longest Idempotency-Key accepted (Stripe's limit too). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** Visible ASCII, no spaces: a UUID, a ULID, `order-42:attempt`, a hash. */
const KEY_PATTERN = /^[\x21-\x7e]+$/;

/**
 * The `Idempotency-Key` header of a request, checked: 1 to 255 visible ASCII characters.
 * @returns undefined when the header is absent.
 * @throws ValidationError `INVALID_ARGUMENT` (400) for an empty, too long or non-ASCII key.
 */
export function readIdempotencyKey(headers: Readonly<Record<string, string>>): string | undefined {
  const raw = headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const key = raw.trim();
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !KEY_PATTERN.test(key)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected the Idempotency-Key header to be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters (no spaces; e.g. a UUID) but received ${describeKey(key)}`,
      {
        details: {
          field: 'Idempotency-Key',
          maxLength: MAX_IDEMPOTENCY_KEY_LENGTH,
          length: key.length,
        },
      },
    );
  }
  return key;
}

function describeKey(key: string): string {
  if (key.length === 0) return 'an empty value';
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) return `${key.length} characters`;
  return 'a value with spaces, control or non-ASCII characters';
}
