import { DependencyError } from '../errors.ts';
import { parseSigningSecrets } from './webhook-secret.ts';

/**
 * Where the deliverer gets its signing keys: one per deployment, from configuration. Locally the
 * value of VIBE_WEBHOOK_SECRET; in AWS the Secrets Manager secret named by
 * VIBE_WEBHOOK_SECRET_ARN, fetched once and cached. Either value may hold several secrets (newest
 * first) during a rotation; every one of them signs.
 */
export interface SigningSecretSource {
  /** The HMAC keys, at least one. */
  keys(): Promise<readonly Uint8Array[]>;
}

/**
 * Keys from a configured value, parsed once.
 * @throws ValidationError `INVALID_ARGUMENT` at once when the value is malformed.
 */
export function staticSigningSecrets(value: string): SigningSecretSource {
  const keys = parseSigningSecrets(value);
  return { keys: () => Promise.resolve(keys) };
}

/**
 * Reads a secret's current value by id (ARN). The SDK client for Secrets Manager is not a
 * dependency of this project, so composition roots pass one (functions/src/webhooks has one over
 * the Lambda "Parameters and Secrets" extension).
 */
export type SecretFetcher = (secretId: string) => Promise<string>;

export interface CachedSigningSecretsOptions {
  readonly secretId: string;
  readonly fetchSecret: SecretFetcher;
  /**
   * How long a fetched value is used before it is fetched again, so that a rotation (a new secret
   * version) reaches running containers without a deploy. @default 300000 (5 min)
   */
  readonly ttlMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Keys fetched on first use and cached for `ttlMs`. Concurrent callers share one fetch. When a
 * refresh fails, the keys fetched before keep signing (a Secrets Manager hiccup must not stop
 * deliveries); with nothing fetched yet, the failure is a retryable DependencyError.
 */
export function cachedSigningSecrets(options: CachedSigningSecretsOptions): SigningSecretSource {
  const ttlMs = options.ttlMs ?? 300_000;
  const now = options.now ?? Date.now;
  let cached: { keys: readonly Uint8Array[]; at: number } | undefined;
  let inFlight: Promise<readonly Uint8Array[]> | undefined;

  const refresh = async (): Promise<readonly Uint8Array[]> => {
    let value: string;
    try {
      value = await options.fetchSecret(options.secretId);
    } catch (error) {
      if (cached !== undefined) return cached.keys;
      throw new DependencyError(
        `Expected to read the webhook signing secret ${options.secretId} but the fetch failed`,
        { cause: error, details: { secretId: options.secretId } },
      );
    }
    const keys = parseSigningSecrets(value);
    cached = { keys, at: now() };
    return keys;
  };

  return {
    keys() {
      if (cached !== undefined && now() - cached.at < ttlMs) return Promise.resolve(cached.keys);
      inFlight ??= refresh().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
  };
}
