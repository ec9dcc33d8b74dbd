/**
 * `node --import tsx functions/src/admin/keys-main.ts <command>`: key administration on the store
 * the environment configures (VIBE_MODE=local: `<VIBE_DATA_DIR>/access/`; aws: the bucket's
 * `keys/`, and the REST API's usage plans with VIBE_API_GATEWAY_STAGE). See keys-cli.ts for the
 * commands.
 */
import { keyAdminFromEnv } from './key-admin-from-env.ts';
import { runKeysCli } from './keys-cli.ts';

process.exitCode = await runKeysCli(process.argv.slice(2), {
  ...(await keyAdminFromEnv(process.env)),
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
