import { describe, expect, it } from 'vitest';
import { jobEventFor, jobEventId, parseJobEvent } from '#core/jobs/job-event.ts';
import { parseJobMessage } from '#core/jobs/job-message.ts';
import { jobRecordSchema } from '#core/jobs/job-record.ts';
import { inputKey, jobRecordKey, outputKey, uploadKey } from '#core/jobs/storage-keys.ts';
import { jobRecordFactory } from '#core/testing/job-factory.ts';

describe('job record schema', () => {
  it('accepts the factory record and refuses unknown or out-of-range fields', () => {
    const job = { ...jobRecordFactory(), version: 1 };

    expect(jobRecordSchema.parse(job)).toEqual(job);
    expect(jobRecordSchema.safeParse({ ...job, extra: true }).success).toBe(false);
    expect(
      jobRecordSchema.safeParse({ ...job, parameters: { ...job.parameters, steps: 101 } }).success,
    ).toBe(false);
    expect(
      jobRecordSchema.safeParse({ ...job, input: { ...job.input, sha256: 'abc' } }).success,
    ).toBe(false);
    expect(jobRecordSchema.safeParse({ ...job, id: '../etc' }).success).toBe(false);
    expect(jobRecordSchema.safeParse({ ...job, version: 0 }).success).toBe(false);
  });

  it('accepts a finished record with output, metrics, model and webhook', () => {
    const job = {
      ...jobRecordFactory(),
      version: 4,
      status: 'succeeded',
      attempts: 1,
      output: { key: 'outputs/x.png', width: 1024, height: 768, format: 'png' },
      metrics: { queueMs: 12, inferenceMs: 1100, totalMs: 1200 },
      model: { name: 'vibe', version: '1.0', synthetic: true },
      webhook: { url: 'https://example.com/hook', events: ['edit.succeeded', 'edit.failed'] },
    };

    expect(jobRecordSchema.safeParse(job).success).toBe(true);
  });
});

describe('job message', () => {
  it('is version 1 with job id, lane and trace id only', () => {
    const message = { v: 1, jobId: 'job_1', lane: 'batch', traceId: 't-1' };

    expect(parseJobMessage(message)).toEqual(message);
    expect(() => parseJobMessage({ ...message, v: 2 })).toThrow();
    expect(() => parseJobMessage({ ...message, instruction: 'x' })).toThrow();
  });
});

describe('job events', () => {
  it('derive a stable id from job id and record version', () => {
    const job = { ...jobRecordFactory({ id: 'job_abc' }), version: 7, status: 'failed' as const };

    const first = jobEventFor(job, new Date('2026-11-27T12:00:00Z'));
    const again = jobEventFor(job, new Date('2026-11-27T12:05:00Z'));

    expect(first.id).toBe('evt_job_abc_7');
    expect(again.id).toBe(first.id);
    expect(jobEventId('job_abc', 8)).not.toBe(first.id);
    expect(first.type).toBe('edit.failed');
    expect(parseJobEvent(first)).toEqual(first);
  });
});

describe('storage keys', () => {
  it('are functions of the job id', () => {
    expect(inputKey('job_1')).toBe('inputs/job_1');
    expect(outputKey('job_1', 'png')).toBe('outputs/job_1.png');
    expect(outputKey('job_1', 'jpeg')).toBe('outputs/job_1.jpg');
    expect(outputKey('job_1', 'webp')).toBe('outputs/job_1.webp');
    expect(jobRecordKey('job_1')).toBe('jobs/job_1.json');
    expect(uploadKey('up_1')).toBe('uploads/up_1');
  });

  it('refuse ids that could leave their folder', () => {
    expect(() => inputKey('../x')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => jobRecordKey('a/b')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
