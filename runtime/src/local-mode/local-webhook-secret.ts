import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LOCAL_ACCESS_FOLDER } from '#core/keys/access-stores.ts';
import { isMissingFileError } from '#core/local/atomic-file.ts';

/** Where local mode keeps the webhook signing secret it made for its operator. */
export function localWebhookSecretPath(dataDir: string): string {
  return join(dataDir, LOCAL_ACCESS_FOLDER, 'webhook-secret');
}

/**
 * Webhooks must be signed (Standard Webhooks), and `npm start` must work from a clean clone: without
 * VIBE_WEBHOOK_SECRET, local mode makes one `whsec_` secret on its first start, keeps it in
 * `<data>/access/webhook-secret` (owner-readable only) and reuses it, so receivers can verify
 * deliveries across restarts.
 */
export async function ensureLocalWebhookSecret(
  configured: string | undefined,
  dataDir: string,
): Promise<{ secret: string; path: string | undefined; created: boolean }> {
  if (configured !== undefined && configured !== '') {
    return { secret: configured, path: undefined, created: false };
  }
  const path = localWebhookSecretPath(dataDir);
  try {
    const saved = (await readFile(path, 'utf8')).trim();
    if (saved.startsWith('whsec_')) return { secret: saved, path, created: false };
  } catch (error) {
    if (!isMissingFileError(error)) throw error;
  }
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${secret}\n`, { mode: 0o600 });
  return { secret, path, created: true };
}
