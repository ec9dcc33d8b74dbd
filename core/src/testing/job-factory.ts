import { randomUUID } from 'node:crypto';
import type { JobMessage } from '../jobs/job-message.ts';
import type { NewJobRecord } from '../jobs/job-record.ts';
import { inputKey } from '../jobs/storage-keys.ts';

/** A fresh job id, unique per call. */
export function newJobId(): string {
  return `job_${randomUUID().replaceAll('-', '')}`;
}

/** A valid queued job record (without `version`) for tests; override any field. */
export function jobRecordFactory(overrides: Partial<NewJobRecord> = {}): NewJobRecord {
  const id = overrides.id ?? newJobId();
  return {
    id,
    owner: 'key_test',
    lane: 'interactive',
    instruction: 'make it winter',
    parameters: {
      steps: 20,
      guidanceScale: 4.5,
      imageGuidanceScale: 1.2,
      seed: 42,
      sizeMode: 'aligned',
      output: { format: 'png' },
    },
    input: {
      key: inputKey(id),
      width: 1024,
      height: 768,
      format: 'jpeg',
      sha256: 'a'.repeat(64),
    },
    output: null,
    timestamps: { createdAt: '2026-11-27T12:00:00.000Z', startedAt: null, completedAt: null },
    attempts: 0,
    progress: null,
    metrics: null,
    error: null,
    model: null,
    webhook: null,
    idempotencyKey: null,
    batchId: null,
    deadline: null,
    status: 'queued',
    ...overrides,
  };
}

/** A valid job message for tests. */
export function jobMessageFactory(overrides: Partial<JobMessage> = {}): JobMessage {
  return { v: 1, jobId: newJobId(), lane: 'interactive', traceId: randomUUID(), ...overrides };
}
