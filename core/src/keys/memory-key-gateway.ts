import { DependencyError } from '../errors.ts';
import type { GatewayKeyRegistration, GatewayPlan, KeyGateway } from './key-gateway.ts';

/** A registered key as the in-memory gateway holds it. */
export interface MemoryGatewayKey {
  readonly gatewayKeyId: string;
  readonly keyId: string;
  readonly keyName: string;
  readonly usageIdentifier: string;
  readonly planId: string;
}

/**
 * A KeyGateway in memory: the reference behaviour of the port for its contract suite, and the
 * gateway of tests that run the authorizer and key administration without AWS. `failNext` makes
 * the next call fail as an unreachable gateway would.
 */
export class MemoryKeyGateway implements KeyGateway {
  readonly keys = new Map<string, MemoryGatewayKey>();
  readonly #plans: readonly GatewayPlan[];
  #sequence = 0;
  #failures = 0;

  constructor(plans: readonly GatewayPlan[]) {
    this.#plans = plans;
  }

  /** The key registered under a usage identifier, as the gateway resolves it on each request. */
  byUsageIdentifier(usageIdentifier: string): MemoryGatewayKey | undefined {
    return [...this.keys.values()].find((key) => key.usageIdentifier === usageIdentifier);
  }

  failNext(count = 1): void {
    this.#failures += count;
  }

  async plans(): Promise<readonly GatewayPlan[]> {
    this.#maybeFail('list usage plans');
    return this.#plans;
  }

  async register(key: GatewayKeyRegistration): Promise<{ readonly gatewayKeyId: string }> {
    this.#maybeFail('create API key');
    if (!this.#plans.some((plan) => plan.id === key.planId)) {
      throw new DependencyError(
        `Expected an existing usage plan id but the gateway has no plan ${key.planId}`,
      );
    }
    if (this.byUsageIdentifier(key.usageIdentifier) !== undefined) {
      throw new DependencyError('Expected a new usage identifier but the gateway already has it');
    }
    this.#sequence += 1;
    const gatewayKeyId = `gwkey${String(this.#sequence).padStart(5, '0')}`;
    this.keys.set(gatewayKeyId, { gatewayKeyId, ...key });
    return { gatewayKeyId };
  }

  async unregister(gatewayKeyId: string): Promise<void> {
    this.#maybeFail('delete API key');
    this.keys.delete(gatewayKeyId);
  }

  #maybeFail(operation: string): void {
    if (this.#failures === 0) return;
    this.#failures -= 1;
    throw new DependencyError(`Expected the gateway to ${operation} but it could not be reached`);
  }
}
