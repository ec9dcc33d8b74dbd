import type { ErrorCode } from '#core/errors.ts';
import { HTTP_ERRORS } from '../api/http-errors.ts';

/**
 * Every error code an HTTP answer can carry, with its status from the one table
 * (http-errors.ts): the codes a request can cause, plus `DEPENDENCY_UNAVAILABLE` (503) and
 * `INTERNAL` (500). Codes a request cannot cause (worker and deployment failures) only appear in a
 * job's `error` field.
 */
export const ERROR_CODES = (Object.keys(HTTP_ERRORS) as ErrorCode[]).filter(
  (code) => HTTP_ERRORS[code].expose || code === 'DEPENDENCY_UNAVAILABLE' || code === 'INTERNAL',
) as [ErrorCode, ...ErrorCode[]];

/** The HTTP status of a code. */
export function statusOf(code: ErrorCode): number {
  return HTTP_ERRORS[code].status;
}

/**
 * When each code is answered, for the document's table. A test requires one for every code in
 * ERROR_CODES, so a new code cannot ship undocumented.
 */
export const ERROR_DESCRIPTIONS: Partial<Record<ErrorCode, string>> = {
  INVALID_ARGUMENT:
    'Malformed JSON, unknown field, wrong type, value out of range, two image sources, a URL that is not https, a malformed data URI or upload id, a broken multipart body.',
  INVALID_INSTRUCTION:
    'Instruction missing, empty, too long, with control characters, lone surrogates or model control tokens.',
  UNAUTHENTICATED: 'No API key, a malformed `Authorization` header, or an unknown or revoked key.',
  ACCESS_DENIED:
    'The key may not do this (an admin route), or a signed local blob URL whose signature, expiry or content type does not hold.',
  NOT_FOUND: 'Unknown path or unknown id (another key’s resources look the same: absent).',
  UPLOAD_NOT_FOUND: 'Nothing uploaded (yet) for the upload id.',
  METHOD_NOT_ALLOWED: 'Known path, other method (`Allow` header).',
  CONFLICT: 'Cancel of a finished job (`details.status`).',
  IDEMPOTENCY_KEY_REUSED:
    'The `Idempotency-Key` was used with a different request (method, path or body) in the last 24 h.',
  IDEMPOTENCY_IN_PROGRESS:
    'A request with the same `Idempotency-Key` is still being handled; retry after `Retry-After`.',
  UPLOAD_EXPIRED: 'Upload id past its PUT expiry with nothing uploaded, or past `usableUntil`.',
  PAYLOAD_TOO_LARGE:
    'Request body over the body limit, or an inline image over the inline limit: use `POST /v1/uploads`.',
  UNSUPPORTED_MEDIA_TYPE: 'A Content-Type the route does not take.',
  UNSUPPORTED_IMAGE_FORMAT:
    'Bytes that are not JPEG, PNG or WebP, or a URL that answers a non-image.',
  INVALID_IMAGE: 'Empty image, unreadable header.',
  IMAGE_TOO_LARGE:
    'Over the pixel limit (from the header), or an upload or URL image over the size limit.',
  IMAGE_TOO_SMALL: 'A side under 32 px.',
  UNSUPPORTED_ASPECT_RATIO: 'Longer side over 200 × the shorter.',
  IMAGE_FETCH_FAILED: 'The image URL failed (`details.reason`).',
  RATE_LIMITED: 'The key’s request rate is spent; retry after `Retry-After`.',
  CONCURRENCY_LIMITED:
    'The key has as many queued and running jobs as it may; retry after `Retry-After`.',
  QUOTA_EXCEEDED: 'The key’s daily quota (UTC) is spent; retry after `Retry-After`.',
  DEPENDENCY_UNAVAILABLE:
    'A store or queue failed or did not answer in time; nothing was stored; retry after `Retry-After`.',
  INTERNAL: 'Anything else; the log has the cause under the request id.',
};

/** The Markdown table of codes, statuses and causes for the document's description. */
export function errorTable(): string {
  const rows = [...ERROR_CODES]
    .sort((a, b) => statusOf(a) - statusOf(b) || a.localeCompare(b))
    .map((code) => `| \`${code}\` | ${statusOf(code)} | ${ERROR_DESCRIPTIONS[code] ?? ''} |`);
  return ['| Code | Status | When |', '|---|---|---|', ...rows].join('\n');
}
