/**
 * `npm run try-edit -- <image> "<instruction>" [options]`: submits one edit to a running server
 * (`npm start`), follows it to the end and downloads the result.
 *
 *   npm run try-edit -- test/fixtures/sample/photo.jpg "make it winter" -o winter.png --steps 8
 *
 * Options: -o/--output FILE (default `<image name>-edited.<ext>`), --api URL (default the local
 * server of this environment: VIBE_HOST, VIBE_PORT, VIBE_PUBLIC_BASE_URL), --key TOKEN (default
 * the key local mode saved in VIBE_DATA_DIR, see local-key.ts), --steps, --seed,
 * --guidance, --image-guidance, --format png|jpeg|webp, --quality, --lane interactive|batch,
 * --timeout SECONDS. Ctrl-C cancels the job. Exit status 0 on success, 1 when the job or a request
 * fails, 2 on bad arguments, 130 when interrupted.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '#core/config/parse-config.ts';
import { ValidationError } from '#core/errors.ts';
import type { EditView } from '#functions/use-cases/edit-view.ts';
import { EditClient, type EditSubmission } from './edit-client.ts';
import { isEntryPoint } from './is-entry-point.ts';
import { readLocalKey } from './local-key.ts';

const FORMATS = ['png', 'jpeg', 'webp'] as const;
const EXTENSIONS = { png: 'png', jpeg: 'jpg', webp: 'webp' } as const;

interface TryEditArgs {
  readonly api: string;
  /** `--key`; otherwise local mode's saved key is read from the data folder. */
  readonly apiKey: string | undefined;
  /** The data folder of this environment (VIBE_DATA_DIR), where local mode saves its key. */
  readonly dataDir: string | undefined;
  readonly imagePath: string;
  readonly outputPath: string;
  readonly timeoutMs: number;
  readonly submission: Omit<EditSubmission, 'image'>;
}

/** Parses the command line. @throws ValidationError saying what is wrong. */
export function parseTryEditArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): TryEditArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o' },
      api: { type: 'string' },
      key: { type: 'string' },
      steps: { type: 'string' },
      seed: { type: 'string' },
      guidance: { type: 'string' },
      'image-guidance': { type: 'string' },
      format: { type: 'string' },
      quality: { type: 'string' },
      lane: { type: 'string' },
      timeout: { type: 'string', default: '600' },
    },
  });
  const [imagePath, instruction, ...extra] = positionals;
  if (imagePath === undefined || instruction === undefined || extra.length > 0) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected an image path and an instruction, e.g. try-edit photo.jpg "make it winter", but received ${positionals.length} argument(s)`,
    );
  }
  const format = values.format ?? 'png';
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected --format to be one of ${FORMATS.join(', ')} but received ${JSON.stringify(format)}`,
    );
  }
  const lane = values.lane;
  if (lane !== undefined && lane !== 'interactive' && lane !== 'batch') {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected --lane to be interactive or batch but received ${JSON.stringify(lane)}`,
    );
  }
  const outputFormat = format as (typeof FORMATS)[number];
  const quality = numberOption('quality', values.quality);
  const submission: Omit<EditSubmission, 'image'> = {
    instruction,
    ...optional('steps', numberOption('steps', values.steps)),
    ...optional('seed', numberOption('seed', values.seed)),
    ...optional('guidanceScale', numberOption('guidance', values.guidance)),
    ...optional('imageGuidanceScale', numberOption('image-guidance', values['image-guidance'])),
    output: quality === undefined ? { format: outputFormat } : { format: outputFormat, quality },
    ...(lane === undefined ? {} : { lane }),
  };
  const timeoutSeconds = numberOption('timeout', values.timeout) ?? 600;
  const config = parseConfig(env);
  return {
    api: (values.api ?? config.api.publicBaseUrl).replace(/\/+$/, ''),
    apiKey: values.key,
    dataDir: config.storage.mode === 'local' ? config.storage.dataDir : undefined,
    imagePath,
    outputPath:
      values.output ??
      `${basename(imagePath, extname(imagePath))}-edited.${EXTENSIONS[outputFormat]}`,
    timeoutMs: timeoutSeconds * 1000,
    submission,
  };
}

function numberOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected --${name} to be a number but received ${JSON.stringify(value)}`,
    );
  }
  return number;
}

function optional<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}

function describe(view: EditView): string {
  if (view.status === 'running' && view.progress !== null) {
    return `running, step ${view.progress.step} of ${view.progress.steps}`;
  }
  return view.status;
}

/** Runs the command; resolves with the exit status. */
export async function tryEdit(
  argv: readonly string[],
  out: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<number> {
  let args: TryEditArgs;
  try {
    args = parseTryEditArgs(argv);
  } catch (error) {
    out(`try-edit: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  // `npm run` starts scripts in the package folder; paths are meant from where the user typed.
  const base = process.env.INIT_CWD ?? process.cwd();
  const image = new Uint8Array(await readFile(resolve(base, args.imagePath)));
  const apiKey =
    args.apiKey ?? (args.dataDir === undefined ? undefined : await readLocalKey(args.dataDir));
  const client = new EditClient({ url: args.api, apiKey });
  const accepted = await client.submit({ ...args.submission, image });
  out(`submitted ${accepted.id} to ${args.api} (${accepted.status})`);

  const interrupt = new AbortController();
  const onSigint = (): void => interrupt.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  let view: EditView;
  try {
    view = await client.wait(accepted.id, {
      timeoutMs: args.timeoutMs,
      signal: interrupt.signal,
      onUpdate: (update) => out(`  ${describe(update)}`),
    });
  } catch (error) {
    if (!interrupt.signal.aborted) throw error;
    const answer = await client.cancel(accepted.id);
    out(`interrupted: job ${answer.id} canceled (${answer.canceled})`);
    return 130;
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (view.model?.synthetic === true) {
    out(`!! model "${view.model.name}" is the TINY TEST BUNDLE: this output is NOT a real edit.`);
  }
  if (view.status !== 'succeeded' || view.output === null) {
    out(
      `job ${view.id} ended ${view.status}: ${view.error?.code ?? ''} ${view.error?.message ?? ''}`,
    );
    return 1;
  }
  const bytes = await client.download(view.output.url);
  await writeFile(resolve(base, args.outputPath), bytes);
  const { queueMs, inferenceMs, totalMs } = view.timings;
  out(
    `wrote ${args.outputPath} (${view.output.width}x${view.output.height} ${view.output.format}, ${bytes.byteLength} bytes); queue ${queueMs} ms, inference ${inferenceMs} ms, total ${totalMs} ms`,
  );
  return 0;
}

if (isEntryPoint(import.meta.url)) {
  try {
    process.exitCode = await tryEdit(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`try-edit: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
