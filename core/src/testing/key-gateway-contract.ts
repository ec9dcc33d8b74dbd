import { describe, expect, it } from 'vitest';
import {
  type GatewayKeyRegistration,
  type GatewayPlan,
  type KeyGateway,
  usageIdentifierOf,
} from '../keys/key-gateway.ts';

/** Where the gateway sends a request that names a usage identifier. */
export interface GatewayKeyResolution {
  /** The plan whose limits apply; null: the key exists but is in no plan (refused). */
  readonly planId: string | null;
  readonly enabled: boolean;
}

export interface KeyGatewayContractSubject {
  /**
   * A fresh gateway with (at least) two plans for its API stage: `standard` (rate 5, burst 10,
   * quota 10000 a DAY) and `unmetered` (no throttle, no quota).
   */
  readonly gateway: KeyGateway;
  /** How the gateway resolves a usage identifier on a request; undefined: it knows no such key. */
  lookup(usageIdentifier: string): GatewayKeyResolution | undefined;
  /** Names of plans the gateway knows for another API or stage, which it must not list. */
  readonly foreignPlanNames?: readonly string[];
}

const STANDARD: Omit<GatewayPlan, 'id'> = {
  name: 'standard',
  ratePerSecond: 5,
  burst: 10,
  quota: { limit: 10_000, period: 'DAY' },
};
const UNMETERED: Omit<GatewayPlan, 'id'> = {
  name: 'unmetered',
  ratePerSecond: null,
  burst: null,
  quota: null,
};

function registrationFactory(
  planId: string,
  overrides: Partial<GatewayKeyRegistration> = {},
): GatewayKeyRegistration {
  return {
    keyId: 'key_01JD8Z6W3N4Q5R6S7T8V9W0XYZ',
    keyName: 'ci pipeline',
    usageIdentifier: usageIdentifierOf('vibe_contract-token-1'),
    planId,
    ...overrides,
  };
}

async function planNamed(gateway: KeyGateway, name: string): Promise<GatewayPlan> {
  const plan = (await gateway.plans()).find((candidate) => candidate.name === name);
  if (plan === undefined) throw new Error(`Expected the gateway to list a plan named ${name}`);
  return plan;
}

/**
 * The KeyGateway contract: plans with their exact limits, a key registered in exactly one plan
 * under its usage identifier, nothing left behind by a failed registration, idempotent removal.
 */
export function describeKeyGatewayContract(
  name: string,
  factory: () => Promise<KeyGatewayContractSubject>,
): void {
  describe(`KeyGateway contract: ${name}`, () => {
    it('lists the plans of its API stage with their exact limits, and no other', async () => {
      const { gateway, foreignPlanNames = [] } = await factory();

      const plans = await gateway.plans();

      expect(plans.find((plan) => plan.name === 'standard')).toEqual({
        ...STANDARD,
        id: expect.any(String),
      });
      expect(plans.find((plan) => plan.name === 'unmetered')).toEqual({
        ...UNMETERED,
        id: expect.any(String),
      });
      expect(new Set(plans.map((plan) => plan.id)).size).toBe(plans.length);
      for (const foreign of foreignPlanNames) {
        expect(plans.map((plan) => plan.name)).not.toContain(foreign);
      }
    });

    it('registers a key in a plan under its usage identifier', async () => {
      const { gateway, lookup } = await factory();
      const standard = await planNamed(gateway, 'standard');
      const unmetered = await planNamed(gateway, 'unmetered');
      const first = registrationFactory(standard.id);
      const second = registrationFactory(unmetered.id, {
        keyId: 'key_01JD8Z6W3N4Q5R6S7T8V9W0XZZ',
        usageIdentifier: usageIdentifierOf('vibe_contract-token-2'),
      });

      const one = await gateway.register(first);
      const two = await gateway.register(second);

      expect(one.gatewayKeyId).toEqual(expect.any(String));
      expect(two.gatewayKeyId).not.toBe(one.gatewayKeyId);
      expect(lookup(first.usageIdentifier)).toEqual({ planId: standard.id, enabled: true });
      expect(lookup(second.usageIdentifier)).toEqual({ planId: unmetered.id, enabled: true });
      expect(lookup(usageIdentifierOf('vibe_never-registered'))).toBeUndefined();
    });

    it('refuses a plan it does not have with DEPENDENCY_UNAVAILABLE and keeps nothing', async () => {
      const { gateway, lookup } = await factory();
      const registration = registrationFactory('nosuchplan');

      await expect(gateway.register(registration)).rejects.toMatchObject({
        code: 'DEPENDENCY_UNAVAILABLE',
        retryable: true,
      });
      expect(lookup(registration.usageIdentifier)).toBeUndefined();
    });

    it('unregisters a key, so its usage identifier no longer resolves', async () => {
      const { gateway, lookup } = await factory();
      const registration = registrationFactory((await planNamed(gateway, 'standard')).id);
      const { gatewayKeyId } = await gateway.register(registration);

      await gateway.unregister(gatewayKeyId);

      expect(lookup(registration.usageIdentifier)).toBeUndefined();
    });

    it('unregisters idempotently: twice, or a key it never had', async () => {
      const { gateway, lookup } = await factory();
      const unmetered = await planNamed(gateway, 'unmetered');
      const kept = registrationFactory(unmetered.id);
      const removed = registrationFactory((await planNamed(gateway, 'standard')).id, {
        keyId: 'key_01JD8Z6W3N4Q5R6S7T8V9W0XZZ',
        usageIdentifier: usageIdentifierOf('vibe_contract-token-2'),
      });
      const keptId = (await gateway.register(kept)).gatewayKeyId;
      const { gatewayKeyId } = await gateway.register(removed);

      await gateway.unregister(gatewayKeyId);
      await expect(gateway.unregister(gatewayKeyId)).resolves.toBeUndefined();
      await expect(gateway.unregister('unknownkey')).resolves.toBeUndefined();

      expect(lookup(removed.usageIdentifier)).toBeUndefined();
      expect(lookup(kept.usageIdentifier)).toEqual({ planId: unmetered.id, enabled: true });
      expect(keptId).not.toBe(gatewayKeyId);
    });
  });
}
