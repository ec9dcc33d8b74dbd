import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type { ErrorCode } from '#core/errors.ts';

/** One error API Gateway answers itself, before (or instead of) the API Lambda. */
export interface GatewayErrorResponse {
  readonly type: apigw.ResponseType;
  readonly status: number;
  readonly code: ErrorCode;
  /**
   * The message, as JSON string content: literal text, or a variable API Gateway fills in. Gateway
   * responses paste variables in unescaped, so only ones that are already escaped may appear:
   * `$context.authorizer.message` (the authorizer escapes it).
   */
  readonly message: string;
  /** JSON object content for `details`, or none. */
  readonly details?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const ONE_SECOND = { 'Retry-After': "'1'" };
const BEARER = { 'WWW-Authenticate': "'Bearer'" };

/**
 * The API's own error body for what API Gateway refuses, so a client sees one error format and
 * one set of codes (docs/api.md) whether the Lambda or the gateway answered. The codes are the
 * API's: a refused key is 401 UNAUTHENTICATED (API Gateway's default for a Deny is 403), a
 * throttled key 429 RATE_LIMITED with Retry-After, an unknown route 404 (API Gateway's default
 * is 403 "Missing Authentication Token").
 */
export const GATEWAY_ERROR_RESPONSES: readonly GatewayErrorResponse[] = [
  {
    type: apigw.ResponseType.UNAUTHORIZED,
    status: 401,
    code: 'UNAUTHENTICATED',
    message:
      'Expected an API key in the header Authorization: Bearer vibe_<16 hex digits>_<43 base64url characters> but the request has no Authorization header',
    details: '"reason":"missing"',
    headers: BEARER,
  },
  {
    // The authorizer's Deny: its context carries the API's own message and reason.
    type: apigw.ResponseType.ACCESS_DENIED,
    status: 401,
    code: 'UNAUTHENTICATED',
    message: '$context.authorizer.message',
    details: '"reason":"$context.authorizer.reason"',
    headers: BEARER,
  },
  {
    // Allowed by the authorizer but not in a usage plan: created before the gateway knew keys,
    // or revoked a moment ago.
    type: apigw.ResponseType.INVALID_API_KEY,
    status: 401,
    code: 'UNAUTHENTICATED',
    message:
      "Expected an API key registered in one of this API's usage plans but this key is not (revoked, or created without the gateway); ask an admin for a new key",
    details: '"reason":"unregistered"',
    headers: BEARER,
  },
  {
    type: apigw.ResponseType.THROTTLED,
    status: 429,
    code: 'RATE_LIMITED',
    message:
      "Expected requests within the rate of this key's usage plan (and the API's overall rate) but this one exceeded it; retry after the Retry-After seconds",
    headers: ONE_SECOND,
  },
  {
    type: apigw.ResponseType.QUOTA_EXCEEDED,
    status: 429,
    code: 'QUOTA_EXCEEDED',
    message:
      "Expected requests within the daily request quota of this key's usage plan but it is used up; it resets at 00:00 UTC",
    details: '"scope":"requests"',
    // Gateway responses carry static headers only: an hour is a poll hint, not the reset time.
    headers: { 'Retry-After': "'3600'" },
  },
  {
    type: apigw.ResponseType.AUTHORIZER_FAILURE,
    status: 503,
    code: 'DEPENDENCY_UNAVAILABLE',
    message: 'Expected to check the API key but the key store did not answer; retry shortly',
    headers: ONE_SECOND,
  },
  {
    type: apigw.ResponseType.AUTHORIZER_CONFIGURATION_ERROR,
    status: 503,
    code: 'DEPENDENCY_UNAVAILABLE',
    message: 'Expected to check the API key but the authorizer failed; retry shortly',
    headers: ONE_SECOND,
  },
  {
    type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
    status: 404,
    code: 'NOT_FOUND',
    message:
      'Expected a route of this API (see /openapi.json) but no route matches this method and path',
  },
  {
    type: apigw.ResponseType.REQUEST_TOO_LARGE,
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    message:
      "Expected a request body of at most 10 MB (API Gateway's limit); send larger images through POST /v1/uploads",
  },
  {
    type: apigw.ResponseType.BAD_REQUEST_PARAMETERS,
    status: 400,
    code: 'INVALID_ARGUMENT',
    message: 'Expected the path parameters this route requires but they are missing or invalid',
  },
  {
    type: apigw.ResponseType.INTEGRATION_TIMEOUT,
    status: 503,
    code: 'DEPENDENCY_UNAVAILABLE',
    message:
      "Expected an answer within API Gateway's 29 s but the API took longer; a job may have been created, so retry with the same Idempotency-Key",
    headers: ONE_SECOND,
  },
  {
    type: apigw.ResponseType.DEFAULT_5XX,
    status: 500,
    code: 'INTERNAL',
    message: 'The gateway failed to handle the request; retry with the same Idempotency-Key',
  },
];

/** The JSON template of one response; `$context.requestId` names the request in the access log. */
export function gatewayResponseTemplate(response: GatewayErrorResponse): string {
  const details = response.details === undefined ? '' : `,"details":{${response.details}}`;
  return `{"error":{"code":"${response.code}","message":"${response.message}"${details},"requestId":"$context.requestId"}}`;
}

export function addGatewayResponses(api: apigw.RestApi): void {
  for (const response of GATEWAY_ERROR_RESPONSES) {
    api.addGatewayResponse(`Gateway${response.type.responseType}`, {
      type: response.type,
      statusCode: String(response.status),
      responseHeaders: { 'Content-Type': "'application/json'", ...response.headers },
      templates: { 'application/json': gatewayResponseTemplate(response) },
    });
  }
}
