import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * API keys. The secret a caller holds is `vibe_<id>_<secret>`: the id (16 lowercase hex digits) is
 * public, names the key in logs and owns its jobs; the secret (32 random bytes, base64url) is shown
 * once at creation and only its SHA-256 is stored. Looking a key up by its id and comparing hashes
 * in constant time means a wrong secret costs the same as a right one.
 */
export const API_KEY_PREFIX = 'vibe_';
export const KEY_ID_PATTERN = /^[0-9a-f]{16}$/;
const TOKEN_PATTERN = /^vibe_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** The limits of one key; `null` means unlimited. */
export const keyLimitsSchema = z.strictObject({
  /** Token bucket refill, requests per second (may be fractional, e.g. 0.5). */
  ratePerSecond: z.number().positive().max(100_000).nullable(),
  /** Token bucket size: requests allowed at once after a quiet spell. */
  burst: z.int().min(1).max(100_000),
  /** Jobs of the key that may be `queued` or `running` at once. */
  concurrency: z.int().min(1).max(100_000).nullable(),
  /** Jobs the key may submit per UTC day. */
  jobsPerDay: z.int().min(1).max(100_000_000).nullable(),
});
export type KeyLimits = z.infer<typeof keyLimitsSchema>;

const isoTimestamp = z.iso.datetime({ offset: true });

/** What the KeyStore holds for a key: never the secret. */
export const apiKeyRecordSchema = z.strictObject({
  id: z.string().regex(KEY_ID_PATTERN),
  name: z.string().min(1).max(100),
  /** SHA-256 of the secret part, lowercase hex. */
  secretHash: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: isoTimestamp,
  revokedAt: isoTimestamp.nullable(),
  limits: keyLimitsSchema,
  admin: z.boolean(),
  /** Where API Gateway knows the key (AWS with usage plans); absent where no gateway enforces rates. */
  gateway: z
    .strictObject({
      plan: z.string().min(1).max(128),
      planId: z.string().min(1).max(64),
      gatewayKeyId: z.string().min(1).max(64),
    })
    .optional(),
});
export type ApiKeyRecord = z.infer<typeof apiKeyRecordSchema>;

/** The defaults of `createKey` for a field it is not given. */
export const DEFAULT_KEY_LIMITS: KeyLimits = Object.freeze({
  ratePerSecond: 5,
  burst: 10,
  concurrency: 4,
  jobsPerDay: 1000,
});

export interface NewApiKey {
  /** `vibe_<id>_<secret>`: give it to the caller once, never store or log it. */
  readonly token: string;
  readonly id: string;
  readonly secretHash: string;
}

/** A fresh key id and secret from the system's CSPRNG. */
export function generateApiKey(random: (size: number) => Buffer = randomBytes): NewApiKey {
  const id = random(8).toString('hex');
  const secret = random(32).toString('base64url');
  return { token: `${API_KEY_PREFIX}${id}_${secret}`, id, secretHash: hashSecret(secret) };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The id and secret of a well-formed token, or undefined. */
export function parseApiKeyToken(token: string): { id: string; secret: string } | undefined {
  const match = TOKEN_PATTERN.exec(token);
  if (match === null) return undefined;
  return { id: match[1] ?? '', secret: match[2] ?? '' };
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secret: string, secretHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(secretHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

/** A key as shown to admins: everything but the hash. */
export function keyView(record: ApiKeyRecord) {
  return {
    id: record.id,
    name: record.name,
    createdAt: record.createdAt,
    revokedAt: record.revokedAt,
    limits: record.limits,
    admin: record.admin,
    /** The usage plan that enforces the key's rate at the gateway; null where none does. */
    plan: record.gateway?.plan ?? null,
  };
}
export type ApiKeyView = ReturnType<typeof keyView>;
