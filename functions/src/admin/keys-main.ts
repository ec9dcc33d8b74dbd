/**
 * `node --import tsx functions/src/admin/keys-main.ts <command>`: key administration on the store
 * the environment configures (VIBE_MODE=local: `<VIBE_DATA_DIR>/access/`; aws: the bucket's
 * `keys/`). See keys-cli.ts for the commands.
 */
import { createAwsClients } from '#core/aws/aws-clients.ts';
import { createS3AccessStores } from '#core/aws/s3-access-stores.ts';
import { parseConfig } from '#core/config/parse-config.ts';
import { createLocalAccessStores } from '#core/keys/access-stores.ts';
import type { KeyStore } from '#core/keys/key-store.ts';
import { runKeysCli } from './keys-cli.ts';

function keyStoreFromEnv(env: Readonly<Record<string, string | undefined>>): KeyStore {
  const { storage } = parseConfig(env);
  if (storage.mode === 'local') return createLocalAccessStores(storage.dataDir).keys;
  const { s3 } = createAwsClients({
    ...(storage.region === undefined ? {} : { region: storage.region }),
    ...(storage.endpoint === undefined ? {} : { endpoint: storage.endpoint }),
  });
  return createS3AccessStores({ client: s3, bucket: storage.bucket }).keys;
}

process.exitCode = await runKeysCli(process.argv.slice(2), {
  store: keyStoreFromEnv(process.env),
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
