import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type APIGatewayClient,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
} from '@aws-sdk/client-api-gateway';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiGatewayClient } from '#core/aws/api-gateway-client.ts';
import {
  ApiGatewayKeyGateway,
  type ApiGatewayKeyGatewayOptions,
} from '#core/aws/api-gateway-key-gateway.ts';
import { DependencyError } from '#core/errors.ts';
import { usageIdentifierOf } from '#core/keys/key-gateway.ts';
import { describeKeyGatewayContract } from '#core/testing/key-gateway-contract.ts';
import { type FakeApiGateway, startFakeApiGateway } from '#test/fakes/api-gateway-server.ts';

const REST_API_ID = 'a1b2c3d4e5';
const STAGE = 'prod';
const THIS_STAGE = [{ apiId: REST_API_ID, stage: STAGE }];

const opened: { fake: FakeApiGateway; client: APIGatewayClient }[] = [];
afterAll(async () => {
  for (const { client } of opened) client.destroy();
  await Promise.all(opened.map(({ fake }) => fake.close()));
});

/** A fresh fake with its client; the gateway reads plans of REST_API_ID's prod stage. */
async function setUp(options: Partial<ApiGatewayKeyGatewayOptions> = {}) {
  const fake = await startFakeApiGateway();
  const client = createApiGatewayClient(fake.clientConfig);
  opened.push({ fake, client });
  const gateway = new ApiGatewayKeyGateway({
    client,
    restApiId: REST_API_ID,
    stage: STAGE,
    ...options,
  });
  return { fake, client, gateway };
}

function addContractPlans(fake: FakeApiGateway): { standard: string; unmetered: string } {
  fake.addPlan({ name: 'other-api', apiStages: [{ apiId: 'zz9y8x7w6v', stage: STAGE }] });
  const unmetered = fake.addPlan({ name: 'unmetered', apiStages: THIS_STAGE });
  fake.addPlan({ name: 'other-stage', apiStages: [{ apiId: REST_API_ID, stage: 'dev' }] });
  const standard = fake.addPlan({
    name: 'standard',
    apiStages: [{ apiId: 'zz9y8x7w6v', stage: 'prod' }, ...THIS_STAGE],
    throttle: { rateLimit: 5, burstLimit: 10 },
    quota: { limit: 10_000, period: 'DAY' },
  });
  return { standard, unmetered };
}

const registration = (planId: string) => ({
  keyId: 'key_01JD8Z6W3N4Q5R6S7T8V9W0XYZ',
  keyName: 'nightly batch',
  usageIdentifier: usageIdentifierOf('vibe_adapter-test-token'),
  planId,
});

async function failureOf(promise: Promise<unknown>): Promise<DependencyError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(DependencyError);
  return error as DependencyError;
}

describeKeyGatewayContract('ApiGatewayKeyGateway on the fake API Gateway', async () => {
  const { fake, gateway } = await setUp();
  addContractPlans(fake);
  return {
    gateway,
    lookup(usageIdentifier) {
      const key = fake.lookup(usageIdentifier);
      return key === undefined ? undefined : { planId: key.planId, enabled: key.enabled };
    },
    foreignPlanNames: ['other-api', 'other-stage'],
  };
});

describe('ApiGatewayKeyGateway', () => {
  it('sends the request bodies of the brief to CreateApiKey, CreateUsagePlanKey and DeleteApiKey', async () => {
    const { fake, gateway } = await setUp();
    const { standard } = addContractPlans(fake);
    const key = registration(standard);

    const { gatewayKeyId } = await gateway.register(key);
    await gateway.unregister(gatewayKeyId);

    expect(
      fake.requests.map(({ operation, method, path, body }) => ({ operation, method, path, body })),
    ).toEqual([
      {
        operation: 'CreateApiKey',
        method: 'POST',
        path: '/apikeys',
        body: {
          name: 'vibe-key_01JD8Z6W3N4Q5R6S7T8V9W0XYZ',
          description: 'nightly batch',
          enabled: true,
          value: key.usageIdentifier,
        },
      },
      {
        operation: 'CreateUsagePlanKey',
        method: 'POST',
        path: `/usageplans/${standard}/keys`,
        body: { keyId: gatewayKeyId, keyType: 'API_KEY' },
      },
      {
        operation: 'DeleteApiKey',
        method: 'DELETE',
        path: `/apikeys/${gatewayKeyId}`,
        body: undefined,
      },
    ]);
  });

  it('cuts a long key name to 125 characters for the description', async () => {
    const { fake, gateway } = await setUp();
    const { standard } = addContractPlans(fake);

    await gateway.register({ ...registration(standard), keyName: 'n'.repeat(200) });

    expect(fake.requests[0]?.body).toMatchObject({ description: 'n'.repeat(125) });
  });

  it('follows position over pages of 500 plans and sorts this stage’s plans by name', async () => {
    const { fake, gateway } = await setUp();
    for (let index = 0; index < 1_100; index += 1) {
      fake.addPlan({ name: `filler-${index}`, apiStages: [{ apiId: REST_API_ID, stage: 'dev' }] });
      if (index === 3) fake.addPlan({ name: 'zeta', apiStages: THIS_STAGE });
    }
    const last = fake.addPlan({
      name: 'alpha',
      apiStages: THIS_STAGE,
      throttle: { rateLimit: 2.5, burstLimit: 4 },
      quota: { limit: 300, period: 'MONTH' },
    });

    const plans = await gateway.plans();

    expect(plans.map((plan) => plan.name)).toEqual(['alpha', 'zeta']);
    expect(plans[0]).toEqual({
      id: last,
      name: 'alpha',
      ratePerSecond: 2.5,
      burst: 4,
      quota: { limit: 300, period: 'MONTH' },
    });
    const queries = fake.requests.map((request) => request.query);
    expect(queries).toHaveLength(3);
    expect(queries.map((query) => query.limit)).toEqual(['500', '500', '500']);
    expect(queries[0]?.position).toBeUndefined();
    expect(queries[1]?.position).toEqual(expect.any(String));
    expect(queries[2]?.position).not.toBe(queries[1]?.position);
  });

  it('caches plans for planCacheSeconds of the injected clock', async () => {
    let now = 1_000_000;
    const { fake, gateway } = await setUp({ planCacheSeconds: 30, now: () => now });
    fake.addPlan({ name: 'standard', apiStages: THIS_STAGE });
    const first = await gateway.plans();
    fake.addPlan({ name: 'unmetered', apiStages: THIS_STAGE });

    now += 29_999;
    const cached = await gateway.plans();
    now += 1;
    const refreshed = await gateway.plans();

    expect(first.map((plan) => plan.name)).toEqual(['standard']);
    expect(cached).toBe(first);
    expect(refreshed.map((plan) => plan.name)).toEqual(['standard', 'unmetered']);
    expect(fake.requests).toHaveLength(2);
  });

  it('does not cache a failed listing', async () => {
    const { fake, gateway } = await setUp({ now: () => 0 });
    addContractPlans(fake);
    fake.failNext('GetUsagePlans', 400);

    const error = await failureOf(gateway.plans());

    expect(error.message).toContain('GetUsagePlans');
    expect(error.details).toMatchObject({ restApiId: REST_API_ID, stage: STAGE, status: 400 });
    expect((await gateway.plans()).map((plan) => plan.name)).toEqual(['standard', 'unmetered']);
  });

  it('deletes the new API key when CreateUsagePlanKey fails, and throws its error', async () => {
    const { fake, gateway } = await setUp();
    const key = registration(addContractPlans(fake).standard);
    fake.failNext('CreateUsagePlanKey', 400);

    const error = await failureOf(gateway.register(key));

    const created = fake.requests[0];
    expect(fake.requests.map((request) => request.operation)).toEqual([
      'CreateApiKey',
      'CreateUsagePlanKey',
      'DeleteApiKey',
    ]);
    expect(fake.requests[2]?.path).toMatch(/^\/apikeys\/k\w{9}$/);
    expect(created?.operation).toBe('CreateApiKey');
    expect(fake.apiKeyCount()).toBe(0);
    expect(fake.lookup(key.usageIdentifier)).toBeUndefined();
    expect(error.message).toContain('CreateUsagePlanKey');
    expect(error.cause).toMatchObject({ name: 'BadRequestException' });
    expect(error.details).toMatchObject({ rollback: 'deleted', status: 400, planId: key.planId });
  });

  it('keeps the CreateUsagePlanKey error when the rollback delete fails too', async () => {
    const { fake, gateway } = await setUp();
    const key = registration(addContractPlans(fake).standard);
    fake.failNext('CreateUsagePlanKey', 400);
    fake.failNext('DeleteApiKey', 401);

    const error = await failureOf(gateway.register(key));

    expect(error.cause).toMatchObject({ name: 'BadRequestException' });
    expect(error.details).toMatchObject({
      operation: 'API Gateway CreateUsagePlanKey',
      rollback: 'failed',
      rollbackError: {
        operation: 'API Gateway DeleteApiKey',
        name: 'UnauthorizedException',
        status: 401,
      },
    });
    expect(fake.apiKeyCount()).toBe(1);
    expect(JSON.stringify(error.toJSON())).not.toContain(key.usageIdentifier);
  });

  it('turns a failed CreateApiKey into DependencyError without the usage identifier', async () => {
    const { fake, gateway } = await setUp();
    const key = registration(addContractPlans(fake).standard);
    fake.failNext('CreateApiKey', 409);

    const error = await failureOf(gateway.register(key));

    expect(error.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(error.message).toContain('CreateApiKey');
    expect(error.cause).toMatchObject({ name: 'ConflictException' });
    expect(JSON.stringify(error.toJSON())).not.toContain(key.usageIdentifier);
    expect(fake.requests.map((request) => request.operation)).toEqual(['CreateApiKey']);
  });

  it('retries a 5xx answer and fails with DependencyError once the SDK gives up', async () => {
    const { fake, gateway } = await setUp();
    addContractPlans(fake);
    fake.failNext('GetUsagePlans', 503, 3);

    const error = await failureOf(gateway.plans());

    expect(error.details).toMatchObject({ operation: 'API Gateway GetUsagePlans', status: 503 });
    expect(error.cause).toMatchObject({ name: 'ServiceUnavailableException' });
    expect(fake.requests.map((request) => request.failedWith)).toEqual([503, 503, 503]);
  });

  it('fails every operation with DependencyError when the endpoint is unreachable', async () => {
    const endpoint = await closedEndpoint();
    const client = createApiGatewayClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const gateway = new ApiGatewayKeyGateway({ client, restApiId: REST_API_ID, stage: STAGE });

    try {
      await expect(gateway.plans()).rejects.toBeInstanceOf(DependencyError);
      await expect(gateway.register(registration('abc123'))).rejects.toMatchObject({
        code: 'DEPENDENCY_UNAVAILABLE',
        details: { operation: 'API Gateway CreateApiKey' },
      });
      await expect(gateway.unregister('k000000001')).rejects.toMatchObject({
        code: 'DEPENDENCY_UNAVAILABLE',
        details: { operation: 'API Gateway DeleteApiKey', gatewayKeyId: 'k000000001' },
      });
    } finally {
      client.destroy();
    }
  });

  it('refuses a negative planCacheSeconds', () => {
    const client = createApiGatewayClient({ region: 'us-east-1' });
    expect(
      () =>
        new ApiGatewayKeyGateway({
          client,
          restApiId: REST_API_ID,
          stage: STAGE,
          planCacheSeconds: -1,
        }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    client.destroy();
  });
});

describe('the fake API Gateway', () => {
  it('answers unknown ids with NotFoundException as the SDK maps it', async () => {
    const { client } = await setUp();

    await expect(client.send(new DeleteApiKeyCommand({ apiKey: 'k404' }))).rejects.toMatchObject({
      name: 'NotFoundException',
      message: 'Invalid API Key identifier specified',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(
      client.send(
        new CreateUsagePlanKeyCommand({ usagePlanId: 'p404', keyId: 'k404', keyType: 'API_KEY' }),
      ),
    ).rejects.toMatchObject({ name: 'NotFoundException', $metadata: { httpStatusCode: 404 } });
  });
});

describe('createApiGatewayClient', () => {
  it('applies the region and endpoint it is given', async () => {
    const client = createApiGatewayClient({
      endpoint: 'http://127.0.0.1:4566',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });

    expect(await client.config.region()).toBe('eu-west-1');
    expect(await client.config.credentials()).toMatchObject({ accessKeyId: 'test' });
    client.destroy();
  });
});

/** An address nothing listens on: a port that was just bound and released. */
async function closedEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
