import {
  type APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  GetUsagePlansCommand,
  type UsagePlan,
  type UsagePlans,
} from '@aws-sdk/client-api-gateway';
import { DependencyError, describeValue, ValidationError } from '../errors.ts';
import type {
  GatewayKeyRegistration,
  GatewayPlan,
  GatewayQuota,
  KeyGateway,
} from '../keys/key-gateway.ts';
import { dependencyError, hasAwsErrorName, httpStatusOf } from './aws-errors.ts';

export interface ApiGatewayKeyGatewayOptions {
  readonly client: APIGatewayClient;
  /** The REST API whose stage the plans must cover. */
  readonly restApiId: string;
  readonly stage: string;
  /** How long `plans()` reuses its last answer (default 60): plans change only on deploy. */
  readonly planCacheSeconds?: number;
  /** Milliseconds since the epoch (default Date.now), for the plan cache. */
  readonly now?: () => number;
}

/** The most plans GetUsagePlans returns per page. */
const PAGE_LIMIT = 500;
/**
 * API Gateway documents no length for an API key's description; key names are at most 100
 * characters, so this cut only guards against a future longer name.
 */
const DESCRIPTION_MAX = 125;
const QUOTA_PERIODS: readonly string[] = [
  'DAY',
  'WEEK',
  'MONTH',
] satisfies GatewayQuota['period'][];

/**
 * The KeyGateway of AWS: API Gateway usage plans of one REST API stage. A key is an API key whose
 * value is the usage identifier (the Lambda authorizer returns it as `usageIdentifierKey`), put in
 * one usage plan. Every SDK failure becomes a DependencyError with the SDK error as `cause`; the
 * usage identifier never appears in a message or in details.
 */
export class ApiGatewayKeyGateway implements KeyGateway {
  readonly #client: APIGatewayClient;
  readonly #restApiId: string;
  readonly #stage: string;
  readonly #cacheMs: number;
  readonly #now: () => number;
  #cache: { readonly at: number; readonly plans: Promise<readonly GatewayPlan[]> } | undefined;

  constructor(options: ApiGatewayKeyGatewayOptions) {
    const seconds = options.planCacheSeconds ?? 60;
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        `Expected planCacheSeconds to be a finite number of at least 0 but received ${describeValue(seconds)}`,
      );
    }
    this.#client = options.client;
    this.#restApiId = options.restApiId;
    this.#stage = options.stage;
    this.#cacheMs = seconds * 1000;
    this.#now = options.now ?? Date.now;
  }

  plans(): Promise<readonly GatewayPlan[]> {
    const now = this.#now();
    if (this.#cache !== undefined && now - this.#cache.at < this.#cacheMs) return this.#cache.plans;
    // Concurrent callers share one listing; a failed listing is not cached.
    const plans = this.#listPlans();
    const entry = { at: now, plans };
    this.#cache = entry;
    plans.catch(() => {
      if (this.#cache === entry) this.#cache = undefined;
    });
    return plans;
  }

  async register(key: GatewayKeyRegistration): Promise<{ readonly gatewayKeyId: string }> {
    const context = { keyId: key.keyId, planId: key.planId };
    let gatewayKeyId: string | undefined;
    try {
      const created = await this.#client.send(
        new CreateApiKeyCommand({
          name: `vibe-${key.keyId}`,
          // By code points, so the cut never splits a surrogate pair.
          description: [...key.keyName].slice(0, DESCRIPTION_MAX).join(''),
          enabled: true,
          value: key.usageIdentifier,
          // No tags: tagging on create needs a further IAM grant, and the name holds the key id.
        }),
      );
      gatewayKeyId = created.id;
    } catch (error) {
      throw dependencyError('API Gateway CreateApiKey', error, context);
    }
    if (gatewayKeyId === undefined) {
      throw new DependencyError(
        'Expected API Gateway CreateApiKey to answer with the new key id but the answer had none',
        { details: { operation: 'API Gateway CreateApiKey', ...context } },
      );
    }
    try {
      await this.#client.send(
        new CreateUsagePlanKeyCommand({
          usagePlanId: key.planId,
          keyId: gatewayKeyId,
          keyType: 'API_KEY',
        }),
      );
    } catch (error) {
      const rollback = await this.#rollback(gatewayKeyId);
      throw dependencyError('API Gateway CreateUsagePlanKey', error, {
        ...context,
        gatewayKeyId,
        ...rollback,
      });
    }
    return { gatewayKeyId };
  }

  async unregister(gatewayKeyId: string): Promise<void> {
    try {
      await this.#client.send(new DeleteApiKeyCommand({ apiKey: gatewayKeyId }));
    } catch (error) {
      if (isNotFound(error)) return;
      throw dependencyError('API Gateway DeleteApiKey', error, { gatewayKeyId });
    }
  }

  async #listPlans(): Promise<readonly GatewayPlan[]> {
    const plans: GatewayPlan[] = [];
    let position: string | undefined;
    do {
      let page: UsagePlans;
      try {
        page = await this.#client.send(
          new GetUsagePlansCommand({
            limit: PAGE_LIMIT,
            ...(position === undefined ? {} : { position }),
          }),
        );
      } catch (error) {
        throw dependencyError('API Gateway GetUsagePlans', error, {
          restApiId: this.#restApiId,
          stage: this.#stage,
        });
      }
      for (const plan of page.items ?? []) {
        if (this.#coversStage(plan)) plans.push(toGatewayPlan(plan));
      }
      position = page.position;
    } while (position !== undefined);
    return plans.sort((a, b) => compare(a.name, b.name) || compare(a.id, b.id));
  }

  #coversStage(plan: UsagePlan): boolean {
    return (plan.apiStages ?? []).some(
      (apiStage) => apiStage.apiId === this.#restApiId && apiStage.stage === this.#stage,
    );
  }

  /** Deletes an API key whose plan registration failed; its own failure is only reported. */
  async #rollback(gatewayKeyId: string): Promise<Record<string, unknown>> {
    try {
      await this.#client.send(new DeleteApiKeyCommand({ apiKey: gatewayKeyId }));
      return { rollback: 'deleted' };
    } catch (error) {
      if (isNotFound(error)) return { rollback: 'deleted' };
      const name = error instanceof Error ? error.name : 'an error';
      const status = httpStatusOf(error);
      return {
        rollback: 'failed',
        rollbackError: {
          operation: 'API Gateway DeleteApiKey',
          name,
          ...(status === undefined ? {} : { status }),
        },
      };
    }
  }
}

function isNotFound(error: unknown): boolean {
  return hasAwsErrorName(error, 'NotFoundException') || httpStatusOf(error) === 404;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toGatewayPlan(plan: UsagePlan): GatewayPlan {
  const { id, name } = plan;
  if (id === undefined || name === undefined) {
    throw new DependencyError(
      `Expected API Gateway GetUsagePlans to answer with plan ids and names but plan ${describeValue(id)} has name ${describeValue(name)}`,
      { details: { operation: 'API Gateway GetUsagePlans' } },
    );
  }
  return {
    id,
    name,
    ratePerSecond: plan.throttle?.rateLimit ?? null,
    burst: plan.throttle?.burstLimit ?? null,
    quota: toQuota(plan),
  };
}

function toQuota({ id, quota }: UsagePlan): GatewayQuota | null {
  if (quota?.limit === undefined) return null;
  const { limit, period } = quota;
  if (!isQuotaPeriod(period)) {
    throw new DependencyError(
      `Expected the quota period of usage plan ${id} to be DAY, WEEK or MONTH but received ${describeValue(period)}`,
      { details: { operation: 'API Gateway GetUsagePlans', planId: id } },
    );
  }
  return { limit, period };
}

function isQuotaPeriod(period: string | undefined): period is GatewayQuota['period'] {
  return period !== undefined && QUOTA_PERIODS.includes(period);
}
