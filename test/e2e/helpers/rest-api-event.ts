import type { APIGatewayProxyEvent } from 'aws-lambda';

export interface RestEventInit {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The caller's API key id; it owns the jobs it submits. */
  readonly apiKeyId?: string;
}

let serial = 0;

/**
 * A REST API proxy event (payload format 1.0), what the CDK stack's API Gateway sends the API
 * Lambda: header names as the client wrote them, multi-value maps, the API key id in the identity.
 */
export function restApiEvent(init: RestEventInit): APIGatewayProxyEvent {
  const headers: Record<string, string> = {
    Host: 'abc123.execute-api.us-east-1.amazonaws.com',
    ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }),
    ...init.headers,
  };
  serial += 1;
  return {
    resource: '/v1/{proxy+}',
    path: init.path,
    httpMethod: init.method,
    headers,
    multiValueHeaders: Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name, [value]]),
    ),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { proxy: init.path.replace(/^\/v1\//, '') },
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: undefined,
      protocol: 'HTTP/1.1',
      httpMethod: init.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: init.apiKeyId === undefined ? null : 'secret-key-value',
        apiKeyId: init.apiKeyId ?? null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '127.0.0.1',
        user: null,
        userAgent: 'vibe-e2e',
        userArn: null,
      },
      path: `/prod${init.path}`,
      stage: 'prod',
      requestId: `e2e-req-${serial}`,
      requestTimeEpoch: Date.now(),
      resourceId: 'res1',
      resourcePath: '/v1/{proxy+}',
    },
    isBase64Encoded: false,
    body: init.body ?? null,
  };
}
