import { describe, expect, it } from 'vitest';
import { DependencyError } from '#core/errors.ts';
import type { ApiKeyRecord } from '#core/keys/api-key.ts';
import { type GatewayPlan, type KeyGateway, usageIdentifierOf } from '#core/keys/key-gateway.ts';
import { DocumentKeyStore, type KeyStore } from '#core/keys/key-store.ts';
import { MemoryKeyGateway } from '#core/keys/memory-key-gateway.ts';
import { MemoryDocumentStore } from '#core/limits/memory-document-store.ts';
import { createKey, revokeKey } from '#functions/admin/keys-command.ts';

const PLANS: readonly GatewayPlan[] = [
  { id: 'plan-std', name: 'standard', ratePerSecond: 5, burst: 10, quota: null },
  { id: 'plan-fast', name: 'fast', ratePerSecond: 50, burst: 100, quota: null },
  { id: 'plan-open', name: 'unmetered', ratePerSecond: null, burst: null, quota: null },
];
const NOW = new Date('2026-11-27T12:00:00.000Z');

function setup() {
  const store = new DocumentKeyStore(new MemoryDocumentStore());
  const gateway = new MemoryKeyGateway(PLANS);
  return { store, gateway };
}

describe('createKey with a gateway (API Gateway usage plans)', () => {
  it('puts a key with default limits in the plan with the same rate, under its usage identifier', async () => {
    const { store, gateway } = setup();

    const created = await createKey(store, { name: 'ci' }, NOW, gateway);

    const record = await store.get(created.key.id);
    const registered = gateway.byUsageIdentifier(usageIdentifierOf(created.token));
    expect(created.key.plan).toBe('standard');
    expect(created.key.limits).toEqual({
      ratePerSecond: 5,
      burst: 10,
      concurrency: 4,
      jobsPerDay: 1000,
    });
    expect(record?.gateway).toEqual({
      plan: 'standard',
      planId: 'plan-std',
      gatewayKeyId: registered?.gatewayKeyId,
    });
    expect(registered).toMatchObject({ keyId: created.key.id, keyName: 'ci', planId: 'plan-std' });
    // The gateway learns neither the token nor the stored hash of the secret.
    expect(JSON.stringify(registered)).not.toContain(created.token);
    expect(JSON.stringify(registered)).not.toContain(record?.secretHash);
  });

  it('takes the rate and burst of a named plan, and finds the plan of a requested rate', async () => {
    const { store, gateway } = setup();

    const named = await createKey(store, { name: 'a', plan: 'fast' }, NOW, gateway);
    const unlimited = await createKey(store, { name: 'b', ratePerSecond: null }, NOW, gateway);

    expect(named.key.limits).toMatchObject({ ratePerSecond: 50, burst: 100 });
    expect(named.key.plan).toBe('fast');
    expect(unlimited.key.plan).toBe('unmetered');
    expect(unlimited.key.limits.ratePerSecond).toBeNull();
    expect(gateway.byUsageIdentifier(usageIdentifierOf(unlimited.token))?.planId).toBe('plan-open');
  });

  it('refuses an unknown plan, a rate no plan has, and a rate that contradicts the plan, keeping nothing', async () => {
    const { store, gateway } = setup();

    const unknown = createKey(store, { name: 'a', plan: 'gold' }, NOW, gateway);
    const noPlan = createKey(store, { name: 'b', ratePerSecond: 7 }, NOW, gateway);
    const contradicts = createKey(
      store,
      { name: 'c', plan: 'fast', ratePerSecond: 5 },
      NOW,
      gateway,
    );

    await expect(unknown).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { field: 'plan', allowed: ['standard', 'fast', 'unmetered'] },
    });
    await expect(unknown).rejects.toThrow(
      /usage plans \(standard \(5 requests\/s, burst 10\); fast .*; unmetered \(no rate limit\)\) but received "gold"/,
    );
    await expect(noPlan).rejects.toThrow(/received ratePerSecond 7, burst 10/);
    await expect(contradicts).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { plan: 'fast' },
    });
    expect(gateway.keys.size).toBe(0);
    expect(await store.list()).toEqual([]);
  });

  it('refuses a plan where no gateway enforces rates', async () => {
    const { store } = setup();

    await expect(createKey(store, { name: 'a', plan: 'standard' }, NOW)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { field: 'plan' },
      message: expect.stringContaining('VIBE_API_GATEWAY_STAGE'),
    });
  });

  it('stores nothing when the gateway cannot list its plans or register the key', async () => {
    const plansDown = setup();
    plansDown.gateway.failNext();
    const registerDown = setup();
    const refusing: KeyGateway = {
      plans: () => registerDown.gateway.plans(),
      register: async () => {
        throw new DependencyError('Expected API Gateway CreateApiKey to answer but it timed out');
      },
      unregister: (id) => registerDown.gateway.unregister(id),
    };

    await expect(
      createKey(plansDown.store, { name: 'a' }, NOW, plansDown.gateway),
    ).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    await expect(createKey(registerDown.store, { name: 'b' }, NOW, refusing)).rejects.toThrow(
      /CreateApiKey/,
    );

    expect(await plansDown.store.list()).toEqual([]);
    expect(await registerDown.store.list()).toEqual([]);
  });

  it('removes the registration again when the key cannot be stored', async () => {
    const { gateway } = setup();
    const failing: KeyStore = {
      create: async (_record: ApiKeyRecord) => {
        throw new DependencyError('Expected the key store to answer but S3 timed out');
      },
      get: async () => undefined,
      revoke: async () => {
        throw new Error('not used');
      },
      list: async () => [],
    };

    await expect(createKey(failing, { name: 'a' }, NOW, gateway)).rejects.toThrow(/S3 timed out/);
    expect(gateway.keys.size).toBe(0);
  });
});

describe('revokeKey with a gateway', () => {
  it('removes the gateway key, and a revoke whose removal failed finishes when repeated', async () => {
    const { store, gateway } = setup();
    const a = await createKey(store, { name: 'a' }, NOW, gateway);
    const b = await createKey(store, { name: 'b' }, NOW, gateway);

    const revoked = await revokeKey(store, a.key.id, NOW, gateway);
    gateway.failNext();
    const failed = revokeKey(store, b.key.id, NOW, gateway);
    await expect(failed).rejects.toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
      message: expect.stringContaining(`Key ${b.key.id} is revoked`),
    });
    const stillRegistered = gateway.byUsageIdentifier(usageIdentifierOf(b.token));
    const again = await revokeKey(store, b.key.id, NOW, gateway);

    expect(revoked.revokedAt).toBe(NOW.toISOString());
    expect(gateway.byUsageIdentifier(usageIdentifierOf(a.token))).toBeUndefined();
    expect(stillRegistered).toBeDefined();
    expect((await store.get(b.key.id))?.revokedAt).toBe(NOW.toISOString());
    expect(again.revokedAt).toBe(NOW.toISOString());
    expect(gateway.keys.size).toBe(0);
  });
});
