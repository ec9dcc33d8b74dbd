import type { EditParameters } from '#core/edit-parameters.ts';
import { validateEditParameters } from '#core/edit-parameters.ts';
import { RequestError, ValidationError } from '#core/errors.ts';
import { validateInstruction } from '#core/instruction.ts';
import type { Lane } from '#core/jobs/job-record.ts';
import type { WebhookRequest } from '#core/webhooks/webhook-subscription.ts';
import type { ApiLimits } from './api-config.ts';
import type { ApiRequest } from './api-types.ts';
import { decodeDataUri } from './data-uri.ts';
import {
  type EditFields,
  jsonEditRequestSchema,
  multipartEditFieldsSchema,
  parseWithSchema,
  toEditFields,
} from './edit-request-schema.ts';
import type { DeadlineFields } from './waiting/job-deadline.ts';

/** Where the image of a submission comes from. */
export type ImageSource =
  | { readonly kind: 'upload'; readonly uploadId: string }
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'inline'; readonly bytes: Uint8Array };

/** A submission whose fields are all valid; the image is checked when it is resolved. */
export interface EditSubmission {
  readonly image: ImageSource;
  /** Trimmed (Python `str.strip()`), checked by core's validateInstruction. */
  readonly instruction: string;
  /** Only the fields the caller gave; defaults are applied when the job is built. */
  readonly parameters: EditParameters;
  readonly lane: Lane | undefined;
  /** `deadline` / `deadlineSeconds` as given; resolved against the clock by submitEdit. */
  readonly deadline?: DeadlineFields | undefined;
  /** `webhook` as given (JSON bodies only); its URL rules are applied by submitEdit. */
  readonly webhook?: WebhookRequest | undefined;
}

const NUMERIC_FIELDS = new Set([
  'steps',
  'guidanceScale',
  'imageGuidanceScale',
  'seed',
  'deadlineSeconds',
]);
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Reads a `POST /v1/edits` body, JSON or multipart/form-data, into a checked submission.
 * Nothing is fetched, stored or queued here.
 * @throws RequestError `UNSUPPORTED_MEDIA_TYPE` or `PAYLOAD_TOO_LARGE` (an inline image over the
 *   inline limit); ValidationError `INVALID_ARGUMENT` or `INVALID_INSTRUCTION`.
 */
export async function parseEditRequest(
  request: ApiRequest,
  limits: ApiLimits,
): Promise<EditSubmission> {
  const contentType = request.headers['content-type'] ?? '';
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  let fields: EditFields;
  let image: ImageSource | (() => Promise<ImageSource>);
  let webhook: WebhookRequest | undefined;
  if (mediaType === 'application/json') {
    const body = parseWithSchema(jsonEditRequestSchema, parseJson(request.body));
    fields = toEditFields(body);
    webhook = body.webhook;
    const ref = body.image;
    image =
      ref.uploadId !== undefined
        ? { kind: 'upload', uploadId: ref.uploadId }
        : ref.url !== undefined
          ? { kind: 'url', url: ref.url }
          : () => Promise.resolve(inlineFromDataUri(ref.dataUri ?? '', limits));
  } else if (mediaType === 'multipart/form-data') {
    const form = await readForm(request.body, contentType);
    const { file, values } = splitForm(form);
    fields = toEditFields(parseWithSchema(multipartEditFieldsSchema, values));
    image = async () => {
      if (file.size > limits.maxInlineImageBytes)
        throw inlineTooLarge('the "image" part', file.size, limits);
      return { kind: 'inline', bytes: new Uint8Array(await file.arrayBuffer()) };
    };
  } else {
    throw new RequestError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Expected Content-Type application/json or multipart/form-data but received ${contentType === '' ? 'none' : JSON.stringify(contentType.slice(0, 100))}`,
      {
        details: {
          received: contentType.slice(0, 100),
          allowed: ['application/json', 'multipart/form-data'],
        },
      },
    );
  }
  // Fields first, then the instruction, then the (possibly large) inline image.
  const instruction = validateInstruction(fields.instruction, {
    maxChars: limits.maxInstructionChars,
  });
  const parameters = validateEditParameters(fields.parameters);
  const source = typeof image === 'function' ? await image() : image;
  return {
    image: source,
    instruction,
    parameters,
    lane: fields.lane,
    deadline: fields.deadline,
    webhook,
  };
}

function inlineFromDataUri(dataUri: string, limits: ApiLimits): ImageSource {
  return { kind: 'inline', bytes: decodeDataUri(dataUri, limits.maxInlineImageBytes) };
}

function inlineTooLarge(what: string, bytes: number, limits: ApiLimits): RequestError {
  return new RequestError(
    'PAYLOAD_TOO_LARGE',
    `Expected an inline image of at most ${limits.maxInlineImageBytes} bytes but ${what} holds ${bytes}; upload larger images with POST /v1/uploads and submit { "image": { "uploadId": ... } }`,
    { details: { bytes, maxBytes: limits.maxInlineImageBytes } },
  );
}

function parseJson(body: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch (error) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      'Expected a UTF-8 JSON body but it is not valid UTF-8',
      {
        cause: error,
      },
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected a JSON object body but it does not parse: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

async function readForm(body: Uint8Array, contentType: string): Promise<FormData> {
  try {
    // The WHATWG parser that Node ships (undici): no multipart dependency of our own.
    return await new Request('http://api.invalid/', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    }).formData();
  } catch (error) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected a well-formed multipart/form-data body matching the boundary of its Content-Type but it could not be parsed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** Takes the `image` file part out and turns the text fields into the JSON field shape. */
function splitForm(form: FormData): { file: File; values: Record<string, unknown> } {
  const values: Record<string, unknown> = {};
  const output: Record<string, unknown> = {};
  const seen = new Map<string, number>();
  let file: File | undefined;
  for (const [name, value] of form.entries()) {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    if (count > 1) {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        `Expected one value for the form field "${name.slice(0, 60)}" but received ${count} or more`,
        { details: { field: name.slice(0, 60) } },
      );
    }
    if (name === 'image') {
      if (typeof value === 'string') {
        throw new ValidationError(
          'INVALID_ARGUMENT',
          'Expected "image" to be a file part (Content-Disposition with a filename) but received a text field',
          { details: { field: 'image' } },
        );
      }
      file = value;
      continue;
    }
    if (typeof value !== 'string') {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        `Expected "${name.slice(0, 60)}" to be a text field but received a file part; only "image" is a file`,
        { details: { field: name.slice(0, 60) } },
      );
    }
    // An HTML form sends empty inputs as ""; for an optional field that means "not given".
    if (value === '' && name !== 'instruction') continue;
    if (name === 'output.format') output.format = value;
    else if (name === 'output.quality') output.quality = toNumber(value);
    else values[name] = NUMERIC_FIELDS.has(name) ? toNumber(value) : value;
  }
  if (file === undefined) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      'Expected a file part named "image" in the multipart form but received none',
      { details: { field: 'image' } },
    );
  }
  if (Object.keys(output).length > 0) values.output = output;
  return { file, values };
}

/** Form fields are text: a number-looking value becomes a number, anything else stays text. */
function toNumber(value: string): number | string {
  return NUMBER_TEXT.test(value.trim()) ? Number(value) : value;
}
