import { describe, expect, it } from 'vitest';
import { jobEventFor } from '#core/jobs/job-event.ts';
import type { JobRecord } from '#core/jobs/job-record.ts';
import { jobRecordFactory } from '#core/testing/job-factory.ts';
import { batchEventFor, createBatchEventPublisher } from '#core/webhooks/batch-event.ts';
import { jobProgressEvent, ProgressEventGate } from '#core/webhooks/progress-events.ts';
import { parseServiceEvent, subjectOf, targetOf } from '#core/webhooks/service-event.ts';
import { webhookPayloadFor } from '#core/webhooks/webhook-payload.ts';

const AT = new Date('2026-11-27T12:00:05.000Z');

function running(events: JobRecord['webhook']): JobRecord {
  return {
    ...jobRecordFactory({
      id: 'job_7',
      status: 'running',
      progress: { step: 3, steps: 20 },
      webhook: events,
    }),
    version: 6,
  };
}

describe('edit.progress events', () => {
  it('carry the progress and the id of the version the progress write made', () => {
    const event = jobProgressEvent(
      running({ url: 'https://h.example/', events: ['edit.progress'] }),
      AT,
    );

    expect(event).toMatchObject({
      id: 'evt_job_7_6',
      type: 'edit.progress',
      job: { status: 'running', progress: { step: 3, steps: 20 } },
    });
    expect(parseServiceEvent(JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it('go out at most once per interval per job, and only when subscribed', () => {
    const gate = new ProgressEventGate(2_000);
    const subscribed = running({
      url: 'https://h.example/',
      events: ['edit.progress', 'edit.succeeded'],
    });

    const taken = [0, 500, 1_999, 2_000, 3_000, 4_100].map((t) => gate.take(subscribed, t));

    expect(taken).toEqual([true, false, false, true, false, true]);
    const quiet = new ProgressEventGate(2_000);
    expect(quiet.take(running({ url: 'https://h.example/', events: ['edit.succeeded'] }), 0)).toBe(
      false,
    );
    expect(quiet.take(running(null), 0)).toBe(false);
  });
});

describe('batch events', () => {
  it('are built, validated and told apart from job events', () => {
    const event = batchEventFor({
      batchId: 'bat_1',
      owner: 'key_1',
      webhook: { url: 'https://h.example/b', events: ['batch.completed'] },
      type: 'batch.completed',
      sequence: 9,
      occurredAt: AT,
      data: { counts: { succeeded: 3, failed: 1 } },
    });

    expect(event.id).toBe('evt_bat_1_9');
    expect(parseServiceEvent(JSON.parse(JSON.stringify(event)))).toEqual(event);
    expect(subjectOf(event)).toEqual({ kind: 'batch', id: 'bat_1' });
    expect(targetOf(event)).toEqual({ url: 'https://h.example/b', events: ['batch.completed'] });
    expect(webhookPayloadFor(event)).toEqual({
      type: 'batch.completed',
      timestamp: AT.toISOString(),
      data: { id: 'bat_1', counts: { succeeded: 3, failed: 1 } },
    });
  });

  it('refuses a bad type and data over 16 kB, and publishes through any queue sender', async () => {
    const input = {
      batchId: 'bat_1',
      owner: 'key_1',
      webhook: null,
      type: 'batch.completed',
      sequence: 1,
      occurredAt: AT,
      data: {},
    };
    expect(() => batchEventFor({ ...input, type: 'Batch.Done' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => batchEventFor({ ...input, data: { blob: 'x'.repeat(16_000) } })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    const sent: unknown[] = [];
    await createBatchEventPublisher({ send: async (message) => void sent.push(message) }).publish(
      batchEventFor(input),
    );
    expect(sent).toHaveLength(1);
  });
});

describe('webhookPayloadFor an edit', () => {
  it('links the output and the job instead of embedding them', () => {
    const job: JobRecord = {
      ...jobRecordFactory({
        id: 'job_8',
        status: 'succeeded',
        output: { key: 'outputs/job_8.png', width: 64, height: 48, format: 'png' },
        webhook: { url: 'https://h.example/', events: ['edit.succeeded'] },
      }),
      version: 4,
    };
    const payload = webhookPayloadFor(jobEventFor(job, AT), {
      url: 'https://bucket.example/outputs/job_8.png?sig=1',
      method: 'GET',
      headers: {},
      expiresAt: new Date('2026-11-27T13:00:05.000Z'),
    });

    expect(payload).toMatchObject({
      type: 'edit.succeeded',
      timestamp: AT.toISOString(),
      data: {
        id: 'job_8',
        status: 'succeeded',
        output: {
          url: 'https://bucket.example/outputs/job_8.png?sig=1',
          width: 64,
          height: 48,
          format: 'png',
        },
        links: { self: '/v1/edits/job_8', webhookDeliveries: '/v1/edits/job_8/webhook-deliveries' },
      },
    });
    expect(JSON.stringify(payload)).not.toContain('key_test');
    expect(Buffer.byteLength(JSON.stringify(payload))).toBeLessThan(20_000);
  });
});
