import { parseArgs } from 'node:util';
import type { CreateKeyRequest } from '#client/admin-api.ts';
import { ValidationError } from '#core/errors.ts';
import { keyAdminFromEnv } from '#functions/admin/key-admin-from-env.ts';
import { KEYS_USAGE, runKeysCli } from '#functions/admin/keys-cli.ts';
import { clientFor, SERVER_OPTIONS, SERVER_USAGE, wantsServer } from './server-options.ts';

export const VIBE_KEYS_USAGE = `Usage: vibe keys create|list|show|revoke [options]   (admins)

Without --server: on the key store this environment configures (VIBE_MODE=local: the data
folder's access/ folder; aws: the bucket). With --server (or $VIBE_SERVER_URL): through the API's
admin routes, with an admin key.

${KEYS_USAGE.replace(/^Usage: keys <command> \[options\]\n\n/, '')}
Server options:
${SERVER_USAGE}`;

/**
 * `vibe keys`: key administration, on the configured store (functions/src/admin/keys-cli.ts) or
 * through the API's admin routes with an admin key.
 * @returns the exit code (0; 1: refused; 2: bad usage).
 */
export async function runVibeKeysCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: { out: (text: string) => void; err: (text: string) => void } = {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  },
): Promise<number> {
  if (!wantsServer(argv, env)) {
    return runKeysCli(argv, { ...(await keyAdminFromEnv(env)), ...io });
  }
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      ...SERVER_OPTIONS,
      name: { type: 'string' },
      rate: { type: 'string' },
      burst: { type: 'string' },
      concurrency: { type: 'string' },
      quota: { type: 'string' },
      admin: { type: 'boolean' },
      plan: { type: 'string' },
    },
  });
  const admin = clientFor(values, env).admin;
  const [command, id] = positionals;
  const print = (value: unknown) => io.out(`${JSON.stringify(value, null, 2)}\n`);
  switch (command) {
    case 'list':
      print(await admin.listKeys());
      return 0;
    case 'show': {
      const key = (await admin.listKeys()).find((candidate) => candidate.id === id);
      if (key === undefined) {
        io.err(
          `NOT_FOUND: Expected the id of a key but no key ${JSON.stringify(id ?? '')} exists\n`,
        );
        return 1;
      }
      print(key);
      return 0;
    }
    case 'revoke':
      if (id === undefined) break;
      print(await admin.revokeKey(id));
      return 0;
    case 'create': {
      const request: CreateKeyRequest = {
        name: values.name ?? '',
        ...limit('ratePerSecond', 'rate', values.rate),
        ...limit('concurrency', 'concurrency', values.concurrency),
        ...limit('jobsPerDay', 'quota', values.quota),
        ...(values.burst === undefined ? {} : { burst: Number(values.burst) }),
        ...(values.admin === true ? { admin: true } : {}),
        ...(values.plan === undefined ? {} : { plan: values.plan }),
      };
      print(await admin.createKey(request));
      io.err('The token is shown once: store it now. Only its SHA-256 is kept.\n');
      return 0;
    }
    default:
      break;
  }
  io.err(
    `Expected a command create, list, show <id> or revoke <id> but received ${JSON.stringify(positionals.join(' '))}\n\n${VIBE_KEYS_USAGE}\n`,
  );
  return 2;
}

function limit<K extends string>(
  key: K,
  flag: string,
  value: string | undefined,
): { [P in K]?: number | null } {
  if (value === undefined) return {};
  if (value === 'none' || value === 'unlimited') return { [key]: null } as { [P in K]?: null };
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected --${flag} to be a number or "none" but received ${JSON.stringify(value)}`,
    );
  }
  return { [key]: number } as { [P in K]?: number };
}
