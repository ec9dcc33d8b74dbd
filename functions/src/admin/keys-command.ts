import { z } from 'zod';
import { ENV } from '#core/config/env-names.ts';
import { DependencyError, describeValue, NotFoundError, ValidationError } from '#core/errors.ts';
import {
  type ApiKeyRecord,
  type ApiKeyView,
  DEFAULT_KEY_LIMITS,
  generateApiKey,
  KEY_ID_PATTERN,
  type KeyLimits,
  keyView,
} from '#core/keys/api-key.ts';
import {
  type GatewayBinding,
  type GatewayPlan,
  type KeyGateway,
  usageIdentifierOf,
} from '#core/keys/key-gateway.ts';
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
  /** Where API Gateway enforces rates (AWS): the usage plan of the key; its rate and burst apply. */
  plan: z
    .string({
      error: (issue) =>
        `Expected "plan" to be the name of a usage plan but received ${describeValue(issue.input)}`,
    })
    .min(1)
    .max(128)
    .optional(),
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
 * Creates a key with the given name, limits and admin flag. With a gateway (API Gateway on AWS),
 * the key's rate and burst are those of a usage plan, `plan` by name or the one whose limits
 * equal the requested (or default) rate and burst, and the key is registered in that plan before
 * it is stored; a failed store removes the registration again, so no half-made key remains.
 * @throws ValidationError `INVALID_ARGUMENT` for a bad name or limit, an unknown plan, or limits
 *   no plan has; DependencyError when the gateway or the store fails (nothing is kept).
 */
export async function createKey(
  store: KeyStore,
  input: CreateKeyInput,
  now: Date = new Date(),
  gateway?: KeyGateway,
): Promise<CreatedKey> {
  const given = parseInput(input);
  const requested: KeyLimits = {
    ratePerSecond:
      given.ratePerSecond === undefined ? DEFAULT_KEY_LIMITS.ratePerSecond : given.ratePerSecond,
    burst: given.burst ?? DEFAULT_KEY_LIMITS.burst,
    concurrency:
      given.concurrency === undefined ? DEFAULT_KEY_LIMITS.concurrency : given.concurrency,
    jobsPerDay: given.jobsPerDay === undefined ? DEFAULT_KEY_LIMITS.jobsPerDay : given.jobsPerDay,
  };
  if (gateway === undefined && given.plan !== undefined) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected no "plan": usage plans exist only where API Gateway enforces rates (AWS with ${ENV.apiGatewayStage}), and this server enforces each key's ratePerSecond and burst itself, but received plan ${describeValue(given.plan)}`,
      { details: { field: 'plan' } },
    );
  }
  const plan =
    gateway === undefined ? undefined : choosePlan(await gateway.plans(), given, requested);
  const limits: KeyLimits =
    plan === undefined
      ? requested
      : { ...requested, ratePerSecond: plan.ratePerSecond, burst: plan.burst ?? requested.burst };
  const generated = generateApiKey();
  let binding: GatewayBinding | undefined;
  if (gateway !== undefined && plan !== undefined) {
    const { gatewayKeyId } = await gateway.register({
      keyId: generated.id,
      keyName: given.name,
      usageIdentifier: usageIdentifierOf(generated.token),
      planId: plan.id,
    });
    binding = { plan: plan.name, planId: plan.id, gatewayKeyId };
  }
  const record: ApiKeyRecord = {
    id: generated.id,
    name: given.name,
    secretHash: generated.secretHash,
    createdAt: now.toISOString(),
    revokedAt: null,
    limits,
    admin: given.admin ?? false,
    ...(binding === undefined ? {} : { gateway: binding }),
  };
  try {
    await store.create(record);
  } catch (error) {
    if (gateway !== undefined && binding !== undefined) {
      // The token was never shown, so the registration is useless; a failure to remove it
      // leaves a gateway key nobody can present, which the original error outranks.
      await gateway.unregister(binding.gatewayKeyId).catch(() => undefined);
    }
    throw error;
  }
  return { key: keyView(record), token: generated.token };
}

function describePlan(plan: GatewayPlan): string {
  const rate =
    plan.ratePerSecond === null
      ? 'no rate limit'
      : `${plan.ratePerSecond} requests/s, burst ${plan.burst ?? plan.ratePerSecond}`;
  return `${plan.name} (${rate})`;
}

/** The plan named by `given.plan`, or the one whose rate and burst equal the requested ones. */
function choosePlan(
  plans: readonly GatewayPlan[],
  given: z.output<typeof createKeyInputSchema>,
  requested: KeyLimits,
): GatewayPlan {
  const available = plans.map(describePlan).join('; ') || 'none';
  if (given.plan !== undefined) {
    const named = plans.find((plan) => plan.name === given.plan);
    if (named === undefined) {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        `Expected "plan" to name one of the API's usage plans (${available}) but received ${describeValue(given.plan)}`,
        { details: { field: 'plan', allowed: plans.map((plan) => plan.name) } },
      );
    }
    const rateGiven = given.ratePerSecond !== undefined || given.burst !== undefined;
    if (rateGiven && !sameRate(named, requested)) {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        `Expected "ratePerSecond" and "burst" to be left out or to equal those of plan ${describePlan(named)}, because API Gateway enforces the plan's rate, but received ratePerSecond ${requested.ratePerSecond ?? 'null'}, burst ${requested.burst}`,
        { details: { field: 'ratePerSecond', plan: named.name } },
      );
    }
    return named;
  }
  const matching = plans.find((plan) => sameRate(plan, requested));
  if (matching === undefined) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "plan", or a ratePerSecond and burst that one of the API's usage plans has (${available}), because API Gateway enforces rates per plan, but received ratePerSecond ${requested.ratePerSecond ?? 'null'}, burst ${requested.burst}`,
      { details: { field: 'plan', allowed: plans.map((plan) => plan.name) } },
    );
  }
  return matching;
}

function sameRate(plan: GatewayPlan, limits: KeyLimits): boolean {
  if (plan.ratePerSecond === null) return limits.ratePerSecond === null;
  return plan.ratePerSecond === limits.ratePerSecond && plan.burst === limits.burst;
}

/**
 * Revokes a key: from then on (within the API's key cache time, 5 s by default) it is answered
 * 401 `revoked`, and with a gateway its gateway key is removed, so API Gateway refuses it too.
 * Idempotent: revoking again retries a gateway removal that failed.
 * @throws NotFoundError for an unknown id; ValidationError for a string that is not a key id.
 */
export async function revokeKey(
  store: KeyStore,
  id: string,
  now: Date = new Date(),
  gateway?: KeyGateway,
): Promise<ApiKeyView> {
  if (!KEY_ID_PATTERN.test(id)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected a key id of 16 lowercase hex digits (the part after "vibe_") but received ${describeValue(id)}`,
      { details: { field: 'id' } },
    );
  }
  const record = await store.revoke(id, now);
  if (gateway !== undefined && record.gateway !== undefined) {
    try {
      await gateway.unregister(record.gateway.gatewayKeyId);
    } catch (error) {
      throw new DependencyError(
        `Key ${id} is revoked (the API refuses it) but its API Gateway key ${record.gateway.gatewayKeyId} was not removed; revoke again to finish`,
        { cause: error, details: { keyId: id, gatewayKeyId: record.gateway.gatewayKeyId } },
      );
    }
  }
  return keyView(record);
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
