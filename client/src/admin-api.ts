import type { HttpTransport } from './http-transport.ts';

/** The limits of a key; `null` is unlimited. */
export interface KeyLimits {
  readonly ratePerSecond: number | null;
  readonly burst: number;
  readonly concurrency: number | null;
  readonly jobsPerDay: number | null;
}

/** A key as admins see it: never its secret or hash. */
export interface ApiKey {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
  readonly limits: KeyLimits;
  readonly admin: boolean;
  /** The API Gateway usage plan that enforces the key's rate (AWS); null where the API does. */
  readonly plan: string | null;
}

export interface CreateKeyRequest {
  readonly name: string;
  /** A limit left out takes the server's default; null is unlimited. */
  readonly ratePerSecond?: number | null;
  readonly burst?: number;
  readonly concurrency?: number | null;
  readonly jobsPerDay?: number | null;
  readonly admin?: boolean;
  /**
   * On AWS, the usage plan whose rate and burst the key gets (API Gateway enforces them); left
   * out, the plan whose limits equal the requested ones. Refused by servers without a gateway.
   */
  readonly plan?: string;
}

export interface CreatedKey {
  readonly key: ApiKey;
  /** `vibe_<id>_<secret>`: shown once, never again. */
  readonly token: string;
}

/** Key administration (`/v1/admin/keys`), for admin keys only; others get 403 ACCESS_DENIED. */
export class AdminApi {
  readonly #http: HttpTransport;

  constructor(http: HttpTransport) {
    this.#http = http;
  }

  async listKeys(options: { signal?: AbortSignal } = {}): Promise<ApiKey[]> {
    const answer = await this.#http.json<{ keys: ApiKey[] }>({
      method: 'GET',
      path: '/v1/admin/keys',
      retryOnNetworkError: true,
      signal: options.signal,
    });
    return answer.keys;
  }

  /** Not idempotent on the server (a replay would have to keep the secret): never retried blind. */
  createKey(
    request: CreateKeyRequest,
    options: { signal?: AbortSignal } = {},
  ): Promise<CreatedKey> {
    return this.#http.json({
      method: 'POST',
      path: '/v1/admin/keys',
      json: request,
      signal: options.signal,
    });
  }

  async revokeKey(id: string, options: { signal?: AbortSignal } = {}): Promise<ApiKey> {
    const answer = await this.#http.json<{ key: ApiKey }>({
      method: 'POST',
      path: `/v1/admin/keys/${encodeURIComponent(id)}/revoke`,
      retryOnNetworkError: true,
      signal: options.signal,
    });
    return answer.key;
  }
}
