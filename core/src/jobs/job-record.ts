import { z } from 'zod';
import { EDIT_LIMITS, OUTPUT_FORMATS, SIZE_MODES } from '../edit-parameters.ts';
import { JOB_STATUSES } from './job-status.ts';

/**
 * Job ids end up in storage keys and URLs, so they are restricted to a key-safe alphabet:
 * a letter or digit, then letters, digits, `_` or `-`, at most 128 characters.
 */
export const JOB_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
export const jobIdSchema = z.string().regex(JOB_ID_PATTERN, {
  error: 'Expected a job id of letters, digits, "_" or "-" (1 to 128 characters)',
});

export const LANES = ['interactive', 'batch'] as const;
export type Lane = (typeof LANES)[number];
export const laneSchema = z.enum(LANES);

/** Image formats the service reads and writes. */
export const imageFormatSchema = z.enum(OUTPUT_FORMATS);

/**
 * Event types a webhook can subscribe to: one per job status (`edit.<status>`), and
 * `edit.progress` (denoising progress while running, throttled; core/src/webhooks/progress-events.ts).
 */
export const JOB_EVENT_TYPES = [
  ...JOB_STATUSES.map((status) => `edit.${status}` as const),
  'edit.progress',
] as const;
export type JobEventType = (typeof JOB_EVENT_TYPES)[number];
export const jobEventTypeSchema = z.enum(JOB_EVENT_TYPES);

const isoTimestamp = z.iso.datetime({ offset: true });
const nonNegativeInt = z.int().min(0);
const positiveInt = z.int().min(1);
const range = (limits: { readonly min: number; readonly max: number }) =>
  z.number().min(limits.min).max(limits.max);

/** The resolved parameters of an edit (the bundle's defaults already applied). */
export const jobParametersSchema = z.strictObject({
  steps: z.int().min(EDIT_LIMITS.steps.min).max(EDIT_LIMITS.steps.max),
  guidanceScale: range(EDIT_LIMITS.guidanceScale),
  imageGuidanceScale: range(EDIT_LIMITS.imageGuidanceScale),
  seed: z.int().min(EDIT_LIMITS.seed.min).max(EDIT_LIMITS.seed.max),
  sizeMode: z.enum(SIZE_MODES),
  output: z.strictObject({
    format: imageFormatSchema,
    /** JPEG and WebP quality; absent for PNG. */
    quality: z.int().min(EDIT_LIMITS.quality.min).max(EDIT_LIMITS.quality.max).optional(),
  }),
});

/**
 * The job record (DESIGN §5): everything about one edit except the bytes. Messages carry only the
 * id; this record is the source of truth. `version` is a revision counter owned by the JobStore:
 * 1 after create, +1 on every update, used for optimistic concurrency.
 */
export const jobRecordSchema = z.strictObject({
  id: jobIdSchema,
  /** The API key id that submitted the job. */
  owner: z.string().min(1).max(256),
  lane: laneSchema,
  instruction: z.string().min(1),
  parameters: jobParametersSchema,
  input: z.strictObject({
    key: z.string().min(1),
    width: positiveInt,
    height: positiveInt,
    format: imageFormatSchema,
    sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'Expected 64 lowercase hex digits' }),
  }),
  output: z
    .strictObject({
      key: z.string().min(1),
      width: positiveInt,
      height: positiveInt,
      format: imageFormatSchema,
    })
    .nullable(),
  timestamps: z.strictObject({
    createdAt: isoTimestamp,
    startedAt: isoTimestamp.nullable(),
    completedAt: isoTimestamp.nullable(),
  }),
  /** How many times the job went back to `queued` for a retry, plus one once it has run. */
  attempts: nonNegativeInt,
  progress: z.strictObject({ step: nonNegativeInt, steps: positiveInt }).nullable(),
  metrics: z
    .strictObject({ queueMs: nonNegativeInt, inferenceMs: nonNegativeInt, totalMs: nonNegativeInt })
    .nullable(),
  /** A stable code (see core/src/errors.ts) and a human message. */
  error: z.strictObject({ code: z.string().min(1), message: z.string() }).nullable(),
  /** `synthetic` is true when a tiny test bundle ran instead of the real model. */
  model: z
    .strictObject({ name: z.string().min(1), version: z.string().min(1), synthetic: z.boolean() })
    .nullable(),
  webhook: z.strictObject({ url: z.url(), events: z.array(jobEventTypeSchema).min(1) }).nullable(),
  idempotencyKey: z.string().min(1).max(256).nullable(),
  batchId: z.string().min(1).max(256).nullable(),
  /** The job ends `expired` if it has not started by then. */
  deadline: isoTimestamp.nullable(),
  status: z.enum(JOB_STATUSES),
  version: positiveInt,
});

export type JobRecord = z.infer<typeof jobRecordSchema>;
export type JobParameters = z.infer<typeof jobParametersSchema>;
/** What a caller hands to `JobStore.create`: the store assigns `version`. */
export type NewJobRecord = Omit<JobRecord, 'version'>;
