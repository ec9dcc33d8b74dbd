import { describe, expect, it } from 'vitest';
import {
  BundleError,
  CanceledError,
  ConflictError,
  DependencyError,
  InferenceError,
  NotFoundError,
  ValidationError,
} from '#core/errors.ts';
import { classifyFailure } from '#runtime/worker/failure-policy.ts';

describe('classifyFailure', () => {
  it('decides by type and keeps the stable code and the message', () => {
    const cases = [
      new ValidationError('INVALID_IMAGE', 'Expected a decodable PNG but decoding failed'),
      new ValidationError(
        'IMAGE_TOO_SMALL',
        'Expected both sides to be at least 32 px but received 8×8',
      ),
      new BundleError('BUNDLE_INVALID', 'Expected graph "dit" in the manifest but found none'),
      new NotFoundError('Expected inputs/job_1 to exist but nothing is stored there'),
      new ConflictError('Expected a free key but it is taken'),
      new InferenceError('Graph "dit" failed: shape mismatch'),
      new InferenceError('The inference thread died during the job', { retryable: true }),
      new DependencyError('S3 PutObject failed: 503 SlowDown'),
      new CanceledError('Canceled at step 3 of 20'),
      new RangeError('Invalid typed array length: -1'),
    ];

    expect(
      cases.map((error) => [classifyFailure(error).kind, classifyFailure(error).code]),
    ).toEqual([
      ['permanent', 'INVALID_IMAGE'],
      ['permanent', 'IMAGE_TOO_SMALL'],
      ['permanent', 'BUNDLE_INVALID'],
      ['permanent', 'NOT_FOUND'],
      ['permanent', 'CONFLICT'],
      ['permanent', 'INFERENCE_FAILED'],
      ['retryable', 'INFERENCE_FAILED'],
      ['retryable', 'DEPENDENCY_UNAVAILABLE'],
      ['canceled', 'CANCELED'],
      ['retryable', 'INTERNAL'],
    ]);
    expect(classifyFailure(cases[0]).message).toBe('Expected a decodable PNG but decoding failed');
    expect(classifyFailure(cases[9]).message).toBe(
      'Unexpected RangeError: Invalid typed array length: -1',
    );
    expect(classifyFailure('a thrown string')).toEqual({
      kind: 'retryable',
      code: 'INTERNAL',
      message: 'Unexpected string: a thrown string',
    });
  });
});
