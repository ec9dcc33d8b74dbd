import { z } from 'zod';
import {
  checkChoice,
  checkNumber,
  type EditParameters,
  OUTPUT_FORMATS,
  SIZE_MODES,
} from '#core/edit-parameters.ts';
import { describeValue, isAppError, ValidationError } from '#core/errors.ts';
import { LANES, type Lane } from '#core/jobs/job-record.ts';

/**
 * The strict schemas of `POST /v1/edits`. Unknown fields are refused, and every message says what
 * was expected, what arrived and what is allowed. Numeric ranges and choices come from core's
 * checks (EDIT_LIMITS), so the API refuses exactly what the CLI and the worker refuse. The
 * instruction is only carried here: core's validateInstruction checks it (its own error code).
 */

/** The longest image URL accepted. */
export const MAX_IMAGE_URL_LENGTH = 2048;
/** An upload id is `upl_<expiry, base 36>_<hex>` (upload-id.ts). */
const MAX_UPLOAD_ID_LENGTH = 64;

/** Runs one of core's throwing checks as a zod transform, keeping its message. */
function coreCheck<T>(check: (value: unknown) => T) {
  return z
    .unknown()
    .optional()
    .transform((value, context): T => {
      try {
        return check(value);
      } catch (error) {
        if (!isAppError(error)) throw error;
        context.addIssue({ code: 'custom', message: error.message, input: value });
        return z.NEVER;
      }
    });
}

/** Like coreCheck, for a field that may be left out. */
function optionalCheck<T>(check: (value: unknown) => T) {
  return coreCheck((value) => (value === undefined ? undefined : check(value)));
}

function objectError(name: string, allowed: readonly string[]) {
  const list = allowed.map((key) => `"${key}"`).join(', ');
  return {
    error: (issue: z.core.$ZodRawIssue) =>
      issue.code === 'unrecognized_keys'
        ? `Expected only the fields ${list} in ${name} but received unknown ${issue.keys.length === 1 ? 'field' : 'fields'} ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`
        : `Expected ${name} to be an object with the fields ${list} but received ${describeValue(issue.input)}`,
  };
}

function stringField(name: string, max: number) {
  return z
    .string({
      error: (issue) =>
        `Expected "${name}" to be a string but received ${describeValue(issue.input)}`,
    })
    .min(1, { error: `Expected "${name}" to be a non-empty string but received an empty string` })
    .max(max, {
      error: (issue) =>
        `Expected "${name}" to have at most ${max} characters but received ${String((issue.input as string).length)}`,
    })
    .optional();
}

const IMAGE_KEYS = ['uploadId', 'url', 'dataUri'] as const;

const imageRefSchema = z
  .strictObject(
    {
      uploadId: stringField('image.uploadId', MAX_UPLOAD_ID_LENGTH),
      url: stringField('image.url', MAX_IMAGE_URL_LENGTH),
      // Its size is checked against the inline limit when it is decoded (data-uri.ts).
      dataUri: stringField('image.dataUri', Number.MAX_SAFE_INTEGER),
    },
    objectError('"image"', IMAGE_KEYS),
  )
  .superRefine((image, context) => {
    const given = IMAGE_KEYS.filter((key) => image[key] !== undefined);
    if (given.length !== 1) {
      context.addIssue({
        code: 'custom',
        message: `Expected "image" to have exactly one of "uploadId", "url" or "dataUri" but received ${given.length === 0 ? 'none' : given.map((key) => `"${key}"`).join(' and ')}`,
      });
    }
  });

const OUTPUT_KEYS = ['format', 'quality'] as const;

const outputSchema = z
  .strictObject(
    {
      format: coreCheck((value) => checkChoice('output.format', OUTPUT_FORMATS, value)),
      quality: optionalCheck((value) => checkNumber('quality', value)),
    },
    objectError('"output"', OUTPUT_KEYS),
  )
  .superRefine((output, context) => {
    if (output.format === 'png' && output.quality !== undefined) {
      context.addIssue({
        code: 'custom',
        message: `Expected no "output.quality" with output format "png" (PNG is lossless) but received ${output.quality}; quality applies to jpeg and webp`,
      });
    }
  })
  .optional();

const fieldShape = {
  instruction: z.unknown().optional(),
  steps: optionalCheck((value) => checkNumber('steps', value)),
  guidanceScale: optionalCheck((value) => checkNumber('guidanceScale', value)),
  imageGuidanceScale: optionalCheck((value) => checkNumber('imageGuidanceScale', value)),
  seed: optionalCheck((value) => checkNumber('seed', value)),
  sizeMode: optionalCheck((value) => checkChoice('sizeMode', SIZE_MODES, value)),
  lane: optionalCheck((value): Lane => checkChoice('lane', LANES, value)),
  output: outputSchema,
};

const FIELD_NAMES = Object.keys(fieldShape);

/** The JSON body: the fields plus `image` as a reference or a data URI. */
export const jsonEditRequestSchema = z.strictObject(
  { image: imageRefSchema, ...fieldShape },
  objectError('the request body', ['image', ...FIELD_NAMES]),
);

/** The form fields of a multipart body; the `image` file part is taken out before. */
export const multipartEditFieldsSchema = z.strictObject(
  fieldShape,
  objectError('the multipart form', [
    'image (a file part)',
    ...FIELD_NAMES.filter((name) => name !== 'output'),
    'output.format',
    'output.quality',
  ]),
);

export type ImageReference = z.output<typeof imageRefSchema>;

/** What the fields of a submission say once parsed (the instruction not yet checked). */
export interface EditFields {
  readonly instruction: unknown;
  readonly parameters: EditParameters;
  readonly lane: Lane | undefined;
}

type ParsedFields = z.output<typeof multipartEditFieldsSchema>;

/** Runs a schema and reports every problem in one INVALID_ARGUMENT error. */
export function parseWithSchema<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.'),
    message: issue.message,
  }));
  throw new ValidationError('INVALID_ARGUMENT', issues.map((issue) => issue.message).join('; '), {
    details: { issues },
  });
}

/** Splits parsed fields into the instruction, the edit parameters and the lane. */
export function toEditFields(parsed: ParsedFields): EditFields {
  const parameters: { -readonly [K in keyof EditParameters]: EditParameters[K] } = {};
  if (parsed.steps !== undefined) parameters.steps = parsed.steps;
  if (parsed.guidanceScale !== undefined) parameters.guidanceScale = parsed.guidanceScale;
  if (parsed.imageGuidanceScale !== undefined) {
    parameters.imageGuidanceScale = parsed.imageGuidanceScale;
  }
  if (parsed.seed !== undefined) parameters.seed = parsed.seed;
  if (parsed.sizeMode !== undefined) parameters.sizeMode = parsed.sizeMode;
  if (parsed.output !== undefined) {
    parameters.output =
      parsed.output.quality === undefined
        ? { format: parsed.output.format }
        : { format: parsed.output.format, quality: parsed.output.quality };
  }
  return { instruction: parsed.instruction, parameters, lane: parsed.lane };
}
