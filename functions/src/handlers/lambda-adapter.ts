import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
} from 'aws-lambda';
import type { ApiApp, ApiRequest, ApiResponse } from '../api/api-types.ts';

/**
 * An API Gateway proxy event: a REST API's (payload format 1.0, which the CDK stack deploys for
 * its API keys and usage plans) or an HTTP API's (payload format 2.0).
 */
export type GatewayEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2;

/** The result shape both payload formats accept. */
export type LambdaApiHandler = (event: GatewayEvent) => Promise<APIGatewayProxyResult>;

function isV2(event: GatewayEvent): event is APIGatewayProxyEventV2 {
  return 'rawPath' in event;
}

/**
 * An API Gateway event → ApiRequest. Binary bodies (multipart uploads) arrive base64-encoded with
 * `isBase64Encoded`; header names are lower-cased (REST APIs keep the client's case); repeated
 * headers are joined with `, ` and repeated query keys with `,` (as payload 2.0 does). A REST API's
 * API key id becomes the request's principal, which owns the jobs it submits.
 */
export function toApiRequest(event: GatewayEvent): ApiRequest {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  const body = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isV2(event)) {
    return {
      method: event.requestContext.http.method,
      path: event.rawPath,
      headers: lowerCase(event.headers ?? {}),
      query: defined(event.queryStringParameters ?? {}),
      body,
      requestId: event.requestContext.requestId,
    };
  }
  const headers = lowerCase(event.headers ?? {});
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (values !== undefined && values.length > 1) headers[name.toLowerCase()] = values.join(', ');
  }
  const query = defined(event.queryStringParameters ?? {});
  for (const [name, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
    if (values !== undefined && values.length > 1) query[name] = values.join(',');
  }
  const apiKeyId = event.requestContext.identity?.apiKeyId;
  return {
    method: event.httpMethod,
    path: event.path,
    headers,
    query,
    body,
    requestId: event.requestContext.requestId,
    ...(typeof apiKeyId === 'string' && apiKeyId !== '' ? { principal: apiKeyId } : {}),
  };
}

function defined(values: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) if (value !== undefined) out[name] = value;
  return out;
}

function lowerCase(values: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined) out[name.toLowerCase()] = value;
  }
  return out;
}

/** ApiResponse → a proxy result (JSON text, never base64). */
export function toLambdaResult(response: ApiResponse): APIGatewayProxyResult {
  return {
    statusCode: response.status,
    headers: { ...response.headers },
    body: response.body,
    isBase64Encoded: false,
  };
}

/**
 * Wraps the app as a Lambda handler. `getApp` is called on every invocation and may build the app
 * once and cache it (handlers/api.ts); if it fails, the invocation answers the uniform 500 body
 * (the cause is logged, never returned).
 */
export function createLambdaHandler(getApp: () => Promise<ApiApp>): LambdaApiHandler {
  return async (event) => {
    let app: ApiApp;
    try {
      app = await getApp();
    } catch (error) {
      const requestId = event.requestContext.requestId;
      process.stderr.write(
        `${JSON.stringify({ level: 'error', msg: 'API not initialised', requestId, error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error) })}\n`,
      );
      return {
        statusCode: 500,
        headers: { 'content-type': 'application/json; charset=utf-8', 'x-request-id': requestId },
        body: JSON.stringify({
          error: {
            code: 'INTERNAL',
            message: `The server is not configured to handle requests; quote request id ${requestId} when reporting it`,
            requestId,
          },
        }),
        isBase64Encoded: false,
      };
    }
    return toLambdaResult(await app(toApiRequest(event)));
  };
}
