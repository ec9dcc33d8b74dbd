import { readFile, stat } from 'node:fs/promises';
import { endianness } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import sharp from 'sharp';
import { z } from 'zod';
import { BundleError } from '#core/errors.ts';
import { resolveBundleRelativePath } from './bundle-relative-path.ts';
import {
  isKnownParityStage,
  PARITY_FILE_EXTENSIONS,
  PARITY_STAGE_DTYPES,
  PARITY_STAGES,
  type ParityDtype,
  type ParityStageName,
} from './parity-stages.ts';

/** A loaded tensor: raw files become typed arrays, the output PNG becomes HWC RGB bytes. */
export type ParityTensorData =
  | { readonly dtype: 'float32'; readonly dims: readonly number[]; readonly data: Float32Array }
  | { readonly dtype: 'int32'; readonly dims: readonly number[]; readonly data: Int32Array }
  | { readonly dtype: 'uint8'; readonly dims: readonly number[]; readonly data: Uint8Array };

export interface ParityTensorEntry {
  readonly stage: string;
  /** As written in trace.json (bundle-relative). */
  readonly file: string;
  /** Absolute path. */
  readonly path: string;
  readonly dtype: ParityDtype;
  readonly dims: readonly number[];
  /** Reads the file on demand (the decoded image of a 2048² trace alone is 50 MB). */
  load(): Promise<ParityTensorData>;
}

export interface ParityTrace {
  readonly traceVersion: 1;
  /** Absolute path of trace.json. */
  readonly tracePath: string;
  readonly reference: z.infer<typeof referenceSchema>;
  readonly request: z.infer<typeof requestSchema> & { readonly imagePath: string };
  /** Every tensor of the trace by stage name, including stages this reader does not know. */
  readonly tensors: ReadonlyMap<string, ParityTensorEntry>;
  /** A stage every trace has (validated on read). */
  stage(name: ParityStageName): ParityTensorEntry;
}

const referenceSchema = z.object({
  diffusers: z.string(),
  transformers: z.string(),
  torch: z.string(),
  device: z.string(),
  dtype: z.string(),
});

const requestSchema = z.object({
  image: z.string().min(1),
  instruction: z.string(),
  steps: z.number().int().min(1),
  guidanceScale: z.number(),
  imageGuidanceScale: z.number(),
  seed: z.number().int(),
  sizeMode: z.enum(['parity', 'aligned']),
});

const tensorSchema = z.object({
  file: z.string().min(1),
  dtype: z.enum(['float32', 'int32', 'uint8']),
  dims: z.array(z.number().int().positive()).min(1),
});

const traceSchema = z.object({
  traceVersion: z.literal(1),
  reference: referenceSchema,
  request: requestSchema,
  tensors: z.record(z.string(), tensorSchema),
});

type RawTensor = z.infer<typeof tensorSchema>;

const elementCount = (dims: readonly number[]): number => dims.reduce((n, d) => n * d, 1);

function invalid(tracePath: string, problems: readonly string[]): BundleError {
  return new BundleError(
    'BUNDLE_INVALID',
    `The parity trace ${tracePath} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    { details: { tracePath, problems } },
  );
}

/** Problems of one tensor entry that do not need the file system. */
function entryProblems(stage: string, entry: RawTensor): string[] {
  const problems: string[] = [];
  if (isKnownParityStage(stage) && entry.dtype !== PARITY_STAGE_DTYPES[stage]) {
    problems.push(
      `tensors.${stage}.dtype: expected ${PARITY_STAGE_DTYPES[stage]} but found ${entry.dtype}`,
    );
  }
  const extension = PARITY_FILE_EXTENSIONS[entry.dtype];
  if (!entry.file.endsWith(extension)) {
    problems.push(`tensors.${stage}.file: expected a ${extension} file but found ${entry.file}`);
  }
  if (entry.dtype === 'uint8' && (entry.dims.length !== 3 || entry.dims[2] !== 3)) {
    problems.push(
      `tensors.${stage}.dims: expected [height, width, 3] but found ${JSON.stringify(entry.dims)}`,
    );
  }
  return problems;
}

function decodeRaw(bytes: Buffer, dtype: 'float32' | 'int32'): Float32Array | Int32Array {
  const count = bytes.byteLength / 4;
  const out = dtype === 'float32' ? new Float32Array(count) : new Int32Array(count);
  if (endianness() === 'LE') {
    // Copy instead of viewing: a Buffer from the pool may not be 4-byte aligned.
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) {
    out[i] = dtype === 'float32' ? view.getFloat32(i * 4, true) : view.getInt32(i * 4, true);
  }
  return out;
}

async function loadTensor(entry: Omit<ParityTensorEntry, 'load'>): Promise<ParityTensorData> {
  if (entry.dtype === 'uint8') {
    const image = sharp(entry.path);
    const meta = await image.metadata();
    const [height, width] = entry.dims;
    if (
      meta.channels !== 3 ||
      meta.depth !== 'uchar' ||
      meta.width !== width ||
      meta.height !== height
    ) {
      throw new BundleError(
        'BUNDLE_INVALID',
        `Expected ${entry.file} (${entry.stage}) to be an 8-bit RGB image of ${width}x${height} but it is ${meta.width}x${meta.height} with ${meta.channels} channels of ${meta.depth}`,
        { details: { stage: entry.stage, file: entry.file } },
      );
    }
    const data = await image.raw().toBuffer();
    return { dtype: 'uint8', dims: entry.dims, data: new Uint8Array(data) };
  }
  const bytes = await readFile(entry.path);
  const expected = elementCount(entry.dims) * 4;
  if (bytes.byteLength !== expected) {
    throw new BundleError(
      'BUNDLE_INVALID',
      `Expected ${entry.file} (${entry.stage}) to hold ${expected} bytes for dims ${JSON.stringify(entry.dims)} but it holds ${bytes.byteLength}`,
      { details: { stage: entry.stage, file: entry.file } },
    );
  }
  return entry.dtype === 'float32'
    ? { dtype: 'float32', dims: entry.dims, data: decodeRaw(bytes, 'float32') as Float32Array }
    : { dtype: 'int32', dims: entry.dims, data: decodeRaw(bytes, 'int32') as Int32Array };
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Reads and validates a parity trace. `tracePath` is the manifest's `parityTrace` (relative to
 * `bundleDir`, checked like every bundle path) or an absolute path given by the caller. Every
 * tensor file is checked for presence and, for raw files, size; the data is read by `load()`.
 *
 * @throws BundleError BUNDLE_MISSING when trace.json or a tensor file is absent, BUNDLE_INVALID
 *   when the trace does not follow the format (all problems listed in one message).
 */
export async function readParityTrace(bundleDir: string, tracePath: string): Promise<ParityTrace> {
  const absoluteTrace = isAbsolute(tracePath)
    ? tracePath
    : resolveBundleRelativePath(bundleDir, tracePath, 'parityTrace');
  let text: string;
  try {
    text = await readFile(absoluteTrace, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new BundleError(
        'BUNDLE_MISSING',
        `Expected the parity trace at ${absoluteTrace}; export the bundle without --skip-parity to get one`,
        { cause: error, details: { tracePath: absoluteTrace } },
      );
    }
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new BundleError('BUNDLE_INVALID', `Expected JSON in ${absoluteTrace}: ${String(error)}`, {
      cause: error,
      details: { tracePath: absoluteTrace },
    });
  }
  const parsed = traceSchema.safeParse(json);
  if (!parsed.success) {
    throw invalid(
      absoluteTrace,
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }
  const trace = parsed.data;
  const problems: string[] = PARITY_STAGES.filter((stage) => !(stage in trace.tensors)).map(
    (stage) => `tensors.${stage}: missing (every trace records it)`,
  );
  const entries = new Map<string, ParityTensorEntry>();
  const paths = new Map<string, string>();
  for (const [stage, entry] of Object.entries(trace.tensors)) {
    problems.push(...entryProblems(stage, entry));
    try {
      paths.set(stage, resolveBundleRelativePath(bundleDir, entry.file, `tensors.${stage}.file`));
    } catch (error) {
      if (!(error instanceof BundleError)) throw error;
      problems.push(error.message);
    }
  }
  let imagePath = '';
  try {
    imagePath = resolveBundleRelativePath(bundleDir, trace.request.image, 'request.image');
  } catch (error) {
    if (!(error instanceof BundleError)) throw error;
    problems.push(error.message);
  }
  if (problems.length > 0) throw invalid(absoluteTrace, problems);

  const missing: string[] = [];
  for (const [stage, entry] of Object.entries(trace.tensors)) {
    const path = paths.get(stage) ?? resolve(bundleDir, entry.file);
    const size = await fileSize(path);
    if (size === undefined) {
      missing.push(`${entry.file} (${stage})`);
    } else if (entry.dtype !== 'uint8' && size !== elementCount(entry.dims) * 4) {
      problems.push(
        `tensors.${stage}: ${entry.file} holds ${size} bytes but dims ${JSON.stringify(entry.dims)} need ${elementCount(entry.dims) * 4}`,
      );
    }
    const base = { stage, file: entry.file, path, dtype: entry.dtype, dims: entry.dims };
    entries.set(stage, { ...base, load: () => loadTensor(base) });
  }
  if ((await fileSize(imagePath)) === undefined)
    missing.push(`${trace.request.image} (request.image)`);
  if (problems.length > 0) throw invalid(absoluteTrace, problems);
  if (missing.length > 0) {
    throw new BundleError(
      'BUNDLE_MISSING',
      `The parity trace ${absoluteTrace} names files that are not in the bundle: ${missing.join(', ')}`,
      { details: { tracePath: absoluteTrace, missing } },
    );
  }
  return {
    traceVersion: 1,
    tracePath: absoluteTrace,
    reference: trace.reference,
    request: { ...trace.request, imagePath },
    tensors: entries,
    stage(name: ParityStageName): ParityTensorEntry {
      const entry = entries.get(name);
      if (entry === undefined) {
        throw new BundleError('BUNDLE_INVALID', `Expected stage ${name} in ${absoluteTrace}`);
      }
      return entry;
    },
  };
}
