import { describeValue, ValidationError } from './errors.ts';

/**
 * The knobs of one edit, their limits and their validation. Shared by the CLI, the HTTP API and the
 * worker so that every entry point accepts and refuses exactly the same values.
 */
export const EDIT_LIMITS = {
  /** Upstream's scheduler breaks above 500 steps with shift 3; 100 bounds the time of a job. */
  steps: { min: 1, max: 100 },
  /** Text guidance: 0 (off) up to 20, far above the useful range (default 4.5). */
  guidanceScale: { min: 0, max: 20 },
  /** Image guidance: 0 (off) up to 10 (default 1.2). */
  imageGuidanceScale: { min: 0, max: 10 },
  seed: { min: 0, max: 2 ** 32 - 1 },
  quality: { min: 1, max: 100 },
} as const;

export const OUTPUT_FORMATS = ['png', 'jpeg', 'webp'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/**
 * `aligned` (the default) is for users: EXIF orientation applied, the output covers the whole input.
 * `parity` reproduces the upstream reference with its quirks (reference §9), for verification.
 */
export const SIZE_MODES = ['aligned', 'parity'] as const;
export type SizeMode = (typeof SIZE_MODES)[number];

export interface OutputOptions {
  readonly format: OutputFormat;
  /** JPEG and WebP quality 1..100; ignored for PNG. */
  readonly quality?: number;
}

/** Caller-supplied parameters; anything left out takes the model bundle's defaults. */
export interface EditParameters {
  readonly steps?: number;
  readonly guidanceScale?: number;
  readonly imageGuidanceScale?: number;
  readonly seed?: number;
  readonly sizeMode?: SizeMode;
  readonly output?: OutputOptions;
}

type NumericField = 'steps' | 'guidanceScale' | 'imageGuidanceScale' | 'seed' | 'quality';

/** Checks one numeric field against EDIT_LIMITS; integers where the field requires them. */
export function checkNumber(field: NumericField, value: unknown): number {
  const { min, max } = EDIT_LIMITS[field];
  const integer = field === 'steps' || field === 'seed' || field === 'quality';
  const kind = integer ? 'an integer' : 'a number';
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (integer && !Number.isInteger(value)) ||
    value < min ||
    value > max
  ) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "${field}" to be ${kind} from ${min} to ${max} but received ${describeValue(value)}`,
      {
        details: { field, expected: `${kind} in [${min}, ${max}]`, received: describeValue(value) },
      },
    );
  }
  return value;
}

export function checkChoice<T extends string>(
  field: string,
  allowed: readonly T[],
  value: unknown,
): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "${field}" to be one of ${allowed.join(', ')} but received ${describeValue(value)}`,
      { details: { field, expected: allowed, received: describeValue(value) } },
    );
  }
  return value as T;
}

/** Validates every supplied field; returns a copy holding only the fields that were given. */
export function validateEditParameters(input: EditParameters): EditParameters {
  const out: {
    -readonly [K in keyof EditParameters]: EditParameters[K];
  } = {};
  if (input.steps !== undefined) out.steps = checkNumber('steps', input.steps);
  if (input.guidanceScale !== undefined) {
    out.guidanceScale = checkNumber('guidanceScale', input.guidanceScale);
  }
  if (input.imageGuidanceScale !== undefined) {
    out.imageGuidanceScale = checkNumber('imageGuidanceScale', input.imageGuidanceScale);
  }
  if (input.seed !== undefined) out.seed = checkNumber('seed', input.seed);
  if (input.sizeMode !== undefined)
    out.sizeMode = checkChoice('sizeMode', SIZE_MODES, input.sizeMode);
  if (input.output !== undefined) {
    const format = checkChoice('output.format', OUTPUT_FORMATS, input.output.format);
    out.output =
      input.output.quality === undefined
        ? { format }
        : { format, quality: checkNumber('quality', input.output.quality) };
  }
  return out;
}
