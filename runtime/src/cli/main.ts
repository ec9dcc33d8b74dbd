/**
 * The `vibe` command line. Subcommands:
 *   vibe edit <image> <instruction> -o <out> [--model <dir>] ...   one edit on this machine
 *   vibe edit --server <url> <image> <instruction> -o <out> ...    one edit on a VIBE server
 *   vibe batch <manifest.jsonl> --server <url> [-o results.jsonl]  a batch on a VIBE server
 *   vibe keys create|list|show|revoke ...                         API keys (admins)
 *   vibe verify --model <dir>                                      check a bundle against its parity trace
 */
import { AppError } from '#core/errors.ts';
import { EDIT_USAGE, runEditCommand } from './edit-command.ts';
import { BATCH_USAGE, runBatchCommand } from './server-commands/batch-command.ts';
import { reportClientError } from './server-commands/client-errors.ts';
import { runVibeKeysCommand, VIBE_KEYS_USAGE } from './server-commands/keys-command.ts';
import { REMOTE_EDIT_USAGE, runRemoteEditCommand } from './server-commands/remote-edit-command.ts';
import { wantsServer } from './server-commands/server-options.ts';
import { runVerifyCommand, VERIFY_USAGE } from './verify-command.ts';

const USAGE = `vibe: VIBE instruction-based image editing, on this machine or on a VIBE server.

${EDIT_USAGE}

${REMOTE_EDIT_USAGE}

${BATCH_USAGE}

${VIBE_KEYS_USAGE}

${VERIFY_USAGE}
`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'edit':
      // --server (or VIBE_SERVER_URL without --model) runs the edit on a server.
      if (wantsServer(rest, process.env)) await runRemoteEditCommand(rest, process.env);
      else await runEditCommand(rest, process.env);
      return 0;
    case 'batch':
      await runBatchCommand(rest, process.env);
      return 0;
    case 'keys':
      return runVibeKeysCommand(rest, process.env);
    case 'verify':
      return (await runVerifyCommand(rest, process.env)) ? 0 : 1;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(
        `Unknown command ${JSON.stringify(command)}; expected edit, batch, keys or verify.\n\n${USAGE}`,
      );
      return 2;
  }
}

try {
  const code = await main(process.argv.slice(2));
  // A command may have set a more specific status (an interrupted remote edit: 130).
  process.exitCode = code === 0 ? (process.exitCode ?? 0) : code;
} catch (error) {
  const clientError = reportClientError(error);
  if (clientError !== undefined) {
    process.stderr.write(clientError.text);
    process.exitCode = clientError.exitCode;
  } else if (error instanceof AppError) {
    process.stderr.write(`error ${error.code}: ${error.message}\n`);
    process.exitCode = error.code === 'INTERNAL' || error.code === 'INFERENCE_FAILED' ? 1 : 2;
  } else if (
    error instanceof TypeError &&
    'code' in error &&
    String(error.code).startsWith('ERR_PARSE_ARGS')
  ) {
    process.stderr.write(`error INVALID_ARGUMENT: ${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else {
    process.stderr.write(
      `unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}
