import type { EditRequest, ImageFile } from './api-types.ts';

/**
 * The body of `POST /v1/edits`: JSON for an upload id, a URL or a data URI; multipart/form-data
 * (the `image` file part plus text fields, `output` as `output.format` and `output.quality`) for
 * bytes the client sends itself.
 */
export function editBody(request: EditRequest): { json: unknown } | { form: FormData } {
  const { image, ...fields } = request;
  if (!('file' in image)) return { json: { image, ...fields } };
  const form = new FormData();
  form.append('image', toBlob(image.file), image.file.filename ?? 'image');
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (name === 'output' && typeof value === 'object' && value !== null) {
      for (const [key, part] of Object.entries(value)) {
        if (part !== undefined) form.append(`output.${key}`, String(part));
      }
    } else {
      form.append(name, typeof value === 'object' ? JSON.stringify(value) : String(value));
    }
  }
  return { form };
}

function toBlob(file: ImageFile): Blob {
  if (file.bytes instanceof Blob) {
    return file.contentType === undefined
      ? file.bytes
      : new Blob([file.bytes], { type: file.contentType });
  }
  return new Blob([file.bytes], { type: file.contentType ?? sniffImageType(file.bytes) });
}

/** The image type from the magic bytes (JPEG, PNG, WebP), as the API itself decides. */
export function sniffImageType(bytes: Uint8Array): string {
  const starts = (...sig: number[]) => sig.every((byte, index) => bytes[index] === byte);
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (
    starts(0x52, 0x49, 0x46, 0x46) &&
    bytes[8] === 0x57 &&
    bytes[9] === 0x45 &&
    bytes[10] === 0x42 &&
    bytes[11] === 0x50
  ) {
    return 'image/webp';
  }
  return 'application/octet-stream';
}
