import { VibeClient } from '#client/vibe-client.ts';
import { ValidationError } from '#core/errors.ts';

/** The server a `vibe` command talks to when no --server is given. */
export const SERVER_URL_ENV = 'VIBE_SERVER_URL';
/** The API key used when no --api-key is given. */
export const API_KEY_ENV = 'VIBE_API_KEY';

/** The options every server command takes (node:util parseArgs spelling). */
export const SERVER_OPTIONS = {
  server: { type: 'string' },
  'api-key': { type: 'string' },
} as const;

export const SERVER_USAGE = `      --server <url>           the API, e.g. http://127.0.0.1:8787 (default: $${SERVER_URL_ENV})
      --api-key <key>          the API key, vibe_… (default: $${API_KEY_ENV})`;

/**
 * True when `vibe edit` should run against a server: `--server` is given, or VIBE_SERVER_URL is set
 * and no `--model` asks for a local run.
 */
export function wantsServer(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  const flag = argv.some((arg) => arg === '--server' || arg.startsWith('--server='));
  if (flag) return true;
  const local = argv.some((arg) => arg === '--model' || arg === '-m' || arg.startsWith('--model='));
  return !local && (env[SERVER_URL_ENV] ?? '') !== '';
}

/**
 * The client for `--server`/`--api-key` or their environment variables.
 * @throws ValidationError when no server is named or the URL is not http(s).
 */
export function clientFor(
  values: { readonly server?: string | undefined; readonly 'api-key'?: string | undefined },
  env: NodeJS.ProcessEnv,
): VibeClient {
  const server = values.server ?? env[SERVER_URL_ENV];
  if (server === undefined || server === '') {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected the API's URL in --server or $${SERVER_URL_ENV} but received neither`,
    );
  }
  if (!URL.canParse(server) || !/^https?:$/.test(new URL(server).protocol)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected --server to be an http or https URL such as http://127.0.0.1:8787 but received ${JSON.stringify(server.slice(0, 200))}`,
    );
  }
  const apiKey = values['api-key'] ?? env[API_KEY_ENV];
  return new VibeClient({
    baseUrl: server,
    ...(apiKey === undefined || apiKey === '' ? {} : { apiKey }),
    userAgent: 'vibe-cli',
  });
}
