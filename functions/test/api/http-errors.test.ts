import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  ConflictError,
  DependencyError,
  type ErrorCode,
  InferenceError,
  RequestError,
  ValidationError,
} from '#core/errors.ts';
import type { LogEntry } from '#functions/api/api-types.ts';
import { errorResponse, HTTP_ERRORS } from '#functions/api/http-errors.ts';

function respond(error: unknown) {
  const logs: LogEntry[] = [];
  const response = errorResponse(error, {
    requestId: 'req_1',
    retryAfterSeconds: 3,
    log: (entry) => logs.push(entry),
  });
  return { response, body: JSON.parse(response.body), logs };
}

describe('errorResponse', () => {
  it('maps every request-caused code to a 4xx and every other code to 5xx', () => {
    const statuses = Object.fromEntries(
      Object.entries(HTTP_ERRORS).map(([code, entry]) => [code, entry.status]),
    ) as Record<ErrorCode, number>;

    expect(statuses).toEqual({
      INVALID_ARGUMENT: 400,
      INVALID_INSTRUCTION: 400,
      ACCESS_DENIED: 403,
      NOT_FOUND: 404,
      UPLOAD_NOT_FOUND: 404,
      METHOD_NOT_ALLOWED: 405,
      CONFLICT: 409,
      UPLOAD_EXPIRED: 410,
      PAYLOAD_TOO_LARGE: 413,
      UNSUPPORTED_MEDIA_TYPE: 415,
      UNSUPPORTED_IMAGE_FORMAT: 415,
      INVALID_IMAGE: 422,
      IMAGE_TOO_LARGE: 422,
      IMAGE_TOO_SMALL: 422,
      UNSUPPORTED_ASPECT_RATIO: 422,
      IMAGE_FETCH_FAILED: 422,
      UNAUTHENTICATED: 401,
      IDEMPOTENCY_KEY_REUSED: 409,
      IDEMPOTENCY_IN_PROGRESS: 409,
      RATE_LIMITED: 429,
      CONCURRENCY_LIMITED: 429,
      QUOTA_EXCEEDED: 429,
      DEPENDENCY_UNAVAILABLE: 503,
      INTERNAL: 500,
      CANCELED: 500,
      INFERENCE_FAILED: 500,
      BUNDLE_INVALID: 500,
      BUNDLE_MISSING: 500,
      EXECUTION_PROVIDER_UNAVAILABLE: 500,
      CONFIG_INVALID: 500,
    });
  });

  it('keeps the code, message and details of a request error', () => {
    const { response, body, logs } = respond(
      new ValidationError('IMAGE_TOO_SMALL', 'Expected both sides ≥ 32 px but received 16×16', {
        details: { width: 16, height: 16 },
      }),
    );

    expect(response.status).toBe(422);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(body).toEqual({
      error: {
        code: 'IMAGE_TOO_SMALL',
        message: 'Expected both sides ≥ 32 px but received 16×16',
        details: { width: 16, height: 16 },
        requestId: 'req_1',
      },
    });
    expect(logs).toEqual([]);
  });

  it('omits details when an error has none', () => {
    const { body } = respond(new ConflictError('Expected a queued job'));

    expect(body).toEqual({
      error: { code: 'CONFLICT', message: 'Expected a queued job', requestId: 'req_1' },
    });
  });

  it('answers 503 with Retry-After and a generic message for a dependency failure', () => {
    const { response, body, logs } = respond(
      new DependencyError('S3 PutObject failed on bucket prod-images', {
        details: { bucket: 'prod-images' },
      }),
    );

    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('3');
    expect(body.error.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(response.body).not.toContain('prod-images');
    expect(logs[0]).toMatchObject({ level: 'warn', error: { details: { bucket: 'prod-images' } } });
  });

  it.each([
    ['a plain Error', new Error('disk on fire')],
    ['a worker-side AppError', new InferenceError('DiT failed')],
    ['a ConfigError', new ConfigError('VIBE_BUCKET is required')],
    ['a thrown string', 'oops'],
  ])('hides %s behind 500 INTERNAL and logs it', (_name, error) => {
    const { response, body, logs } = respond(error);

    expect(response.status).toBe(500);
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'requestId']);
    expect(body.error.code).toBe('INTERNAL');
    expect(response.body).not.toMatch(/disk on fire|DiT failed|VIBE_BUCKET|oops|at /);
    expect(logs).toHaveLength(1);
    expect(logs[0]?.level).toBe('error');
  });

  it('sets Allow for METHOD_NOT_ALLOWED', () => {
    const { response } = respond(
      new RequestError('METHOD_NOT_ALLOWED', 'Expected GET', {
        details: { allow: ['GET', 'POST'] },
      }),
    );

    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET, POST');
  });
});
