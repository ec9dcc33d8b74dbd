import { createHash } from 'node:crypto';

/**
 * The gateway in front of the API, where it enforces each key's request rate: API Gateway usage
 * plans on AWS. Locally there is no gateway and the API process enforces the rate itself.
 *
 * A key is registered in exactly one plan under its usage identifier, a value derived from the
 * caller's token (usageIdentifierOf), so the authorizer can name the key to the gateway without
 * storing anything secret: the gateway learns neither the token nor its stored hash.
 */
export interface KeyGateway {
  /**
   * The plans a key may be put in, each with the limits the gateway enforces per key.
   * @throws DependencyError when the gateway cannot be read.
   */
  plans(): Promise<readonly GatewayPlan[]>;
  /**
   * Registers a key's usage identifier in a plan and returns the gateway's id for it.
   * @throws DependencyError when the gateway refuses or cannot be reached; nothing is registered.
   */
  register(key: GatewayKeyRegistration): Promise<{ readonly gatewayKeyId: string }>;
  /** Removes a registered key. A key the gateway does not know is not an error (idempotent). */
  unregister(gatewayKeyId: string): Promise<void>;
}

/** A usage plan: every key in it gets these limits, each key counted on its own. */
export interface GatewayPlan {
  readonly id: string;
  readonly name: string;
  /** Steady requests per second per key; null: the stage's limit only. */
  readonly ratePerSecond: number | null;
  /** Requests at once per key; null with ratePerSecond null. */
  readonly burst: number | null;
  /** Requests per period per key (every route, polls included); null: none. */
  readonly quota: GatewayQuota | null;
}

export interface GatewayQuota {
  readonly limit: number;
  readonly period: 'DAY' | 'WEEK' | 'MONTH';
}

export interface GatewayKeyRegistration {
  readonly keyId: string;
  readonly keyName: string;
  readonly usageIdentifier: string;
  readonly planId: string;
}

/** Where a key is registered in the gateway; stored in its key record. */
export interface GatewayBinding {
  readonly plan: string;
  readonly planId: string;
  readonly gatewayKeyId: string;
}

const USAGE_IDENTIFIER_CONTEXT = 'vibe-usage-identifier-v1:';

/**
 * The value the gateway knows a key by: a SHA-256 of the token under a fixed context string, so
 * it cannot be turned back into the token nor matched against the stored hash of the secret
 * (which hashes the secret alone). 64 hex digits fit API Gateway's 20–128 characters.
 */
export function usageIdentifierOf(token: string): string {
  return createHash('sha256')
    .update(USAGE_IDENTIFIER_CONTEXT + token, 'utf8')
    .digest('hex');
}
