import { DependencyError } from '#core/errors.ts';
import type { SecretFetcher } from '#core/webhooks/signing-secrets.ts';

export interface ExtensionSecretFetcherOptions {
  /** @default 'localhost' (where the extension listens inside the Lambda sandbox) */
  readonly host?: string;
  /** @default PARAMETERS_SECRETS_EXTENSION_HTTP_PORT or 2773 */
  readonly port?: number;
  /** The extension's auth token. @default AWS_SESSION_TOKEN */
  readonly token?: string;
  /** @default 3000 */
  readonly timeoutMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof globalThis.fetch;
}

/**
 * Reads a secret through the AWS "Parameters and Secrets" Lambda extension (a layer that serves
 * Secrets Manager on localhost, with its own cache), because the Secrets Manager SDK client is
 * not a dependency of this project. The stack must add the layer to the webhook Lambda
 * (`paramsAndSecrets` on the function); with `@aws-sdk/client-secrets-manager` installed, a
 * GetSecretValue fetcher can replace this one without other changes (docs/webhooks.md).
 */
export function createExtensionSecretFetcher(
  options: ExtensionSecretFetcherOptions = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
): SecretFetcher {
  const host = options.host ?? 'localhost';
  const port = options.port ?? Number(env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? 2773);
  const token = options.token ?? env.AWS_SESSION_TOKEN ?? '';
  const timeoutMs = options.timeoutMs ?? 3000;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  return async (secretId) => {
    const url = `http://${host}:${port}/secretsmanager/get?secretId=${encodeURIComponent(secretId)}`;
    let response: Response;
    try {
      response = await fetchImpl(url, {
        headers: { 'X-Aws-Parameters-Secrets-Token': token },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new DependencyError(
        `Expected the Parameters and Secrets extension on port ${port} to answer but the request failed (is the layer attached?)`,
        { cause: error, details: { port } },
      );
    }
    const text = await response.text();
    if (!response.ok) {
      throw new DependencyError(
        `Expected the Parameters and Secrets extension to return secret ${secretId} but it answered HTTP ${response.status}`,
        { details: { status: response.status, port } },
      );
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new DependencyError(
        'Expected a JSON answer from the Parameters and Secrets extension but it does not parse',
        {
          cause: error,
        },
      );
    }
    const secret =
      typeof value === 'object' && value !== null && 'SecretString' in value
        ? value.SecretString
        : undefined;
    if (typeof secret !== 'string' || secret === '') {
      throw new DependencyError(
        `Expected secret ${secretId} to hold a SecretString but it holds none (binary secrets are not supported)`,
      );
    }
    return secret;
  };
}
