import { z } from 'zod';
import { ENV } from '#core/config/env-names.ts';
import { choiceVar } from '#core/config/env-vars.ts';
import { invalidConfiguration } from '#core/config/invalid-configuration.ts';
import {
  apiGatewayStageVar,
  dataDirVar,
  parseApiGatewayStage,
  SHARED_AWS_VARS,
} from '#core/config/shared-vars.ts';
import { createLocalAccessStores } from '#core/keys/access-stores.ts';
import type { KeyGateway } from '#core/keys/key-gateway.ts';
import type { KeyStore } from '#core/keys/key-store.ts';

/** Where key administration acts: the key store, and on AWS the gateway that enforces rates. */
export interface KeyAdminTarget {
  readonly store: KeyStore;
  readonly gateway: KeyGateway | undefined;
}

const modeVar = choiceVar(ENV.mode, ['local', 'aws'] as const, { default: 'local' });
const local = z.object({ [ENV.dataDir]: dataDirVar });
// Only what key administration reads: an admin's machine need not know the queues.
const aws = z.object({ ...SHARED_AWS_VARS, [ENV.apiGatewayStage]: apiGatewayStageVar });

/**
 * The key store and gateway of this environment: `<VIBE_DATA_DIR>/access/` in local mode; the
 * bucket's `keys/` on AWS, with the REST API's usage plans when VIBE_API_GATEWAY_STAGE names them
 * (the stack prints it as the output ApiGatewayStage), so that keys made from an admin's machine
 * are registered at the gateway like keys made through the admin routes.
 * @throws ConfigError listing every missing or invalid variable.
 */
export async function keyAdminFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): Promise<KeyAdminTarget> {
  const mode = modeVar.safeParse(env[ENV.mode]);
  if (!mode.success) throw configError(mode.error.issues);
  if (mode.data === 'local') {
    const parsed = local.safeParse(env);
    if (!parsed.success) throw configError(parsed.error.issues);
    return { store: createLocalAccessStores(parsed.data[ENV.dataDir]).keys, gateway: undefined };
  }
  const parsed = aws.safeParse(env);
  if (!parsed.success) throw configError(parsed.error.issues);
  const region = parsed.data[ENV.awsRegion];
  const endpoint = parsed.data[ENV.awsEndpointUrl];
  // Loaded only in aws mode: the SDK is slow to load and local use never needs it.
  const { createAwsClients } = await import('#core/aws/aws-clients.ts');
  const { createS3AccessStores } = await import('#core/aws/s3-access-stores.ts');
  const clientConfig = { region, endpoint };
  const { s3 } = createAwsClients(clientConfig);
  const store = createS3AccessStores({ client: s3, bucket: parsed.data[ENV.bucket] }).keys;
  const stage = parseApiGatewayStage(parsed.data[ENV.apiGatewayStage]);
  if (stage === undefined) return { store, gateway: undefined };
  const { createApiGatewayClient } = await import('#core/aws/api-gateway-client.ts');
  const { ApiGatewayKeyGateway } = await import('#core/aws/api-gateway-key-gateway.ts');
  const gateway = new ApiGatewayKeyGateway({
    client: createApiGatewayClient(clientConfig),
    restApiId: stage.restApiId,
    stage: stage.stage,
  });
  return { store, gateway };
}

function configError(issues: readonly { readonly message: string }[]) {
  return invalidConfiguration(
    'key administration configuration',
    issues.map((issue) => issue.message),
  );
}
