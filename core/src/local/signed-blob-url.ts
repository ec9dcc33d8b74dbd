import { createHmac, timingSafeEqual } from 'node:crypto';
import { isValidBlobKey } from '../blob/blob-key.ts';
import { ValidationError } from '../errors.ts';

/** The path under which the local server serves signed blob URLs: `/local-blobs/<key>`. */
export const LOCAL_BLOB_PATH_PREFIX = '/local-blobs/';

export type SignedBlobMethod = 'GET' | 'PUT';

export interface BlobUrlClaims {
  readonly key: string;
  readonly method: SignedBlobMethod;
  readonly expiresAt: Date;
  /** PUT only: the largest body the server may accept. */
  readonly maxBytes?: number;
  /** PUT only: the Content-Type the upload must carry. */
  readonly contentType?: string;
}

export type VerifiedBlobUrl =
  | ({ readonly ok: true } & BlobUrlClaims)
  | { readonly ok: false; readonly reason: 'malformed' | 'expired' | 'bad-signature' };

const MIN_SECRET_BYTES = 16;

/** Checks a signing secret once, at construction time. */
export function checkSigningSecret(secret: string | Uint8Array): Uint8Array {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (bytes.byteLength < MIN_SECRET_BYTES) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected a URL signing secret of at least ${MIN_SECRET_BYTES} bytes but received ${bytes.byteLength}`,
    );
  }
  return bytes;
}

function stringToSign(claims: BlobUrlClaims, expires: number): string {
  // The method, the size limit and the content type are bound into the signature, so a GET URL
  // cannot be replayed as an upload and an upload's limit cannot be raised by editing the query.
  return [
    'vibe-blob-v1',
    claims.method,
    claims.key,
    String(expires),
    claims.maxBytes === undefined ? '' : String(claims.maxBytes),
    claims.contentType ?? '',
  ].join('\n');
}

function sign(secret: Uint8Array, claims: BlobUrlClaims, expires: number): Buffer {
  return createHmac('sha256', secret).update(stringToSign(claims, expires)).digest();
}

/**
 * Builds `<baseUrl>/local-blobs/<key>?expires=<unix s>[&max=<bytes>][&ct=<type>]&sig=<HMAC>`, an
 * HMAC-SHA256-signed URL that the local server checks with `verifySignedBlobUrl`.
 */
export function signBlobUrl(baseUrl: string, secret: Uint8Array, claims: BlobUrlClaims): string {
  const expires = Math.floor(claims.expiresAt.getTime() / 1000);
  const url = new URL(baseUrl);
  const path = claims.key.split('/').map(encodeURIComponent).join('/');
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${LOCAL_BLOB_PATH_PREFIX}${path}`;
  url.search = '';
  url.searchParams.set('expires', String(expires));
  if (claims.maxBytes !== undefined) url.searchParams.set('max', String(claims.maxBytes));
  if (claims.contentType !== undefined) url.searchParams.set('ct', claims.contentType);
  url.searchParams.set('sig', sign(secret, claims, expires).toString('base64url'));
  return url.toString();
}

/**
 * Checks a signed blob URL for a request with `method` (HEAD counts as GET). Only the path from
 * `/local-blobs/` on and the query matter, so the URL may be relative to any host. Never throws.
 */
export function verifySignedBlobUrl(
  url: string | URL,
  options: { readonly method: string; readonly secret: Uint8Array; readonly now?: number },
): VerifiedBlobUrl {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url, 'http://local.invalid') : url;
  } catch {
    // An unparseable URL is simply not a valid signed URL; the reason says so.
    return { ok: false, reason: 'malformed' };
  }
  const at = parsed.pathname.indexOf(LOCAL_BLOB_PATH_PREFIX);
  const expiresText = parsed.searchParams.get('expires');
  const maxText = parsed.searchParams.get('max');
  const contentType = parsed.searchParams.get('ct') ?? undefined;
  const signature = parsed.searchParams.get('sig');
  if (at < 0 || expiresText === null || signature === null || !/^\d{1,12}$/.test(expiresText)) {
    return { ok: false, reason: 'malformed' };
  }
  if (maxText !== null && !/^\d{1,15}$/.test(maxText)) return { ok: false, reason: 'malformed' };
  let key: string;
  try {
    key = parsed.pathname
      .slice(at + LOCAL_BLOB_PATH_PREFIX.length)
      .split('/')
      .map(decodeURIComponent)
      .join('/');
  } catch {
    // Bad percent-encoding: malformed, reported through the result.
    return { ok: false, reason: 'malformed' };
  }
  if (!isValidBlobKey(key)) return { ok: false, reason: 'malformed' };
  const upper = options.method.toUpperCase();
  const method: SignedBlobMethod = upper === 'PUT' ? 'PUT' : 'GET';
  if (upper !== 'PUT' && upper !== 'GET' && upper !== 'HEAD') {
    return { ok: false, reason: 'bad-signature' };
  }
  const expires = Number(expiresText);
  const claims: BlobUrlClaims = {
    key,
    method,
    expiresAt: new Date(expires * 1000),
    ...(maxText === null ? {} : { maxBytes: Number(maxText) }),
    ...(contentType === undefined ? {} : { contentType }),
  };
  const expected = sign(options.secret, claims, expires);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad-signature' };
  }
  if ((options.now ?? Date.now()) >= expires * 1000) return { ok: false, reason: 'expired' };
  return { ok: true, ...claims };
}
