import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';

export interface EventInit {
  readonly method?: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly body?: string | Uint8Array;
  readonly requestId?: string;
}

/**
 * An API Gateway HTTP API event (payload format 2.0) as API Gateway builds it: binary bodies
 * base64-encoded with `isBase64Encoded`, text bodies as they are, `rawQueryString` without `?`.
 */
export function apiGatewayEventFactory(init: EventInit = {}): APIGatewayProxyEventV2 {
  const method = init.method ?? 'GET';
  const path = init.path ?? '/healthz';
  const query = init.query ?? {};
  const binary = init.body instanceof Uint8Array;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: new URLSearchParams(query).toString(),
    headers: { host: 'abc123.execute-api.us-east-1.amazonaws.com', ...init.headers },
    ...(Object.keys(query).length === 0 ? {} : { queryStringParameters: query }),
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'test' },
      requestId: init.requestId ?? 'apigw-req-1',
      routeKey: '$default',
      stage: '$default',
      time: '27/Nov/2026:12:00:00 +0000',
      timeEpoch: 1_795_780_800_000,
    },
    isBase64Encoded: binary,
    ...(init.body === undefined
      ? {}
      : {
          body: binary
            ? Buffer.from(init.body as Uint8Array).toString('base64')
            : (init.body as string),
        }),
  };
}

/**
 * A REST API proxy event (payload format 1.0), what the CDK stack's API Gateway sends: header
 * names as the client wrote them, multi-value maps, the API key id in the identity, and binary
 * media types (multipart/form-data among them) base64-encoded.
 */
export function restApiEventFactory(
  init: EventInit & { readonly apiKeyId?: string } = {},
): APIGatewayProxyEvent {
  const method = init.method ?? 'GET';
  const path = init.path ?? '/v1/edits';
  const headers = { Host: 'abc123.execute-api.us-east-1.amazonaws.com', ...init.headers };
  const query = init.query ?? {};
  const binary = init.body instanceof Uint8Array;
  return {
    resource: '/v1/{proxy+}',
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name, [value]]),
    ),
    queryStringParameters: Object.keys(query).length === 0 ? null : query,
    multiValueQueryStringParameters:
      Object.keys(query).length === 0
        ? null
        : Object.fromEntries(Object.entries(query).map(([name, value]) => [name, [value]])),
    pathParameters: { proxy: path.replace(/^\/v1\//, '') },
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: undefined,
      protocol: 'HTTP/1.1',
      httpMethod: method,
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
        sourceIp: '203.0.113.7',
        user: null,
        userAgent: 'test',
        userArn: null,
      },
      path: `/prod${path}`,
      stage: 'prod',
      requestId: init.requestId ?? 'rest-req-1',
      requestTimeEpoch: 1_795_780_800_000,
      resourceId: 'res1',
      resourcePath: '/v1/{proxy+}',
    },
    isBase64Encoded: binary,
    body:
      init.body === undefined
        ? null
        : binary
          ? Buffer.from(init.body as Uint8Array).toString('base64')
          : (init.body as string),
  };
}
