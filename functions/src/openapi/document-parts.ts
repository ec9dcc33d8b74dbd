import type { ApiConfig } from '../api/api-config.ts';
import { errorTable } from './error-catalog.ts';
import type { JsonSchema } from './json-schema.ts';

/**
 * The multipart form of `POST /v1/edits`: the same fields as multipartEditFieldsSchema (which
 * validates them once the form is read), `output` spelled as `output.format` and
 * `output.quality`, plus the `image` file part.
 */
export function multipartForm(fields: JsonSchema): JsonSchema {
  const properties: Record<string, unknown> = {
    image: {
      type: 'string',
      contentMediaType: 'application/octet-stream',
      description: 'The image file (JPEG, PNG or WebP).',
    },
  };
  for (const [name, schema] of Object.entries(
    (fields.properties ?? {}) as Record<string, JsonSchema>,
  )) {
    if (name === 'output') {
      for (const [key, part] of Object.entries(
        (schema.properties ?? {}) as Record<string, unknown>,
      )) {
        properties[`output.${key}`] = part;
      }
    } else {
      properties[name] = schema;
    }
  }
  return {
    type: 'object',
    description: 'An empty text field counts as not given.',
    properties,
    required: ['image', ...((fields.required as string[] | undefined) ?? [])],
    additionalProperties: false,
  };
}

/** The document's introduction: what the API does, the error table, the limits. */
export function describeApi(config: ApiConfig): string {
  const { limits } = config;
  return [
    'Submit an image and an instruction; the edit runs on a GPU worker; read its status and download the result through a presigned URL. Every error has one body (`Error`) with a stable `code`:',
    '',
    errorTable(),
    '',
    `Limits: request body ${limits.maxBodyBytes} bytes; inline image ${limits.maxInlineImageBytes} bytes; uploaded or fetched image ${limits.maxImageBytes} bytes; ${limits.maxInputPixels} pixels; instruction ${limits.maxInstructionChars} code points.`,
  ].join('\n');
}
