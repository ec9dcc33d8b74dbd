/**
 * API keys on AWS end to end, with API Gateway's part played faithfully: the authorizer Lambda
 * (`createAuthorizerHandler`, the production composition root, reading keys from S3 on fauxqs)
 * decides, the usage-plan lookup goes to a fake API Gateway control plane (127.0.0.1) in which
 * key administration registered the key, and refusals are rendered from the stack's own gateway
 * response templates. The API is the Lambda entry point with an ApiGatewayKeyGateway.
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiGatewayClient } from '#core/aws/api-gateway-client.ts';
import { ApiGatewayKeyGateway } from '#core/aws/api-gateway-key-gateway.ts';
import { createS3AccessStores } from '#core/aws/s3-access-stores.ts';
import { usageIdentifierOf } from '#core/keys/key-gateway.ts';
import { runKeysCli } from '#functions/admin/keys-cli.ts';
import { createApiHandler } from '#functions/handlers/api.ts';
import { createAuthorizerHandler } from '#functions/handlers/authorizer.ts';
import {
  GATEWAY_ERROR_RESPONSES,
  gatewayResponseTemplate,
} from '../../infra/lib/constructs/gateway-responses.ts';
import { type FakeApiGateway, startFakeApiGateway } from '../fakes/api-gateway-server.ts';
import {
  type FauxqsEmulator,
  type FauxqsStack,
  startFauxqsEmulator,
} from './helpers/fauxqs-stack.ts';
import { restApiEvent } from './helpers/rest-api-event.ts';

process.env.AWS_ACCESS_KEY_ID = 'test';
process.env.AWS_SECRET_ACCESS_KEY = 'test';

const REST_API_ID = 'a1b2c3d4e5';
const STAGE = 'prod';
const METHOD_ARN = `arn:aws:execute-api:us-east-1:123456789012:${REST_API_ID}/${STAGE}/GET/v1/edits`;

interface Answer {
  readonly status: number;
  readonly body: {
    error?: { code: string; message: string; details?: Record<string, unknown> };
  } & Record<string, unknown>;
}

/** API Gateway's answer from one of the stack's gateway responses, its variables filled in. */
function gatewayAnswer(type: string, context: Record<string, unknown> = {}): Answer {
  const response = GATEWAY_ERROR_RESPONSES.find((r) => r.type.responseType === type);
  if (response === undefined) throw new Error(`no gateway response ${type}`);
  const body = gatewayResponseTemplate(response)
    .replaceAll('$context.authorizer.message', String(context.message))
    .replaceAll('$context.authorizer.reason', String(context.reason))
    .replaceAll('$context.requestId', 'gw-request-1');
  return { status: response.status, body: JSON.parse(body) };
}

describe('API keys through the authorizer and the usage plans (fauxqs + a fake API Gateway)', () => {
  let emulator: FauxqsEmulator;
  let stack: FauxqsStack;
  let gatewayServer: FakeApiGateway;
  let standardPlanId: string;
  let unmeteredPlanId: string;
  let adminToken: string;
  let call: (
    method: string,
    path: string,
    token: string | undefined,
    body?: unknown,
  ) => Promise<Answer>;

  beforeAll(async () => {
    emulator = await startFauxqsEmulator();
    stack = await emulator.createStack({ maxReceiveCount: 5 });
    gatewayServer = await startFakeApiGateway();
    const apiStages = [{ apiId: REST_API_ID, stage: STAGE }];
    standardPlanId = gatewayServer.addPlan({
      name: 'standard',
      apiStages,
      throttle: { rateLimit: 5, burstLimit: 10 },
      quota: { limit: 100_000, period: 'DAY' },
    });
    unmeteredPlanId = gatewayServer.addPlan({ name: 'unmetered', apiStages });
    gatewayServer.addPlan({ name: 'standard', apiStages: [{ apiId: 'zzzzzzzzzz', stage: STAGE }] });
    const env = { ...stack.env, VIBE_API_GATEWAY_STAGE: `${REST_API_ID}/${STAGE}` };
    const keyGateway = new ApiGatewayKeyGateway({
      client: createApiGatewayClient(gatewayServer.clientConfig),
      restApiId: REST_API_ID,
      stage: STAGE,
    });

    // The operator's first admin key, with the keys CLI as deploy.md says.
    let printed = '';
    const exit = await runKeysCli(['create', '--name', 'ops', '--admin', '--plan', 'unmetered'], {
      store: createS3AccessStores({ client: emulator.clients.s3, bucket: stack.bucket }).keys,
      gateway: keyGateway,
      out: (text) => {
        printed += text;
      },
      err: () => {},
    });
    expect(exit).toBe(0);
    adminToken = (JSON.parse(printed) as { token: string }).token;

    const authorizer = createAuthorizerHandler(env);
    const api = createApiHandler(env, undefined, keyGateway);
    // One request as API Gateway handles it: authorizer, usage plan key, then the Lambda.
    call = async (method, path, token, body) => {
      const headers: Record<string, string> =
        token === undefined ? {} : { Authorization: `Bearer ${token}` };
      if (token === undefined) return gatewayAnswer('UNAUTHORIZED');
      const decision: APIGatewayAuthorizerResult = await authorizer({
        type: 'REQUEST',
        methodArn: METHOD_ARN,
        headers,
      } as unknown as APIGatewayRequestAuthorizerEvent);
      if (decision.policyDocument.Statement[0]?.Effect !== 'Allow') {
        return gatewayAnswer('ACCESS_DENIED', decision.context ?? {});
      }
      const planKey = gatewayServer.lookup(decision.usageIdentifierKey ?? '');
      if (planKey === undefined || !planKey.enabled || planKey.planId === null) {
        return gatewayAnswer('INVALID_API_KEY');
      }
      const result = await api(
        restApiEvent({
          method,
          path,
          headers,
          apiKeyId: planKey.apiKeyId,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
      );
      return { status: result.statusCode, body: JSON.parse(result.body) };
    };
  });
  afterAll(async () => {
    await gatewayServer?.close();
    await emulator?.close();
  });

  it('registers a key made by an admin in its usage plan, and lets its token through to the API', async () => {
    const created = await call('POST', '/v1/admin/keys', adminToken, {
      name: 'ci',
      plan: 'standard',
    });
    const token = String(created.body.token);
    // What the authorizer names for the token, and API Gateway resolves to a usage plan.
    const planKey = gatewayServer.lookup(usageIdentifierOf(token));

    const answer = await call('GET', '/v1/edits/job_00000000000000000000000000000000', token);

    expect(created.status).toBe(201);
    expect(created.body.key).toMatchObject({
      name: 'ci',
      plan: 'standard',
      limits: { ratePerSecond: 5, burst: 10 },
    });
    expect(planKey).toMatchObject({ enabled: true, planId: standardPlanId });
    expect(gatewayServer.lookup(usageIdentifierOf(adminToken))?.planId).toBe(unmeteredPlanId);
    // Past the gateway, the API itself answers: the job does not exist for this key.
    expect(answer.status).toBe(404);
    expect(answer.body.error?.code).toBe('NOT_FOUND');
  });

  it('answers a missing, malformed or unknown key with the API error body, reason included', async () => {
    const { token } = (await call('POST', '/v1/admin/keys', adminToken, { name: 'temp' })).body as {
      token: string;
    };
    const path = '/v1/edits/job_00000000000000000000000000000000';
    const missing = await call('GET', path, undefined);
    const malformed = await call('GET', path, 'not-a-key');
    const unknown = await call('GET', path, `${token.slice(0, -3)}AAA`);

    expect([missing, malformed, unknown].map((a) => a.status)).toEqual([401, 401, 401]);
    expect([missing, malformed, unknown].map((a) => a.body.error?.details?.reason)).toEqual([
      'missing',
      'malformed',
      'unknown',
    ]);
    expect(unknown.body.error?.message).toMatch(
      /^Expected an API key issued by this service but key [0-9a-f]{16} does not exist/,
    );
  });

  it('refuses a revoked key at the gateway at once, even while the authorizer still trusts its cached record', async () => {
    const created = await call('POST', '/v1/admin/keys', adminToken, { name: 'leaving' });
    const token = String(created.body.token);
    const id = String((created.body.key as { id: string }).id);
    const path = '/v1/edits/job_00000000000000000000000000000000';
    const before = await call('GET', path, token);

    const revoked = await call('POST', `/v1/admin/keys/${id}/revoke`, adminToken);
    const after = await call('GET', path, token);

    expect(before.status).toBe(404);
    expect(revoked.status).toBe(200);
    expect(gatewayServer.lookup(usageIdentifierOf(token))).toBeUndefined();
    expect(after).toMatchObject({
      status: 401,
      body: { error: { code: 'UNAUTHENTICATED', details: { reason: 'unregistered' } } },
    });
  });
});
