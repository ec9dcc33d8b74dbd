import { describe, expect, it } from 'vitest';
import {
  assertTransition,
  canTransition,
  isTerminalStatus,
  JOB_STATUSES,
  type JobStatus,
} from '#core/jobs/job-status.ts';

/** DESIGN §5, written out edge by edge. */
const ALLOWED: readonly (readonly [JobStatus, JobStatus])[] = [
  ['queued', 'queued'],
  ['queued', 'running'],
  ['queued', 'canceled'],
  ['queued', 'expired'],
  ['running', 'running'],
  ['running', 'succeeded'],
  ['running', 'failed'],
  ['running', 'canceled'],
  ['running', 'queued'],
];

describe('job status machine', () => {
  it('allows exactly the edges of DESIGN §5 among all 36 pairs', () => {
    const allowed: string[] = [];
    for (const from of JOB_STATUSES) {
      for (const to of JOB_STATUSES) if (canTransition(from, to)) allowed.push(`${from}->${to}`);
    }

    expect(allowed.sort()).toEqual(ALLOWED.map(([from, to]) => `${from}->${to}`).sort());
  });

  it('marks succeeded, failed, canceled and expired as terminal', () => {
    expect(JOB_STATUSES.filter(isTerminalStatus)).toEqual([
      'succeeded',
      'failed',
      'canceled',
      'expired',
    ]);
  });

  it('throws a ConflictError that names the current state and what is allowed', () => {
    expect(() => assertTransition('succeeded', 'running', 'job_1')).toThrow(
      expect.objectContaining({
        code: 'CONFLICT',
        message: expect.stringContaining('"succeeded" is terminal'),
        details: expect.objectContaining({
          currentStatus: 'succeeded',
          requestedStatus: 'running',
        }),
      }),
    );
    expect(() => assertTransition('queued', 'failed')).toThrow(
      /allowed: queued, running, canceled, expired/,
    );
    expect(() => assertTransition('running', 'succeeded')).not.toThrow();
  });
});
