import { ValidationError } from '#core/errors.ts';

/**
 * Upload ids carry the expiry of their PUT URL: `upl_<expiry in unix seconds, base 36>_<hex>`.
 * The blob key is `uploads/<uploadId>`, so an id whose expiry was edited names a key that nothing
 * could have been uploaded to: the expiry can be trusted whenever the object exists, and no upload
 * record has to be stored.
 */
const UPLOAD_ID = /^upl_([0-9a-z]{1,10})_([0-9a-f]{24,32})$/;

export function makeUploadId(expiresAt: Date, token: string): string {
  const id = `upl_${Math.floor(expiresAt.getTime() / 1000).toString(36)}_${token}`;
  if (!UPLOAD_ID.test(id)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected an upload token of 24 to 32 lowercase hex digits but received ${JSON.stringify(token.slice(0, 40))}`,
    );
  }
  return id;
}

/**
 * @returns when the id's PUT URL expires.
 * @throws ValidationError `INVALID_ARGUMENT` for a string that is not an upload id.
 */
export function parseUploadId(id: string): Date {
  const match = UPLOAD_ID.exec(id);
  if (match === null) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "image.uploadId" to be an id returned by POST /v1/uploads (upl_<expiry>_<hex>) but received ${JSON.stringify(id.slice(0, 70))}`,
      { details: { field: 'image.uploadId' } },
    );
  }
  return new Date(Number.parseInt(match[1] ?? '', 36) * 1000);
}
