import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import type { AwsClientsConfig } from './aws-clients.ts';

/**
 * Builds the API Gateway (REST API control plane) client that key administration uses to manage
 * API keys and usage plans. Region, endpoint and credentials resolve as in createAwsClients; the
 * endpoint points at a fake server in tests and stays unset in AWS. Kept out of AwsClients because
 * only key administration needs it, and the worker and API Lambdas should not load its SDK.
 */
export function createApiGatewayClient(config: AwsClientsConfig = {}): APIGatewayClient {
  return new APIGatewayClient({
    ...(config.region === undefined ? {} : { region: config.region }),
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    ...(config.credentials === undefined ? {} : { credentials: { ...config.credentials } }),
  });
}
