import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { DependencyError } from '#core/errors.ts';
import { usageIdentifierOf } from '#core/keys/key-gateway.ts';
import { DocumentKeyStore, type KeyStore } from '#core/keys/key-store.ts';
import { MemoryKeyGateway } from '#core/keys/memory-key-gateway.ts';
import { MemoryDocumentStore } from '#core/limits/memory-document-store.ts';
import { createKey, revokeKey } from '#functions/admin/keys-command.ts';
import type { LogEntry } from '#functions/api/api-types.ts';
import { createGatewayAuthorizer, stageWildcard } from '#functions/api/auth/gateway-authorizer.ts';

const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/POST/v1/edits';
const STAGE_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/*';
const NOW = new Date('2026-11-27T12:00:00.000Z');

function event(headers: Record<string, string>): APIGatewayRequestAuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn: METHOD_ARN,
    headers,
  } as unknown as APIGatewayRequestAuthorizerEvent;
}

function setup(keys: KeyStore = new DocumentKeyStore(new MemoryDocumentStore())) {
  const logs: LogEntry[] = [];
  const gateway = new MemoryKeyGateway([
    { id: 'plan-std', name: 'standard', ratePerSecond: 5, burst: 10, quota: null },
  ]);
  const authorize = createGatewayAuthorizer({
    keys,
    clock: { now: () => NOW.getTime() },
    log: (entry) => logs.push(entry),
    keyCacheSeconds: 0,
  });
  return { keys, gateway, authorize, logs };
}

describe('the REST API authorizer', () => {
  it('allows a valid key for the whole stage and names the gateway key of its usage plan', async () => {
    const { keys, gateway, authorize } = setup();
    const { key, token } = await createKey(keys, { name: 'ci', admin: true }, NOW, gateway);

    const result = await authorize(event({ Authorization: `Bearer ${token}` }));

    expect(result).toEqual({
      principalId: key.id,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: STAGE_ARN }],
      },
      usageIdentifierKey: usageIdentifierOf(token),
      context: { keyId: key.id, admin: true },
    });
    // What API Gateway does next: find the usage plan key by that value.
    expect(gateway.byUsageIdentifier(result.usageIdentifierKey ?? '')).toMatchObject({
      keyId: key.id,
      planId: 'plan-std',
    });
  });

  it('reads the header whatever its case', async () => {
    const { keys, authorize } = setup();
    const { token } = await createKey(keys, { name: 'ci' }, NOW);

    const result = await authorize(event({ authorization: `bearer ${token}` }));

    expect(result.policyDocument.Statement[0]?.Effect).toBe('Allow');
  });

  it('denies a malformed, unknown or revoked key with the API message, escaped for the JSON template', async () => {
    const { keys, authorize, logs } = setup();
    const { key, token } = await createKey(keys, { name: 'nightly "batch"' }, NOW);
    const wrongSecret = `${token.slice(0, -4)}AAAA`;
    await revokeKey(keys, key.id, NOW);

    const malformed = await authorize(event({ Authorization: 'Bearer abc' }));
    const unknown = await authorize(event({ Authorization: `Bearer ${wrongSecret}` }));
    const revoked = await authorize(event({ Authorization: `Bearer ${token}` }));

    for (const result of [malformed, unknown, revoked]) {
      expect(result.policyDocument.Statement).toEqual([
        { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: STAGE_ARN },
      ]);
      expect(result.usageIdentifierKey).toBeUndefined();
      expect(result.context?.code).toBe('UNAUTHENTICATED');
    }
    expect([malformed, unknown, revoked].map((r) => r.context?.reason)).toEqual([
      'malformed',
      'unknown',
      'revoked',
    ]);
    // Pasted between quotes by the gateway response, the message parses back to the original.
    const message = JSON.parse(`"${String(revoked.context?.message)}"`) as string;
    expect(message).toBe(
      `Expected an active API key but key ${key.id} ("nightly "batch"") was revoked at 2026-11-27T12:00:00.000Z; ask an admin for a new key`,
    );
    expect(JSON.stringify(logs)).not.toContain(token);
  });

  it('throws when the key store fails, so API Gateway answers 503 and caches nothing', async () => {
    const failing: KeyStore = {
      create: async (record) => record,
      get: async () => {
        throw new DependencyError('Expected S3 to answer GetObject but it timed out');
      },
      revoke: async () => {
        throw new Error('not used');
      },
      list: async () => [],
    };
    const { authorize } = setup(failing);
    const token = `vibe_0123456789abcdef_${'A'.repeat(43)}`;

    await expect(authorize(event({ Authorization: `Bearer ${token}` }))).rejects.toBeInstanceOf(
      DependencyError,
    );
  });

  it('widens a method ARN to every method and path of its stage', () => {
    expect(stageWildcard(METHOD_ARN)).toBe(STAGE_ARN);
    expect(
      stageWildcard('arn:aws:execute-api:us-east-1:123456789012:zz9plural9/v1_beta/GET/healthz'),
    ).toBe('arn:aws:execute-api:us-east-1:123456789012:zz9plural9/v1_beta/*');
  });
});
