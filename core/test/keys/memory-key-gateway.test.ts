import { describe, expect, it } from 'vitest';
import { usageIdentifierOf } from '#core/keys/key-gateway.ts';
import { MemoryKeyGateway } from '#core/keys/memory-key-gateway.ts';
import { describeKeyGatewayContract } from '#core/testing/key-gateway-contract.ts';

function memoryGateway(): MemoryKeyGateway {
  return new MemoryKeyGateway([
    {
      id: 'plan-standard',
      name: 'standard',
      ratePerSecond: 5,
      burst: 10,
      quota: { limit: 10_000, period: 'DAY' },
    },
    { id: 'plan-unmetered', name: 'unmetered', ratePerSecond: null, burst: null, quota: null },
  ]);
}

describeKeyGatewayContract('MemoryKeyGateway', async () => {
  const gateway = memoryGateway();
  return {
    gateway,
    lookup(usageIdentifier) {
      const key = gateway.byUsageIdentifier(usageIdentifier);
      return key === undefined ? undefined : { planId: key.planId, enabled: true };
    },
  };
});

describe('MemoryKeyGateway', () => {
  it('fails the next call as an unreachable gateway would, then recovers', async () => {
    const gateway = memoryGateway();
    gateway.failNext();

    await expect(gateway.plans()).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    expect((await gateway.plans()).map((plan) => plan.name)).toEqual(['standard', 'unmetered']);
  });

  it('refuses a usage identifier it already has', async () => {
    const gateway = memoryGateway();
    const key = {
      keyId: 'key_a',
      keyName: 'a',
      usageIdentifier: usageIdentifierOf('vibe_a'),
      planId: 'plan-standard',
    };
    await gateway.register(key);

    await expect(gateway.register({ ...key, keyId: 'key_b' })).rejects.toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
    });
    expect(gateway.keys.size).toBe(1);
  });
});
