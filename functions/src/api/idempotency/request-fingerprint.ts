import { createHash } from 'node:crypto';
import type { ApiRequest } from '../api-types.ts';

/**
 * What makes two requests "the same" for Idempotency-Key: the owner, the method, the path and the
 * body in a canonical form, so that formatting does not matter but content does:
 * - JSON: the parsed value with object keys sorted (whitespace and key order ignored);
 * - multipart/form-data: the fields in order, each as name and value, files as name, type and the
 *   SHA-256 of their bytes (the boundary, which every client picks anew, ignored);
 * - anything else (or a body that does not parse): the media type and the raw bytes.
 * @returns the SHA-256 of that, lowercase hex.
 */
export async function requestFingerprint(request: ApiRequest, owner: string): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([owner, request.method.toUpperCase(), request.path]));
  const contentType = request.headers['content-type'] ?? '';
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const canonical = await canonicalBody(request.body, mediaType, contentType);
  hash.update('\n');
  hash.update(canonical);
  return hash.digest('hex');
}

async function canonicalBody(
  body: Uint8Array,
  mediaType: string,
  contentType: string,
): Promise<string | Uint8Array> {
  if (body.byteLength === 0) return 'empty';
  if (mediaType === 'application/json') {
    try {
      return `json:${canonicalJson(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body)))}`;
    } catch (error) {
      // Not JSON after all: the bytes decide (the request will be refused as malformed anyway).
      if (!(error instanceof SyntaxError || error instanceof TypeError)) throw error;
    }
  }
  if (mediaType === 'multipart/form-data') {
    try {
      const form = await new Request('http://api.invalid/', {
        method: 'POST',
        headers: { 'content-type': contentType },
        body,
      }).formData();
      const parts: string[] = [];
      for (const [name, value] of form.entries()) {
        parts.push(
          typeof value === 'string'
            ? JSON.stringify([name, value])
            : JSON.stringify([name, value.type, sha256(new Uint8Array(await value.arrayBuffer()))]),
        );
      }
      return `form:${parts.join('\n')}`;
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
    }
  }
  return Buffer.concat([Buffer.from(`raw:${mediaType}\n`), body]);
}

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonicalJson(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
