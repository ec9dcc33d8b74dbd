import { parseArgs } from 'node:util';
import { isAppError, ValidationError } from '#core/errors.ts';
import type { KeyGateway } from '#core/keys/key-gateway.ts';
import type { KeyStore } from '#core/keys/key-store.ts';
import { type CreateKeyInput, createKey, listKeys, revokeKey, showKey } from './keys-command.ts';

export const KEYS_USAGE = `Usage: keys <command> [options]

  create --name <name> [--rate <req/s>] [--burst <n>] [--concurrency <n>] [--quota <jobs/day>] [--admin]
         [--plan <usage plan>]
         Creates a key and prints it once as JSON: { key, token }. A limit of "none" is unlimited;
         a limit left out takes the default (5 req/s, burst 10, concurrency 4, 1000 jobs/day).
         On AWS (VIBE_API_GATEWAY_STAGE set) API Gateway enforces the rate: the key joins --plan,
         or the usage plan whose rate and burst equal the requested ones.
  list   Prints every key (never a secret or a hash) as JSON.
  show <id>
  revoke <id>
         Revokes a key; the API refuses it (401 "revoked") within its key cache time (5 s), and
         on AWS its API Gateway key is removed.
`;

export interface KeysCliIo {
  readonly store: KeyStore;
  /** Where API Gateway enforces rates (AWS): keys are registered in its usage plans. */
  readonly gateway?: KeyGateway | undefined;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly now?: () => Date;
}

function limitArg(name: string, value: string | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === 'none' || value === 'unlimited') return null;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected --${name} to be a number or "none" but received ${JSON.stringify(value)}`,
    );
  }
  return number;
}

/**
 * The `keys` admin command (keys-main.ts, and the `vibe keys` CLI): parses `argv` (without the
 * program name), runs the command on `io.store`, prints JSON on `out`.
 * @returns the exit code: 0, 1 for a refused operation, 2 for bad usage.
 */
export async function runKeysCli(argv: readonly string[], io: KeysCliIo): Promise<number> {
  const now = io.now ?? (() => new Date());
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n\n${KEYS_USAGE}`);
    return 2;
  }
  const { command, values, id } = parsed;
  try {
    if (command === 'create') {
      const input: CreateKeyInput = {
        name: values.name ?? '',
        ...optional('ratePerSecond', limitArg('rate', values.rate)),
        ...optional('concurrency', limitArg('concurrency', values.concurrency)),
        ...optional('jobsPerDay', limitArg('quota', values.quota)),
        ...(values.burst === undefined ? {} : { burst: Number(values.burst) }),
        ...(values.admin === true ? { admin: true } : {}),
        ...(values.plan === undefined ? {} : { plan: values.plan }),
      };
      const created = await createKey(io.store, input, now(), io.gateway);
      io.out(`${JSON.stringify(created, null, 2)}\n`);
      io.err('The token is shown once: store it now. Only its SHA-256 is kept.\n');
      return 0;
    }
    if (command === 'list') {
      io.out(`${JSON.stringify(await listKeys(io.store), null, 2)}\n`);
      return 0;
    }
    if (command === 'show') {
      io.out(`${JSON.stringify(await showKey(io.store, id), null, 2)}\n`);
      return 0;
    }
    io.out(`${JSON.stringify(await revokeKey(io.store, id, now(), io.gateway), null, 2)}\n`);
    return 0;
  } catch (error) {
    if (!isAppError(error)) throw error;
    io.err(`${error.code}: ${error.message}\n`);
    return 1;
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function parse(argv: readonly string[]) {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string' },
      rate: { type: 'string' },
      burst: { type: 'string' },
      concurrency: { type: 'string' },
      quota: { type: 'string' },
      admin: { type: 'boolean' },
      plan: { type: 'string' },
    },
  });
  const [command, id = ''] = positionals;
  if (command !== 'create' && command !== 'list' && command !== 'show' && command !== 'revoke') {
    throw new Error(
      `Expected a command create, list, show or revoke but received ${JSON.stringify(command ?? '')}`,
    );
  }
  if ((command === 'show' || command === 'revoke') && id === '') {
    throw new Error(`Expected the key id after "${command}"`);
  }
  return { command, values, id };
}
