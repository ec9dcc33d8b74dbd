import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LOCAL_ACCESS_FOLDER } from '#core/keys/access-stores.ts';
import { type ApiKeyRecord, generateApiKey, parseApiKeyToken } from '#core/keys/api-key.ts';
import type { KeyStore } from '#core/keys/key-store.ts';
import { isMissingFileError } from '#core/local/atomic-file.ts';

/** Where local mode keeps the token of the key it made for its operator. */
export function localKeyPath(dataDir: string): string {
  return join(dataDir, LOCAL_ACCESS_FOLDER, 'local-api-key');
}

export interface LocalKey {
  /** `vibe_<id>_<secret>`; undefined when the operator manages the keys (see ensureLocalKey). */
  readonly token: string | undefined;
  /** The file that holds the token (mode 0600). */
  readonly path: string;
  /** True when this start made the key. */
  readonly created: boolean;
}

/** The operator's own key has no limits: local mode is one person's machine. */
const LOCAL_KEY_LIMITS: ApiKeyRecord['limits'] = {
  ratePerSecond: null,
  burst: 1000,
  concurrency: null,
  jobsPerDay: null,
};

/**
 * With API keys required, `npm start` must be usable from a clean clone without a key-admin step:
 * on a store with no live key, local mode makes one admin key named `local`, writes its token to
 * `<data>/access/local-api-key` (readable by the owner only; the store keeps only its hash) and
 * reuses it on later starts. Once the operator has other keys and this one is gone or revoked,
 * nothing is made. `try-edit` and the printed curl lines read the file.
 */
export async function ensureLocalKey(
  keys: KeyStore,
  dataDir: string,
  now: Date = new Date(),
): Promise<LocalKey> {
  const path = localKeyPath(dataDir);
  const saved = await readToken(path);
  const savedId = saved === undefined ? undefined : parseApiKeyToken(saved)?.id;
  if (saved !== undefined && savedId !== undefined) {
    const record = await keys.get(savedId);
    if (record !== undefined && record.revokedAt === null) {
      return { token: saved, path, created: false };
    }
  }
  const live = (await keys.list()).filter((record) => record.revokedAt === null);
  if (live.length > 0) return { token: undefined, path, created: false };

  const key = generateApiKey();
  await keys.create({
    id: key.id,
    name: 'local',
    secretHash: key.secretHash,
    createdAt: now.toISOString(),
    revokedAt: null,
    limits: LOCAL_KEY_LIMITS,
    admin: true,
  });
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${key.token}\n`, { mode: 0o600 });
  return { token: key.token, path, created: true };
}

/** The saved token of local mode's key in `dataDir`, if there is one. */
export async function readLocalKey(dataDir: string): Promise<string | undefined> {
  return readToken(localKeyPath(dataDir));
}

async function readToken(path: string): Promise<string | undefined> {
  try {
    const token = (await readFile(path, 'utf8')).trim();
    return token === '' ? undefined : token;
  } catch (error) {
    if (isMissingFileError(error)) return undefined;
    throw error;
  }
}
