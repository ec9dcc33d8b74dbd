import { DocumentKeyStore } from '#core/keys/key-store.ts';
import { MemoryDocumentStore } from '#core/limits/memory-document-store.ts';
import { type CreateKeyInput, createKey } from '#functions/admin/keys-command.ts';
import type { ApiConfigInput } from '#functions/api/api-config.ts';
import type { ApiDeps, ApiRequest } from '#functions/api/api-types.ts';
import {
  call,
  createHarness,
  type Harness,
  jsonRequest,
  START,
} from '../../helpers/api-harness.ts';
import { pngImage, toDataUri } from '../../helpers/images.ts';

/** The app on local adapters with API keys required, keys in memory, read on every request. */
export interface KeyedHarness extends Harness {
  readonly keyStore: DocumentKeyStore;
  readonly usage: MemoryDocumentStore;
  /** Creates a key (default limits unless given) and returns its bearer token. */
  newKey(input?: Partial<CreateKeyInput>): Promise<{ id: string; token: string }>;
}

export function createKeyedHarness(
  root: string,
  options: { readonly config?: ApiConfigInput; readonly wrap?: (deps: ApiDeps) => ApiDeps } = {},
): KeyedHarness {
  const usage = new MemoryDocumentStore();
  const keyStore = new DocumentKeyStore(usage);
  const harness = createHarness(root, {
    config: { ...options.config, access: { keyCacheSeconds: 0, ...options.config?.access } },
    wrap: (deps) => {
      const keyed = { ...deps, keys: keyStore, usage };
      return options.wrap === undefined ? keyed : options.wrap(keyed);
    },
  });
  return {
    ...harness,
    keyStore,
    usage,
    async newKey(input = {}) {
      const created = await createKey(
        keyStore,
        { name: 'test', ...input },
        new Date(harness.clock.now()),
      );
      return { id: created.key.id, token: created.token };
    },
  };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** `request` with the key's Authorization header added. */
export function as(token: string, request: ApiRequest): ApiRequest {
  return { ...request, headers: { ...request.headers, ...bearer(token) } };
}

export async function editBody(fields: Record<string, unknown> = {}) {
  return {
    image: { dataUri: toDataUri(await pngImage(64, 48)) },
    instruction: 'make it winter',
    ...fields,
  };
}

/** POST /v1/edits of a small PNG as the key `token`. */
export async function submitAs(
  h: Harness,
  token: string,
  fields: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  return call(
    h.app,
    jsonRequest('POST', '/v1/edits', await editBody(fields), { ...bearer(token), ...headers }),
  );
}

export { START };
