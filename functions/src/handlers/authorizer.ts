/**
 * The REST API's Lambda authorizer (functions/src/api/auth/gateway-authorizer.ts) and its
 * composition root. It reads only the bucket's `keys/`; the stack gives it the bucket and nothing
 * else, so it does not go through core's parseConfig (which wants the queues).
 */
import { z } from 'zod';
import { createAwsClients } from '#core/aws/aws-clients.ts';
import { createS3AccessStores } from '#core/aws/s3-access-stores.ts';
import { ENV } from '#core/config/env-names.ts';
import { choiceVar } from '#core/config/env-vars.ts';
import { invalidConfiguration } from '#core/config/invalid-configuration.ts';
import { SHARED_AWS_VARS } from '#core/config/shared-vars.ts';
import { systemClock } from '../api/api-context.ts';
import { DEFAULT_ACCESS_CONFIG } from '../api/auth/access-config.ts';
import { createGatewayAuthorizer, type GatewayAuthorizer } from '../api/auth/gateway-authorizer.ts';

const schema = z.object({
  [ENV.mode]: choiceVar(ENV.mode, ['aws'] as const, 'required'),
  ...SHARED_AWS_VARS,
});

/**
 * An authorizer over the key store the environment names. The app is built on the first call
 * and reused (one S3 client and key cache per container).
 * @throws ConfigError (on the first call) listing every missing or invalid variable.
 */
export function createAuthorizerHandler(
  env: Readonly<Record<string, string | undefined>>,
): GatewayAuthorizer {
  let authorize: GatewayAuthorizer | undefined;
  return async (event) => {
    authorize ??= build(env);
    return authorize(event);
  };
}

function build(env: Readonly<Record<string, string | undefined>>): GatewayAuthorizer {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw invalidConfiguration(
      'authorizer configuration',
      result.error.issues.map((issue) => issue.message),
    );
  }
  const region = result.data[ENV.awsRegion];
  const endpoint = result.data[ENV.awsEndpointUrl];
  const { s3 } = createAwsClients({ region, endpoint });
  return createGatewayAuthorizer({
    keys: createS3AccessStores({ client: s3, bucket: result.data[ENV.bucket] }).keys,
    clock: systemClock,
    log: (entry) => {
      if (entry.level !== 'info') process.stderr.write(`${JSON.stringify(entry)}\n`);
    },
    keyCacheSeconds: DEFAULT_ACCESS_CONFIG.keyCacheSeconds,
  });
}

/** The Lambda handler (`functions/src/handlers/authorizer.handler`). */
export const handler: GatewayAuthorizer = createAuthorizerHandler(process.env);
