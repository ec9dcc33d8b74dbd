import type { ErrorCode } from '#core/errors.ts';

/**
 * The headers that go with the refusals of keys, limits and idempotency: `WWW-Authenticate` on a
 * 401 (RFC 6750: the Bearer scheme and why the token was refused), `Retry-After` on a 429 and on
 * an idempotent request still in flight (whole seconds, from `details.retryAfterSeconds`).
 */
export function authAndLimitHeaders(
  code: ErrorCode,
  details: Readonly<Record<string, unknown>> | undefined,
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (code === 'UNAUTHENTICATED') {
    const reason = details?.reason;
    headers['www-authenticate'] =
      reason === 'missing'
        ? 'Bearer realm="vibe"'
        : `Bearer realm="vibe", error="invalid_token", error_description="${String(reason)} key"`;
  }
  const retryAfter = details?.retryAfterSeconds;
  if (typeof retryAfter === 'number' && Number.isFinite(retryAfter) && retryAfter >= 0) {
    headers['retry-after'] = String(Math.ceil(retryAfter));
  }
  return headers;
}
