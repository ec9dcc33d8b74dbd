import type { ErrorCode } from '#core/errors.ts';

/** Who may call an operation. */
export type Access = 'public' | 'key' | 'admin';

/** A request body in one media type: a named component schema. */
export interface BodyDoc {
  readonly schema: string;
  /** Per-property encoding of a multipart body (e.g. the file part's content types). */
  readonly encoding?: Readonly<Record<string, { readonly contentType: string }>>;
}

export interface ResponseDoc {
  readonly description: string;
  /** A component schema name, for a JSON answer; several: any of them. */
  readonly schema?: string | readonly string[];
  /** A non-JSON answer (e.g. `text/html`), described by its media type only. */
  readonly mediaType?: string;
  /** Names of components.headers the answer carries (beyond x-request-id, always sent). */
  readonly headers?: readonly string[];
}

/**
 * What the document says about one route beyond its schemas: the words, who may call it, the
 * headers it takes, its answers and the error codes it can give (their statuses come from the one
 * table, http-errors.ts).
 */
export interface OperationDoc {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  readonly access: Access;
  /** Takes `Idempotency-Key`. */
  readonly idempotent?: boolean;
  /** Takes `Prefer: wait=N`. */
  readonly preferWait?: boolean;
  readonly query?: readonly QueryDoc[];
  readonly requestBody?: {
    readonly required: boolean;
    readonly content: Readonly<Record<string, BodyDoc>>;
  };
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  /** Codes this route answers besides the ones every route of its access level may give. */
  readonly errors: readonly ErrorCode[];
}

export interface QueryDoc {
  readonly name: string;
  readonly description: string;
  readonly schema: Readonly<Record<string, unknown>>;
}

/** Words for path parameters, by name. */
export const PATH_PARAMETERS: Readonly<Record<string, string>> = {
  id: 'The id the create call answered.',
  deliveryId: 'The id of one webhook delivery, from the delivery log.',
  keyId: 'The id of an API key.',
};
