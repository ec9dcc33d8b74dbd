import { ValidationError } from '../errors.ts';

/**
 * Blob keys are `/`-separated segments of letters, digits, `_`, `-` and `.`, where no segment is
 * empty or starts with a dot (so `.`/`..` path tricks and hidden files are impossible), at most
 * 1024 characters. Both adapters enforce the same rule, so a key that works locally works in S3
 * and maps to a file inside the local root.
 */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const MAX_KEY_LENGTH = 1024;

export function isValidBlobKey(key: string): boolean {
  return (
    key.length > 0 && key.length <= MAX_KEY_LENGTH && key.split('/').every((s) => SEGMENT.test(s))
  );
}

/** Throws ValidationError unless `key` is a valid blob key; returns it otherwise. */
export function checkBlobKey(key: string): string {
  if (!isValidBlobKey(key)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected a blob key of "/"-separated segments (letters, digits, "_", "-", "."; no empty or dot-leading segment; at most ${MAX_KEY_LENGTH} characters) but received ${JSON.stringify(key.slice(0, 80))}`,
      { details: { field: 'key' } },
    );
  }
  return key;
}

/** Limits of signed URLs, shared by every adapter (S3 caps presigned URLs at 7 days). */
export const SIGNED_URL_LIMITS = {
  expiresInSeconds: { min: 1, max: 604_800 },
  maxBytes: { min: 1, max: 5 * 1024 ** 3 },
} as const;

export function checkSignedUrlInteger(name: keyof typeof SIGNED_URL_LIMITS, value: number): number {
  const { min, max } = SIGNED_URL_LIMITS[name];
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "${name}" to be an integer from ${min} to ${max} but received ${String(value)}`,
      { details: { field: name, min, max, received: value } },
    );
  }
  return value;
}

/**
 * Validates the options of `BlobStore.signedUploadUrl` the same way in every adapter.
 * `contentLength`, when given, must fit within `maxBytes`.
 */
export function checkSignedUploadOptions(options: {
  readonly expiresInSeconds: number;
  readonly maxBytes: number;
  readonly contentLength?: number;
}): void {
  checkSignedUrlInteger('expiresInSeconds', options.expiresInSeconds);
  const maxBytes = checkSignedUrlInteger('maxBytes', options.maxBytes);
  if (options.contentLength !== undefined) {
    const length = options.contentLength;
    if (!Number.isInteger(length) || length < 0 || length > maxBytes) {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        `Expected "contentLength" to be an integer from 0 to maxBytes (${maxBytes}) but received ${String(length)}`,
        { details: { field: 'contentLength', max: maxBytes, received: length } },
      );
    }
  }
}
