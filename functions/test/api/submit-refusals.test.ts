import { describe, expect, it } from 'vitest';
import type { ApiRequest } from '#functions/api/api-types.ts';
import {
  call,
  createHarness,
  imageFile,
  jsonRequest,
  multipartRequest,
  useTempRoot,
} from '../helpers/api-harness.ts';
import { gifImage, jpegImage, pngBombHeader, pngImage, toDataUri } from '../helpers/images.ts';

const tempDir = useTempRoot('refusals');

const LIMITS = {
  maxBodyBytes: 64 * 1024,
  maxInlineImageBytes: 16 * 1024,
  maxImageBytes: 32 * 1024,
  maxInputPixels: 1_000_000,
  maxInstructionChars: 100,
};

async function edit(fields: Record<string, unknown>, image?: unknown): Promise<ApiRequest> {
  const png = image ?? { dataUri: toDataUri(await pngImage(64, 48)) };
  return jsonRequest('POST', '/v1/edits', { image: png, instruction: 'make it winter', ...fields });
}

async function withImage(bytes: Uint8Array | Promise<Uint8Array>): Promise<ApiRequest> {
  return edit({}, { dataUri: toDataUri(await bytes) });
}

function raw(body: string | Uint8Array, contentType: string): ApiRequest {
  return {
    method: 'POST',
    path: '/v1/edits',
    headers: { 'content-type': contentType },
    query: {},
    body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
  };
}

async function form(fill: (form: FormData) => Promise<void> | void): Promise<ApiRequest> {
  const data = new FormData();
  await fill(data);
  return multipartRequest('/v1/edits', data);
}

interface Case {
  readonly name: string;
  readonly request: () => Promise<ApiRequest> | ApiRequest;
  readonly status: number;
  readonly code: string;
  /** Part of the message: what was expected, what arrived, what is allowed. */
  readonly message: string;
}

const cases: Case[] = [
  {
    name: 'an unknown field',
    request: () => edit({ strength: 0.5 }),
    status: 400,
    code: 'INVALID_ARGUMENT',
    message: 'received unknown field "strength"',
  },
  {
    name: 'an unknown field inside output',
    request: () => edit({ output: { format: 'png', dpi: 300 } }),
    status: 400,
    code: 'INVALID_ARGUMENT',
    message: 'Expected only the fields "format", "quality" in "output"',
  },
  {
    name: 'steps out of range',
    request: () => edit({ steps: 500 }),
    status: 400,
    code: 'INVALID_ARGUMENT',
    message: 'Expected "steps" to be an integer from 1 to 100 but received 500',
  },
  {
    name: 'steps of the wrong type',
    request: () => edit({ steps: '20' }),
    status: 400,
    code: 'INVALID_ARGUMENT',
    message: 'Expected "steps" to be an integer from 1 to 100 but received "20"',
  },
  {
    name: 'a negative guidance scale',
    request: () => edit({ guidanceScale: -1 }),
    status: 400,
    code: 'INVALID_ARGUMENT',
    message: 'Expected "guidanceScale" to be a number from 0 to 20 but received -1',
  },
  {
    name: 'a fractional seed',
    request: () => edit({ seed: 1.5 }),
    status: 400,
    code: 'INVALID_ARGUMENT',
    message: 'Expected "seed" to be an integer from 0 to 4294967295 but received 1.5',
  },
  {
    name: 'an unknown lane',
    request: () => edit({ lane: 'fast' }),
    status: 400,
    code: 'INVALID_ARGUMENT',
    message: 'Expected "lane" to be one of interactive, batch but received "fast"',
  },
  {
    name: 'an output format the service does not write',
    request: () => edit({ output: { format: 'gif' } }),
    status: 400,
    code: 'INVALID_ARGUMENT',
    message: 'Expected "output.format" to be one of png, jpeg, webp but received "gif"',
  },
  {
    name: 'a quality for PNG',
    request: () => edit({ output: { format: 'png', quality: 90 } }),
    status: 400,
    code: 'INVALID_ARGUMENT',
    message: 'Expected no "output.quality" with output format "png"',
  },
  {
    name: 'no image',
    request: () => jsonRequest('POST', '/v1/edits', { instruction: 'x' }),
    status: 400,
    code: 'INVALID_ARGUMENT',
    message:
      'Expected "image" to be an object with the fields "uploadId", "url", "dataUri" but received nothing',
  },
  {
    name: 'two image sources',
    request: () => edit({}, { url: 'https://a.example/x.png', uploadId: 'upl_1_00' }),
    status: 400,
    code: 'INVALID_ARGUMENT',
    message: 'exactly one of "uploadId", "url" or "dataUri" but received "uploadId" and "url"',
  },
  {
    name: 'a plain http image URL',
    request: () => edit({}, { url: 'http://images.example/cat.png' }),
    status: 400,
    code: 'INVALID_ARGUMENT',
    message: 'Expected "image.url" to be an absolute https URL',
  },
  {
    name: 'a missing instruction',
    request: () => jsonRequest('POST', '/v1/edits', { image: { url: 'https://a.example/x.png' } }),
    status: 400,
    code: 'INVALID_INSTRUCTION',
    message: 'Expected "instruction" to be a string but received nothing',
  },
  {
    name: 'a blank instruction',
    request: () => edit({ instruction: ' \n\t ' }),
    status: 400,
    code: 'INVALID_INSTRUCTION',
    message: 'Expected "instruction" to contain text but received only whitespace',
  },
  {
    name: 'a control character in the instruction',
    request: () => edit({ instruction: 'make it\u0007 winter' }),
    status: 400,
    code: 'INVALID_INSTRUCTION',
    message: 'found U+0007 at character 7',
  },
  {
    name: 'an instruction over the limit',
    request: () => edit({ instruction: 'a'.repeat(101) }),
    status: 400,
    code: 'INVALID_INSTRUCTION',
    message: 'at most 100 characters after trimming but received 101',
  },
  {
    name: 'a body that is not JSON',
    request: () => raw('{"image":', 'application/json'),
    status: 400,
    code: 'INVALID_ARGUMENT',
    message: 'Expected a JSON object body but it does not parse',
  },
  {
    name: 'a JSON array',
    request: () => raw('[1]', 'application/json'),
    status: 400,
    code: 'INVALID_ARGUMENT',
    message: 'Expected the request body to be an object',
  },
  {
    name: 'an unsupported content type',
    request: () => raw('instruction=x', 'application/x-www-form-urlencoded'),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message:
      'Expected Content-Type application/json or multipart/form-data but received "application/x-www-form-urlencoded"',
  },
  {
    name: 'a data URI that is not base64',
    request: () => edit({}, { dataUri: 'data:image/png,hello' }),
    status: 400,
    code: 'INVALID_ARGUMENT',
    message: 'Expected "image.dataUri" to be base64-encoded',
  },
  {
    name: 'a data URI with broken base64',
    request: () => edit({}, { dataUri: 'data:image/png;base64,iVBO*w0K' }),
    status: 400,
    code: 'INVALID_ARGUMENT',
    message: 'to be standard base64',
  },
  {
    name: 'a GIF',
    request: () => withImage(gifImage()),
    status: 415,
    code: 'UNSUPPORTED_IMAGE_FORMAT',
    message: 'Expected a JPEG, PNG or WebP image but received GIF',
  },
  {
    name: 'HTML in a data URI labelled image/png',
    request: () => withImage(new TextEncoder().encode('<!DOCTYPE html><html></html>')),
    status: 415,
    code: 'UNSUPPORTED_IMAGE_FORMAT',
    message: 'but received HTML',
  },
  {
    name: 'a PNG signature followed by garbage',
    request: () =>
      withImage(
        new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4, 5, 6, 7, 8]),
      ),
    status: 422,
    code: 'INVALID_IMAGE',
    message: 'Expected a readable PNG header',
  },
  {
    name: 'an empty image',
    request: () => edit({}, { dataUri: 'data:image/png;base64,' }),
    status: 422,
    code: 'INVALID_IMAGE',
    message: 'Expected JPEG, PNG or WebP image bytes but received none',
  },
  {
    name: 'a decompression bomb (20000×20000 in 69 bytes)',
    request: () => withImage(pngBombHeader(20_000, 20_000)),
    status: 422,
    code: 'IMAGE_TOO_LARGE',
    message: 'Expected at most 1000000 pixels but received a 20000×20000 image (400000000 pixels)',
  },
  {
    name: 'a side below 32 px',
    request: () => withImage(pngImage(31, 64)),
    status: 422,
    code: 'IMAGE_TOO_SMALL',
    message: 'Expected both image sides to be at least 32 px but received 31×64',
  },
  {
    name: 'an aspect ratio above 200:1',
    request: () => withImage(pngBombHeader(6433, 32)),
    status: 422,
    code: 'UNSUPPORTED_ASPECT_RATIO',
    message: 'Expected an aspect ratio of at most 200:1 but received 6433×32 (201.0:1)',
  },
  {
    name: 'an inline image over the inline limit',
    request: () => edit({}, { dataUri: `data:image/png;base64,${'A'.repeat(24 * 1024)}` }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    message: 'Expected an inline image of at most 16384 bytes but "image.dataUri" holds 18432',
  },
  {
    name: 'a body over the body limit',
    request: () => raw(new Uint8Array(64 * 1024 + 1), 'application/json'),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    message: 'Expected a request body of at most 65536 bytes but received 65537',
  },
  {
    name: 'a body the adapter stopped reading',
    request: () => ({ ...raw(new Uint8Array(10), 'application/json'), bodyExceeded: true }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    message: 'but received more',
  },
  {
    name: 'a multipart form without an image part',
    request: () => form((f) => f.append('instruction', 'x')),
    status: 400,
    code: 'INVALID_ARGUMENT',
    message: 'Expected a file part named "image" in the multipart form but received none',
  },
  {
    name: 'a multipart image given as text',
    request: () =>
      form((f) => {
        f.append('image', 'https://a.example/x.png');
        f.append('instruction', 'x');
      }),
    status: 400,
    code: 'INVALID_ARGUMENT',
    message: 'Expected "image" to be a file part',
  },
  {
    name: 'a multipart field given twice',
    request: () =>
      form(async (f) => {
        f.append('image', imageFile(await pngImage()));
        f.append('steps', '10');
        f.append('steps', '20');
      }),
    status: 400,
    code: 'INVALID_ARGUMENT',
    message: 'Expected one value for the form field "steps"',
  },
  {
    name: 'a multipart number that is not a number',
    request: () =>
      form(async (f) => {
        f.append('image', imageFile(await pngImage()));
        f.append('instruction', 'x');
        f.append('steps', 'many');
      }),
    status: 400,
    code: 'INVALID_ARGUMENT',
    message: 'Expected "steps" to be an integer from 1 to 100 but received "many"',
  },
  {
    name: 'a multipart file over the inline limit',
    request: () =>
      form((f) => {
        f.append('image', imageFile(new Uint8Array(16 * 1024 + 1)));
        f.append('instruction', 'x');
      }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    message: 'the "image" part holds 16385',
  },
  {
    name: 'a multipart body with a broken boundary',
    request: () => raw('--nope\r\n\r\n', 'multipart/form-data; boundary=abc'),
    status: 400,
    code: 'INVALID_ARGUMENT',
    message: 'Expected a well-formed multipart/form-data body',
  },
];

describe('POST /v1/edits refusals', () => {
  it.each(cases)('answers $status $code for $name and stores nothing', async (c) => {
    const h = createHarness(tempDir(), { config: { limits: LIMITS } });

    const res = await call(h.app, await c.request());

    expect(res.status).toBe(c.status);
    expect(Object.keys(res.json)).toEqual(['error']);
    expect(res.json.error).toMatchObject({ code: c.code, requestId: res.headers['x-request-id'] });
    expect(res.json.error.message).toContain(c.message);
    expect(await h.stored()).toEqual({ blobs: [], jobs: [], messages: 0, events: 0 });
  });

  it('reports every schema problem of one request together, with paths', async () => {
    const h = createHarness(tempDir());

    const res = await call(h.app, await edit({ steps: 0, seed: -1, extra: true }));

    expect(res.json.error.details.issues).toEqual([
      { path: 'steps', message: 'Expected "steps" to be an integer from 1 to 100 but received 0' },
      {
        path: 'seed',
        message: 'Expected "seed" to be an integer from 0 to 4294967295 but received -1',
      },
      {
        path: '(root)',
        message: expect.stringContaining('received unknown field "extra"'),
      },
    ]);
  });

  it('accepts the largest allowed values at the edges of every range', async () => {
    const h = createHarness(tempDir());

    const res = await call(
      h.app,
      await edit(
        {
          steps: 100,
          guidanceScale: 20,
          imageGuidanceScale: 10,
          seed: 4_294_967_295,
          output: { format: 'jpeg', quality: 100 },
        },
        { dataUri: toDataUri(await jpegImage(6400, 32), 'image/jpeg') },
      ),
    );

    expect(res.status).toBe(202);
  });
});
