import { RequestError, ValidationError } from '#core/errors.ts';

const DATA_URI = /^data:([^,;]*)((?:;[^,;]*)*),/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes an RFC 2397 `data:` URI with base64 content. The size is checked from the length of the
 * text before anything is decoded. The media type is not trusted: the bytes decide the format.
 * @throws RequestError `PAYLOAD_TOO_LARGE` above `maxBytes` (decoded), ValidationError
 *   `INVALID_ARGUMENT` for anything that is not a base64 data URI.
 */
export function decodeDataUri(text: string, maxBytes: number): Uint8Array {
  const head = DATA_URI.exec(text.slice(0, 300));
  if (head === null) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "image.dataUri" to be a data URI such as "data:image/png;base64,iVBOR..." but received ${JSON.stringify(text.slice(0, 40))}${text.length > 40 ? '...' : ''}`,
      { details: { field: 'image.dataUri' } },
    );
  }
  const parameters = (head[2] ?? '').split(';').filter((part) => part.length > 0);
  if (!parameters.includes('base64')) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "image.dataUri" to be base64-encoded (";base64,") but received a data URI with ${parameters.length === 0 ? 'no parameters' : `parameters ${parameters.join(';')}`}`,
      { details: { field: 'image.dataUri' } },
    );
  }
  const payload = text.slice(head[0].length);
  const padding = payload.endsWith('==') ? 2 : payload.endsWith('=') ? 1 : 0;
  const decodedBytes = Math.floor((payload.length * 3) / 4) - padding;
  if (decodedBytes > maxBytes) {
    throw new RequestError(
      'PAYLOAD_TOO_LARGE',
      `Expected an inline image of at most ${maxBytes} bytes but "image.dataUri" holds ${decodedBytes}; upload larger images with POST /v1/uploads and submit { "image": { "uploadId": ... } }`,
      { details: { field: 'image.dataUri', bytes: decodedBytes, maxBytes } },
    );
  }
  if (payload.length % 4 === 1 || !BASE64.test(payload)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      'Expected the content of "image.dataUri" to be standard base64 (A-Z, a-z, 0-9, +, /, "=" padding) but it holds other characters or a truncated group',
      { details: { field: 'image.dataUri' } },
    );
  }
  return new Uint8Array(Buffer.from(payload, 'base64'));
}
