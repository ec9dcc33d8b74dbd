import { z } from 'zod';
import {
  checkChoice,
  checkNumber,
  EDIT_LIMITS,
  type EditParameters,
  OUTPUT_FORMATS,
  SIZE_MODES,
} from '#core/edit-parameters.ts';
import { describeValue, isAppError, ValidationError } from '#core/errors.ts';
import { DEFAULT_MAX_INSTRUCTION_CHARS } from '#core/instruction.ts';
import { LANES, type Lane } from '#core/jobs/job-record.ts';
import { webhookRequestSchema } from '#core/webhooks/webhook-subscription.ts';
import {
  checkDeadlineAt,
  checkDeadlineSeconds,
  DEADLINE_SECONDS_CAP,
  type DeadlineFields,
} from './waiting/job-deadline.ts';

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

/**
 * What a field accepts, as JSON Schema, for the OpenAPI document (functions/src/openapi): zod
 * cannot see inside core's checks, so each check states its rule here, from the same constants.
 */
type FieldDoc = Readonly<Record<string, unknown>>;

/** Runs one of core's throwing checks as a zod transform, keeping its message. */
function coreCheck<T>(check: (value: unknown) => T, doc: FieldDoc) {
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
    })
    .meta(doc);
}

/** Like coreCheck, for a field that may be left out. */
function optionalCheck<T>(check: (value: unknown) => T, doc: FieldDoc) {
  return coreCheck((value) => (value === undefined ? undefined : check(value)), doc);
}

/** The JSON Schema of a numeric field of EDIT_LIMITS. */
function numberDoc(field: keyof typeof EDIT_LIMITS, description: string): FieldDoc {
  const { min, max } = EDIT_LIMITS[field];
  const integer = field === 'steps' || field === 'seed' || field === 'quality';
  return { type: integer ? 'integer' : 'number', minimum: min, maximum: max, description };
}

function choiceDoc(allowed: readonly string[], description: string): FieldDoc {
  return { type: 'string', enum: [...allowed], description };
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
  .meta({
    description: 'Exactly one of uploadId, url or dataUri.',
    oneOf: IMAGE_KEYS.map((key) => ({ required: [key] })),
  })
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
      format: coreCheck(
        (value) => checkChoice('output.format', OUTPUT_FORMATS, value),
        choiceDoc(OUTPUT_FORMATS, 'The output image format.'),
      ),
      quality: optionalCheck(
        (value) => checkNumber('quality', value),
        numberDoc('quality', 'JPEG and WebP quality; not with png.'),
      ),
    },
    objectError('"output"', OUTPUT_KEYS),
  )
  .meta({ required: ['format'], description: 'Default: { "format": "png" }.' })
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
  // Required, but checked by validateInstruction (its own code, INVALID_INSTRUCTION).
  instruction: z.unknown().optional().meta({
    type: 'string',
    minLength: 1,
    maxLength: DEFAULT_MAX_INSTRUCTION_CHARS,
    description:
      'What to change, in plain words. Trimmed; 1 to the configured limit of code points (2000 by default); no control characters other than newline and tab; no model control tokens.',
  }),
  steps: optionalCheck(
    (value) => checkNumber('steps', value),
    numberDoc('steps', 'Denoising steps. Default 20.'),
  ),
  guidanceScale: optionalCheck(
    (value) => checkNumber('guidanceScale', value),
    numberDoc('guidanceScale', 'Text guidance scale (0: off). Default 4.5.'),
  ),
  imageGuidanceScale: optionalCheck(
    (value) => checkNumber('imageGuidanceScale', value),
    numberDoc('imageGuidanceScale', 'Image guidance scale (0: off). Default 1.2.'),
  ),
  seed: optionalCheck(
    (value) => checkNumber('seed', value),
    numberDoc('seed', 'Noise seed. Default 42.'),
  ),
  sizeMode: optionalCheck(
    (value) => checkChoice('sizeMode', SIZE_MODES, value),
    choiceDoc(
      SIZE_MODES,
      '`aligned`: EXIF orientation applied, output covers the input. `parity`: the reference implementation and its quirks. Default aligned.',
    ),
  ),
  lane: optionalCheck(
    (value): Lane => checkChoice('lane', LANES, value),
    choiceDoc(LANES, 'The queue the job waits in. Default interactive.'),
  ),
  output: outputSchema,
  deadline: optionalCheck(checkDeadlineAt, {
    type: 'string',
    format: 'date-time',
    description:
      'If the job has not started by then it ends `expired` and never runs. 1 s to 24 h ahead (configurable); not with deadlineSeconds.',
  }),
  deadlineSeconds: optionalCheck(checkDeadlineSeconds, {
    type: 'integer',
    minimum: 1,
    maximum: DEADLINE_SECONDS_CAP,
    description:
      'The deadline in seconds from the submission (at most 86400 by default); not with deadline.',
  }),
};

const FIELD_NAMES = Object.keys(fieldShape);

/** The JSON body: the fields plus `image` as a reference or a data URI. */
export const jsonEditRequestSchema = z
  .strictObject(
    { image: imageRefSchema, ...fieldShape, webhook: webhookRequestSchema.optional() },
    objectError('the request body', ['image', ...FIELD_NAMES, 'webhook']),
  )
  .meta({ required: ['image', 'instruction'] });

/** The form fields of a multipart body; the `image` file part is taken out before. */
export const multipartEditFieldsSchema = z
  .strictObject(
    fieldShape,
    objectError('the multipart form', [
      'image (a file part)',
      ...FIELD_NAMES.filter((name) => name !== 'output'),
      'output.format',
      'output.quality',
    ]),
  )
  .meta({ required: ['instruction'] });

export type ImageReference = z.output<typeof imageRefSchema>;

/** What the fields of a submission say once parsed (the instruction not yet checked). */
export interface EditFields {
  readonly instruction: unknown;
  readonly parameters: EditParameters;
  readonly lane: Lane | undefined;
  /** Checked against the clock when the job is built (waiting/job-deadline.ts). */
  readonly deadline: DeadlineFields;
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
  return {
    instruction: parsed.instruction,
    parameters,
    lane: parsed.lane,
    deadline: { at: parsed.deadline, seconds: parsed.deadlineSeconds },
  };
}
