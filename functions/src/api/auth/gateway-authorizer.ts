import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { isAppError } from '#core/errors.ts';
import { usageIdentifierOf } from '#core/keys/key-gateway.ts';
import type { KeyStore } from '#core/keys/key-store.ts';
import type { Clock, LogSink } from '../api-types.ts';
import { authenticateBearer, bearerTokenOf, createKeyCache } from './authenticate.ts';

export interface GatewayAuthorizerDeps {
  readonly keys: KeyStore;
  readonly clock: Clock;
  readonly log: LogSink;
  /** How long a key read from the store is trusted (the API's access.keyCacheSeconds). */
  readonly keyCacheSeconds: number;
}

export type GatewayAuthorizer = (
  event: APIGatewayRequestAuthorizerEvent,
) => Promise<APIGatewayAuthorizerResult>;

/**
 * The REST API's REQUEST authorizer. API Gateway takes its own API keys only from an `x-api-key`
 * header or from an authorizer; callers present `Authorization: Bearer vibe_…`, so this checks the
 * bearer key exactly as the API does (authenticate.ts) and names the key's gateway key through
 * `usageIdentifierKey`, which lets the key's usage plan throttle it at the gateway, across every
 * API process. The policy allows the whole stage because API Gateway caches the answer per
 * Authorization header for all routes.
 *
 * A refused key gets a Deny whose context carries the API's error message and reason; the stack's
 * ACCESS_DENIED gateway response turns it into the API's usual 401 body. A store failure throws,
 * which API Gateway answers 500 AUTHORIZER_FAILURE (mapped to 503 by the stack) and never caches.
 */
export function createGatewayAuthorizer(deps: GatewayAuthorizerDeps): GatewayAuthorizer {
  const cache = createKeyCache(deps.keyCacheSeconds, deps.clock);
  return async (event) => {
    const header = headerOf(event, 'authorization');
    const resource = stageWildcard(event.methodArn);
    try {
      const key = await authenticateBearer(header, (id) => cache.get(id, () => deps.keys.get(id)));
      return {
        principalId: key.id,
        policyDocument: policy('Allow', resource),
        // A token that reached here matched its stored hash, so it is the key's own token.
        usageIdentifierKey: usageIdentifierOf(bearerTokenOf(header) ?? ''),
        context: { keyId: key.id, admin: key.admin },
      };
    } catch (error) {
      if (!isAppError(error) || error.code !== 'UNAUTHENTICATED') throw error;
      const reason = typeof error.details?.reason === 'string' ? error.details.reason : 'unknown';
      deps.log({ level: 'info', msg: 'authorizer refused a key', reason });
      return {
        principalId: 'unauthenticated',
        policyDocument: policy('Deny', resource),
        // Gateway responses paste context values into their JSON template without escaping.
        context: { code: error.code, reason, message: jsonStringContent(error.message) },
      };
    }
  };
}

function headerOf(event: APIGatewayRequestAuthorizerEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name && value !== undefined) return value;
  }
  return undefined;
}

/**
 * `arn:aws:execute-api:<region>:<account>:<api>/<stage>/<method>/<path>` → the same ARN for every
 * method and path of the stage.
 */
export function stageWildcard(methodArn: string): string {
  const [apiArn = '', stage = ''] = methodArn.split('/');
  return `${apiArn}/${stage}/*`;
}

function policy(effect: 'Allow' | 'Deny', resource: string) {
  return {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
  };
}

/** The text JSON.stringify would put between the quotes. */
function jsonStringContent(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}
