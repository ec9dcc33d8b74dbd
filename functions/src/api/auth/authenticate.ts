import { RequestError } from '#core/errors.ts';
import { type ApiKeyRecord, parseApiKeyToken, secretMatches } from '#core/keys/api-key.ts';
import type { Clock } from '../api-types.ts';

export type UnauthenticatedReason = 'missing' | 'malformed' | 'unknown' | 'revoked';

const FORMAT = 'Authorization: Bearer vibe_<16 hex digits>_<43 base64url characters>';
const BEARER = /^\s*Bearer\s+(\S+)\s*$/i;

/** The token of an `Authorization: Bearer <token>` header, or undefined for any other header. */
export function bearerTokenOf(header: string | undefined): string | undefined {
  return BEARER.exec(header ?? '')?.[1];
}

function unauthenticated(reason: UnauthenticatedReason, message: string, keyId?: string) {
  return new RequestError('UNAUTHENTICATED', message, {
    details: { reason, ...(keyId === undefined ? {} : { keyId }) },
  });
}

/**
 * Checks an `Authorization` header and returns the key it names. The secret is never echoed, logged
 * or stored; a wrong secret and an unknown id are both `unknown`, so the answer does not tell which
 * ids exist. `revoked` is said only once the secret matched.
 * @throws RequestError `UNAUTHENTICATED` with `details.reason`.
 */
export async function authenticateBearer(
  header: string | undefined,
  lookup: (id: string) => Promise<ApiKeyRecord | undefined>,
): Promise<ApiKeyRecord> {
  if (header === undefined || header.trim() === '') {
    throw unauthenticated(
      'missing',
      `Expected an API key in the header ${FORMAT} but the request has no Authorization header`,
    );
  }
  const token = bearerTokenOf(header);
  if (token === undefined) {
    const scheme = header.trim().split(/\s+/)[0] ?? '';
    throw unauthenticated(
      'malformed',
      `Expected the header ${FORMAT} but the Authorization header ${/^bearer$/i.test(scheme) ? 'has no token' : `uses the scheme ${JSON.stringify(scheme.slice(0, 20))}`}`,
    );
  }
  const parsed = parseApiKeyToken(token);
  if (parsed === undefined) {
    throw unauthenticated(
      'malformed',
      `Expected a bearer token of the form vibe_<16 hex digits>_<43 base64url characters> but received one of ${token.length} characters that is not`,
    );
  }
  const record = await lookup(parsed.id);
  if (record === undefined || !secretMatches(parsed.secret, record.secretHash)) {
    throw unauthenticated(
      'unknown',
      `Expected an API key issued by this service but key ${parsed.id} does not exist or its secret does not match`,
      parsed.id,
    );
  }
  if (record.revokedAt !== null) {
    throw unauthenticated(
      'revoked',
      `Expected an active API key but key ${record.id} ("${record.name}") was revoked at ${record.revokedAt}; ask an admin for a new key`,
      record.id,
    );
  }
  return record;
}

/**
 * Keys read from the store are reused for `ttlSeconds` (0: never), so a busy key costs one store
 * read per TTL per process. Only keys that exist are cached, so a new key works at once; a
 * revocation takes effect within the TTL.
 */
export function createKeyCache(ttlSeconds: number, clock: Clock) {
  const entries = new Map<string, { record: ApiKeyRecord; until: number }>();
  return {
    async get(
      id: string,
      read: () => Promise<ApiKeyRecord | undefined>,
    ): Promise<ApiKeyRecord | undefined> {
      const now = clock.now();
      const hit = entries.get(id);
      if (hit !== undefined && hit.until > now) return hit.record;
      const record = await read();
      if (record === undefined || ttlSeconds === 0) {
        entries.delete(id);
      } else {
        if (entries.size >= 10_000) entries.clear();
        entries.set(id, { record, until: now + ttlSeconds * 1000 });
      }
      return record;
    },
  };
}
