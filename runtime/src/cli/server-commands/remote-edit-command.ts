import { parseArgs } from 'node:util';
import type { EditOptions } from '#client/api-types.ts';
import { VibeJobError } from '#client/vibe-api-error.ts';
import { checkChoice, SIZE_MODES } from '#core/edit-parameters.ts';
import { ValidationError } from '#core/errors.ts';
import { LANES } from '#core/jobs/job-record.ts';
import { numberOption, outputFormat, readInput, writeAtomically } from '../edit-command.ts';
import { EditProgress } from './edit-progress.ts';
import { clientFor, SERVER_OPTIONS, SERVER_USAGE } from './server-options.ts';

export const REMOTE_EDIT_USAGE = `Usage: vibe edit --server <url> <image> <instruction> -o <out.png|.jpg|.webp> [options]

Runs the edit on a VIBE server: uploads the image, submits, shows the queue position and the
denoising steps, downloads the result. Without --server (or $VIBE_SERVER_URL) vibe edit runs here.

Options:
${SERVER_USAGE}
  -o, --output <file>          where to write the edited image (required)
      --steps <n>              denoising steps, 1..100 (default: the server's, 20)
      --seed <n>               noise seed, 0..4294967295 (default 42)
      --guidance <g>           text guidance scale, 0..20 (default 4.5)
      --image-guidance <g>     image guidance scale, 0..10 (default 1.2)
      --size-mode <mode>       aligned (default) or parity
      --format <fmt>           png, jpeg or webp (default: from the output extension)
      --quality <q>            JPEG/WebP quality 1..100
      --lane <lane>            interactive (default) or batch
      --timeout <s>            give up waiting after this many seconds (default 900)
      --idempotency-key <k>    reuse a key to make a retried command submit only once`;

/**
 * `vibe edit --server`: one edit on a VIBE server through the typed client. Ctrl-C cancels the
 * edit on the server before exiting.
 * @throws ValidationError for bad arguments; the client's errors (VibeApiError, VibeJobError, …)
 *   for what the server refused or what failed there.
 */
export async function runRemoteEditCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  stderr: NodeJS.WriteStream = process.stderr,
): Promise<void> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      ...SERVER_OPTIONS,
      output: { type: 'string', short: 'o' },
      steps: { type: 'string' },
      seed: { type: 'string' },
      guidance: { type: 'string' },
      'image-guidance': { type: 'string' },
      'size-mode': { type: 'string' },
      format: { type: 'string' },
      quality: { type: 'string' },
      lane: { type: 'string' },
      timeout: { type: 'string' },
      'idempotency-key': { type: 'string' },
    },
  });
  const [imagePath, instruction, ...extra] = positionals;
  if (imagePath === undefined || instruction === undefined || extra.length > 0) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected an image path and one quoted instruction but received ${positionals.length} arguments.\n${REMOTE_EDIT_USAGE}`,
    );
  }
  if (values.output === undefined) {
    throw new ValidationError('INVALID_ARGUMENT', `Missing -o/--output.\n${REMOTE_EDIT_USAGE}`);
  }
  const output = values.output;
  const client = clientFor(values, env);
  const quality = numberOption('quality', values.quality);
  const options: EditOptions = {
    ...numberOption('steps', values.steps),
    ...numberOption('seed', values.seed),
    ...numberOption('guidanceScale', values.guidance),
    ...numberOption('imageGuidanceScale', values['image-guidance']),
    ...(values['size-mode'] === undefined
      ? {}
      : { sizeMode: checkChoice('size-mode', SIZE_MODES, values['size-mode']) }),
    ...(values.lane === undefined ? {} : { lane: checkChoice('lane', LANES, values.lane) }),
    output: { format: outputFormat(output, values.format), ...quality },
  };
  const timeoutSeconds = numberOption('timeout', values.timeout).timeout ?? 900;
  const image = await readInput(imagePath);

  const progress = new EditProgress(stderr);
  const controller = new AbortController();
  let jobId: string | undefined;
  const onSigint = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  try {
    const ticket = image.byteLength > 4 * 1024 * 1024 ? await client.upload(image) : undefined;
    const submitted = await client.submitEdit(
      {
        image: ticket === undefined ? { file: { bytes: image } } : { uploadId: ticket.uploadId },
        instruction,
        ...options,
      },
      values['idempotency-key'] === undefined ? {} : { idempotencyKey: values['idempotency-key'] },
    );
    jobId = submitted.id;
    stderr.write(`submitted ${submitted.id} to ${client.baseUrl}\n`);
    const edit = await client.waitForEdit(submitted.id, {
      timeoutMs: timeoutSeconds * 1000,
      pollIntervalMs: 500,
      onProgress: (current) => progress.update(current),
      signal: controller.signal,
    });
    if (edit.status !== 'succeeded') throw new VibeJobError(edit.id, edit.status, edit.error);
    const downloaded = await client.downloadOutput(edit);
    await writeAtomically(output, downloaded.bytes);
    const seconds =
      edit.timings.totalMs === null ? '' : ` in ${(edit.timings.totalMs / 1000).toFixed(1)} s`;
    stderr.write(
      `wrote ${output} (${edit.output?.width}x${edit.output?.height} ${edit.output?.format}; edit ${edit.id}, ${edit.parameters.steps} steps, seed ${edit.parameters.seed}${seconds})\n`,
    );
    if (edit.model?.synthetic === true) {
      stderr.write(
        `note: the server runs a synthetic test model (${edit.model.name}); this is not a real edit\n`,
      );
    }
  } catch (error) {
    if (controller.signal.aborted && jobId !== undefined) {
      const canceled = await client.cancelEdit(jobId).then(
        (result) => result.canceled,
        (cancelError: unknown) =>
          `not canceled (${cancelError instanceof Error ? cancelError.message : String(cancelError)})`,
      );
      stderr.write(
        `\ninterrupted: edit ${jobId} ${canceled === 'immediately' || canceled === 'at-next-step' ? `canceled ${canceled}` : canceled}\n`,
      );
      process.exitCode = 130;
      return;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
