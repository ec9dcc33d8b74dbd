import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Batch } from '#client/batch-types.ts';
import type { VibeClient } from '#client/vibe-client.ts';
import { ValidationError } from '#core/errors.ts';
import { numberOption, writeAtomically } from '../edit-command.ts';
import { ProgressBar } from '../progress-bar.ts';
import { clientFor, SERVER_OPTIONS, SERVER_USAGE } from './server-options.ts';

export const BATCH_USAGE = `Usage: vibe batch <manifest.jsonl> --server <url> [-o results.jsonl] [options]

Submits a batch: one edit per line of the manifest, each a JSON object like the body of
POST /v1/edits without "lane" (see docs/client.md). An image may also be given as
{ "path": "photo.jpg" } (relative to the manifest): the file is uploaded first. Broken lines are
reported by line number and the good ones run. Shows a progress bar over the items and writes the
results manifest (one JSON line per item with its output URL or its error).

Options:
${SERVER_USAGE}
  -o, --output <file>          where to write the results (default: <manifest>.results.jsonl)
      --timeout <s>            give up waiting after this many seconds (default 86400)
      --idempotency-key <k>    reuse a key to make a retried command create the batch only once`;

/**
 * `vibe batch`: uploads the manifest (and the local images it names), creates the batch, shows its
 * progress and writes its results manifest.
 * @throws ValidationError for bad arguments or an unreadable manifest; the client's errors.
 */
export async function runBatchCommand(
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
      timeout: { type: 'string' },
      'idempotency-key': { type: 'string' },
    },
  });
  const [manifestPath, ...extra] = positionals;
  if (manifestPath === undefined || extra.length > 0) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected one manifest path but received ${positionals.length} arguments.\n${BATCH_USAGE}`,
    );
  }
  const client = clientFor(values, env);
  const output = values.output ?? `${manifestPath.replace(/\.jsonl$/i, '')}.results.jsonl`;
  const timeoutSeconds = numberOption('timeout', values.timeout).timeout ?? 86_400;
  const text = await readManifest(manifestPath);
  const manifest = await uploadLocalImages(client, text, dirname(resolve(manifestPath)), stderr);

  const accepted = await client.batches.createFromManifest(
    new TextEncoder().encode(manifest),
    {},
    values['idempotency-key'] === undefined ? {} : { idempotencyKey: values['idempotency-key'] },
  );
  stderr.write(
    `batch ${accepted.id}: ${accepted.accepted} of ${accepted.items} items accepted${accepted.lineErrors.count > 0 ? `, ${accepted.lineErrors.count} refused` : ''}\n`,
  );
  for (const error of accepted.lineErrors.items) {
    stderr.write(`  line ${error.line}: ${error.code}: ${error.message}\n`);
  }
  const bar = new ProgressBar('items', stderr);
  const batch = await client.batches.wait(accepted.id, {
    timeoutMs: timeoutSeconds * 1000,
    pollIntervalMs: 1000,
    onProgress: (current) => bar.update(ended(current), Math.max(1, current.counts.total)),
  });
  const results = await client.batches.results(batch);
  await writeAtomically(output, new TextEncoder().encode(results));
  const { counts } = batch;
  stderr.write(
    `batch ${batch.id} ${batch.status}: ${counts.succeeded} succeeded, ${counts.failed} failed, ${counts.rejected} rejected, ${counts.canceled} canceled, ${counts.expired} expired; results in ${output}\n`,
  );
  if (counts.succeeded < counts.total) process.exitCode = 1;
}

/** Items that will not change any more. */
function ended(batch: Batch): number {
  const { counts } = batch;
  return counts.succeeded + counts.failed + counts.rejected + counts.canceled + counts.expired;
}

async function readManifest(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ValidationError('INVALID_ARGUMENT', `Cannot read the manifest ${path} (${code})`, {
      cause: error,
    });
  }
}

/**
 * Replaces `"image": { "path": … }` with the upload id of the file, line by line, keeping every
 * other line as it is (broken ones included) so that the server's line numbers match the file.
 */
async function uploadLocalImages(
  client: VibeClient,
  text: string,
  baseDir: string,
  stderr: NodeJS.WriteStream,
): Promise<string> {
  const lines = text.split('\n');
  let uploaded = 0;
  for (const [index, line] of lines.entries()) {
    const item = parseObject(line);
    const image = item?.image;
    if (item === undefined || typeof image !== 'object' || image === null || !('path' in image)) {
      continue;
    }
    const file = resolve(baseDir, String((image as { path: unknown }).path));
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(file));
    } catch (error) {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        `Cannot read the image ${file} named on line ${index + 1} (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`,
        { cause: error },
      );
    }
    const ticket = await client.upload(bytes);
    lines[index] = JSON.stringify({ ...item, image: { uploadId: ticket.uploadId } });
    uploaded += 1;
  }
  if (uploaded > 0) stderr.write(`uploaded ${uploaded} local image${uploaded === 1 ? '' : 's'}\n`);
  return lines.join('\n');
}

function parseObject(line: string): Record<string, unknown> | undefined {
  if (line.trim() === '') return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch (error) {
    // A broken line goes to the server as it is, which reports it with its line number.
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}
