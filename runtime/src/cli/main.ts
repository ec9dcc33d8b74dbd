/**
 * The `vibe` command line. Subcommands:
 *   vibe edit <image> <instruction> -o <out> [--model <dir>] ...   one edit on this machine
 *   vibe verify --model <dir>                                      check a bundle against its parity trace
 */
import { AppError } from '#core/errors.ts';
import { EDIT_USAGE, runEditCommand } from './edit-command.ts';
import { runVerifyCommand, VERIFY_USAGE } from './verify-command.ts';

const USAGE = `vibe: VIBE instruction-based image editing on this machine.

${EDIT_USAGE}

${VERIFY_USAGE}
`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'edit':
      await runEditCommand(rest, process.env);
      return 0;
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
        `Unknown command ${JSON.stringify(command)}; expected edit or verify.\n\n${USAGE}`,
      );
      return 2;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof AppError) {
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
