import { parseConfig } from '#core/config/parse-config.ts';
import { createLocalAccessStores } from '#core/keys/access-stores.ts';
import type { KeyGateway } from '#core/keys/key-gateway.ts';
import type { KeyStore } from '#core/keys/key-store.ts';

/** Where key administration acts: the key store, and on AWS the gateway that enforces rates. */
export interface KeyAdminTarget {
  readonly store: KeyStore;
  readonly gateway: KeyGateway | undefined;
}

/**
 * The key store and gateway of this environment: the data folder's store in local mode; the
 * bucket's `keys/` on AWS, with the REST API's usage plans when VIBE_API_GATEWAY_STAGE names them
 * (the stack prints it as an output), so that keys made from an admin's machine are registered
 * at the gateway like keys made through the admin routes.
 */
export async function keyAdminFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): Promise<KeyAdminTarget> {
  const { storage } = parseConfig(env);
  if (storage.mode === 'local') {
    return { store: createLocalAccessStores(storage.dataDir).keys, gateway: undefined };
  }
  // Loaded only in aws mode: the SDK is slow to load and local use never needs it.
  const { createAwsClients } = await import('#core/aws/aws-clients.ts');
  const { createS3AccessStores } = await import('#core/aws/s3-access-stores.ts');
  const clientConfig = {
    ...(storage.region === undefined ? {} : { region: storage.region }),
    ...(storage.endpoint === undefined ? {} : { endpoint: storage.endpoint }),
  };
  const { s3 } = createAwsClients(clientConfig);
  const store = createS3AccessStores({ client: s3, bucket: storage.bucket }).keys;
  if (storage.apiGateway === undefined) return { store, gateway: undefined };
  const { createApiGatewayClient } = await import('#core/aws/api-gateway-client.ts');
  const { ApiGatewayKeyGateway } = await import('#core/aws/api-gateway-key-gateway.ts');
  const gateway = new ApiGatewayKeyGateway({
    client: createApiGatewayClient(clientConfig),
    restApiId: storage.apiGateway.restApiId,
    stage: storage.apiGateway.stage,
  });
  return { store, gateway };
}
