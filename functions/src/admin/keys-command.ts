import { z } from 'zod';
import { describeValue, NotFoundError, ValidationError } from '#core/errors.ts';
import {
  type ApiKeyRecord,
  type ApiKeyView,
  DEFAULT_KEY_LIMITS,
  generateApiKey,
  KEY_ID_PATTERN,
  type KeyLimits,
  keyView,
} from '#core/keys/api-key.ts';
import type { KeyStore } from '#core/keys/key-store.ts';
import { formatIssues, listZodIssues } from '#core/zod-issues.ts';

/**
 * Key administration on the configured KeyStore: the `vibe keys` CLI, `keys-main.ts`, the admin
 * routes (`/v1/admin/keys`) and the local bootstrap call these. The secret of a key is returned
 * once, by createKey, and never stored, logged or shown again.
 */

function limit(name: string, max: number, integer: boolean) {
  const error = (issue: { readonly input?: unknown }) =>
    `Expected "${name}" to be a positive ${integer ? 'integer' : 'number'} up to ${max}, or null for unlimited, but received ${describeValue(issue.input)}`;
  return (integer ? z.int({ error }) : z.number({ error }))
    .positive({ error })
    .max(max, { error })
    .nullable()
    .optional();
}

/** What `createKey` takes; every limit may be left out (DEFAULT_KEY_LIMITS) or null (unlimited). */
export const createKeyInputSchema = z.strictObject({
  name: z
    .string({
      error: (issue) => `Expected "name" to be a string but received ${describeValue(issue.input)}`,
    })
    .trim()
    .min(1, { error: 'Expected "name" to have 1 to 100 characters but received an empty string' })
    .max(100, { error: 'Expected "name" to have 1 to 100 characters' }),
  ratePerSecond: limit('ratePerSecond', 100_000, false),
  burst: z
    .int({ error: 'Expected "burst" to be an integer from 1 to 100000' })
    .min(1, { error: 'Expected "burst" to be an integer from 1 to 100000' })
    .max(100_000, { error: 'Expected "burst" to be an integer from 1 to 100000' })
    .optional(),
  concurrency: limit('concurrency', 100_000, true),
  jobsPerDay: limit('jobsPerDay', 100_000_000, true),
  admin: z.boolean({ error: 'Expected "admin" to be true or false' }).optional(),
});
export type CreateKeyInput = z.input<typeof createKeyInputSchema>;

export interface CreatedKey {
  readonly key: ApiKeyView;
  /** `vibe_<id>_<secret>`: shown once. */
  readonly token: string;
}

function parseInput(input: unknown): z.output<typeof createKeyInputSchema> {
  const result = createKeyInputSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = listZodIssues(result.error);
  throw new ValidationError('INVALID_ARGUMENT', formatIssues(issues), { details: { issues } });
}

/**
 * Creates a key with the given name, limits and admin flag.
 * @throws ValidationError `INVALID_ARGUMENT` for a bad name or limit.
 */
export async function createKey(
  store: KeyStore,
  input: CreateKeyInput,
  now: Date = new Date(),
): Promise<CreatedKey> {
  const given = parseInput(input);
  const limits: KeyLimits = {
    ratePerSecond:
      given.ratePerSecond === undefined ? DEFAULT_KEY_LIMITS.ratePerSecond : given.ratePerSecond,
    burst: given.burst ?? DEFAULT_KEY_LIMITS.burst,
    concurrency:
      given.concurrency === undefined ? DEFAULT_KEY_LIMITS.concurrency : given.concurrency,
    jobsPerDay: given.jobsPerDay === undefined ? DEFAULT_KEY_LIMITS.jobsPerDay : given.jobsPerDay,
  };
  const generated = generateApiKey();
  const record: ApiKeyRecord = {
    id: generated.id,
    name: given.name,
    secretHash: generated.secretHash,
    createdAt: now.toISOString(),
    revokedAt: null,
    limits,
    admin: given.admin ?? false,
  };
  await store.create(record);
  return { key: keyView(record), token: generated.token };
}

/**
 * Revokes a key: from then on (within the API's key cache time, 5 s by default) it is answered
 * 401 `revoked`. Idempotent.
 * @throws NotFoundError for an unknown id; ValidationError for a string that is not a key id.
 */
export async function revokeKey(
  store: KeyStore,
  id: string,
  now: Date = new Date(),
): Promise<ApiKeyView> {
  if (!KEY_ID_PATTERN.test(id)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected a key id of 16 lowercase hex digits (the part after "vibe_") but received ${describeValue(id)}`,
      { details: { field: 'id' } },
    );
  }
  return keyView(await store.revoke(id, now));
}

/** Every key, oldest first, without hashes. */
export async function listKeys(store: KeyStore): Promise<ApiKeyView[]> {
  return (await store.list()).map(keyView);
}

/** One key without its hash. @throws NotFoundError for an unknown id. */
export async function showKey(store: KeyStore, id: string): Promise<ApiKeyView> {
  const record = await store.get(id);
  if (record === undefined) {
    throw new NotFoundError(
      `Expected the id of an existing API key but no key ${describeValue(id)} exists`,
      {
        details: { keyId: id },
      },
    );
  }
  return keyView(record);
}

/**
 * Local mode's first start: when the store holds no key at all, creates an admin key and returns
 * it (the caller prints the token once); otherwise returns undefined and creates nothing.
 */
export async function bootstrapLocalAdminKey(
  store: KeyStore,
  now: Date = new Date(),
): Promise<CreatedKey | undefined> {
  if ((await store.list()).length > 0) return undefined;
  return createKey(
    store,
    { name: 'local-admin', admin: true, ratePerSecond: null, concurrency: null, jobsPerDay: null },
    now,
  );
}
