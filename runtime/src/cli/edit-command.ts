import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  checkChoice,
  OUTPUT_FORMATS,
  type OutputFormat,
  SIZE_MODES,
  validateEditParameters,
} from '#core/edit-parameters.ts';
import { describeValue, ValidationError } from '#core/errors.ts';
import { validateInstruction } from '#core/instruction.ts';
import { EditEngine } from '#runtime/engine/edit-engine.ts';
import { parseExecutionProvider } from '#runtime/onnx/execution-provider.ts';
import type { PipelineRequest } from '#runtime/pipeline/pipeline-types.ts';
import { resolveModelDir } from './model-location.ts';
import { ProgressBar } from './progress-bar.ts';
import { printTimings, syntheticBanner, syntheticReminder } from './report-timings.ts';

export const EDIT_USAGE = `Usage: vibe edit <image> <instruction> -o <out.png|.jpg|.webp> [options]

Options:
  -o, --output <file>          where to write the edited image (required)
  -m, --model <dir>            model bundle folder (default: $VIBE_MODEL_DIR)
      --steps <n>              denoising steps, 1..100 (default: the bundle's, 20)
      --seed <n>               noise seed, 0..4294967295 (default: the bundle's, 42)
      --guidance <g>           text guidance scale, 0..20 (default 4.5)
      --image-guidance <g>     image guidance scale, 0..10 (default 1.2)
      --size-mode <mode>       aligned (default) or parity (reproduce upstream quirks)
      --format <fmt>           png, jpeg or webp (default: from the output extension)
      --quality <q>            JPEG/WebP quality 1..100 (default 90)
      --provider <p>           cpu or cuda[:device] (default cpu)
      --no-verify-checksums    skip the bundle's sha256 check (faster start on trusted disks)`;

/** `vibe edit`: one edit on this machine, with a progress bar and the timings at the end. */
export async function runEditCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o' },
      model: { type: 'string', short: 'm' },
      steps: { type: 'string' },
      seed: { type: 'string' },
      guidance: { type: 'string' },
      'image-guidance': { type: 'string' },
      'size-mode': { type: 'string' },
      format: { type: 'string' },
      quality: { type: 'string' },
      provider: { type: 'string' },
      'no-verify-checksums': { type: 'boolean' },
    },
  });
  const [imagePath, instruction, ...extra] = positionals;
  if (imagePath === undefined || instruction === undefined || extra.length > 0) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected an image path and one quoted instruction but received ${positionals.length} arguments.\n${EDIT_USAGE}`,
    );
  }
  const output = values.output;
  if (output === undefined) {
    throw new ValidationError('INVALID_ARGUMENT', `Missing -o/--output.\n${EDIT_USAGE}`);
  }
  const format = outputFormat(output, values.format);
  const modelDir = resolveModelDir(values.model, env);
  const image = await readInput(imagePath);

  const request: PipelineRequest = {
    image,
    instruction,
    ...numberOption('steps', values.steps),
    ...numberOption('seed', values.seed),
    ...numberOption('guidanceScale', values.guidance),
    ...numberOption('imageGuidanceScale', values['image-guidance']),
    ...(values['size-mode'] === undefined
      ? {}
      : { sizeMode: checkChoice('size-mode', SIZE_MODES, values['size-mode']) }),
    output: { format, ...numberOption('quality', values.quality) },
  };

  // Refuse bad parameters before spending seconds on loading the model.
  validateEditParameters(request);
  validateInstruction(request.instruction);

  const engine = new EditEngine({
    bundleDir: modelDir,
    provider: parseExecutionProvider(values.provider ?? 'cpu'),
    verifyChecksums: values['no-verify-checksums'] !== true,
  });
  try {
    const loadStarted = performance.now();
    const model = await engine.start();
    const loadMs = performance.now() - loadStarted;
    if (model.synthetic) process.stderr.write(syntheticBanner(model.name, model.notice));
    process.stderr.write(
      `model ${model.name} ${model.version} (${model.precision}) ready in ${(loadMs / 1000).toFixed(2)} s\n`,
    );

    const bar = new ProgressBar('denoising');
    const controller = new AbortController();
    const onSigint = (): void => controller.abort();
    process.once('SIGINT', onSigint);
    const result = await engine
      .edit(request, { onProgress: (p) => bar.update(p.step, p.steps), signal: controller.signal })
      .finally(() => process.off('SIGINT', onSigint));
    await writeAtomically(output, result.image);
    process.stderr.write(
      `wrote ${output} (${result.width}x${result.height} ${result.format}; model ran at ${result.bin.width}x${result.bin.height}, ${result.steps} steps, seed ${result.seed}, guidance ${result.guidance.mode})\n`,
    );
    printTimings(result.timings, loadMs);
    if (model.synthetic) process.stderr.write(syntheticReminder(model.name));
  } finally {
    await engine.close();
  }
}

export function outputFormat(path: string, flag: string | undefined): OutputFormat {
  if (flag !== undefined)
    return checkChoice('format', OUTPUT_FORMATS, flag === 'jpg' ? 'jpeg' : flag);
  const ext = extname(path).toLowerCase().slice(1);
  const byExtension: Record<string, OutputFormat> = {
    png: 'png',
    jpg: 'jpeg',
    jpeg: 'jpeg',
    webp: 'webp',
  };
  const format = byExtension[ext];
  if (format === undefined) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Cannot tell the output format from "${basename(path)}": expected an extension of .png, .jpg, .jpeg or .webp, or --format png|jpeg|webp`,
    );
  }
  return format;
}

export function numberOption<K extends string>(
  key: K,
  raw: string | undefined,
): { [P in K]?: number } {
  if (raw === undefined) return {};
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected a number for --${key} but received ${describeValue(raw)}`,
    );
  }
  return { [key]: value } as { [P in K]?: number };
}

export async function readInput(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ValidationError('INVALID_ARGUMENT', `Cannot read the input image ${path} (${code})`, {
      cause: error,
    });
  }
}

/** Writes beside the target then renames, so a failed run never leaves a partial file. */
export async function writeAtomically(path: string, data: Uint8Array): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
