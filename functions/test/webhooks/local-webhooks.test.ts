import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QueueEventQueue } from '#core/events/queue-event-queue.ts';
import { jobEventFor, parseJobEvent } from '#core/jobs/job-event.ts';
import { FsJobQueue } from '#core/local/fs-job-queue.ts';
import { jobRecordFactory } from '#core/testing/job-factory.ts';
import { verifyWebhook } from '#core/webhooks/verify-webhook.ts';
import { generateWebhookSecret } from '#core/webhooks/webhook-secret.ts';
import { localWebhooks } from '#functions/webhooks/local-webhooks.ts';
import { useTempRoot } from '../helpers/api-harness.ts';
import { startReceiver, type TestReceiver } from './webhook-receiver.ts';

const newDir = useTempRoot('local-webhooks');
const receivers: TestReceiver[] = [];

afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

function folders(dir: string) {
  return {
    bucketDir: join(dir, 'bucket'),
    eventsDir: join(dir, 'queues', 'events'),
    eventsDeadLetterDir: join(dir, 'queues', 'events-dlq'),
  };
}

describe('localWebhooks', () => {
  it('delivers what the worker publishes on the local events folder, signed with the configured secret', async () => {
    const hook = await startReceiver([200]);
    receivers.push(hook);
    const dir = newDir();
    const secret = generateWebhookSecret();
    const webhooks = localWebhooks({
      ...folders(dir),
      secret,
      policy: { allowOrigins: [hook.origin] },
    });
    const publisher = new QueueEventQueue(
      new FsJobQueue({ dir: folders(dir).eventsDir, parse: parseJobEvent }),
    );
    const job = {
      ...jobRecordFactory({
        status: 'failed',
        webhook: { url: `${hook.origin}/in`, events: ['edit.failed'] },
      }),
      version: 3,
    };

    const deliverer = webhooks.start();
    await publisher.publish(jobEventFor(job, new Date()));
    for (let i = 0; i < 150 && hook.received.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await deliverer.close();

    expect(hook.received).toHaveLength(1);
    expect(
      verifyWebhook(hook.received[0]?.body ?? '', hook.received[0]?.headers ?? {}, secret).payload,
    ).toMatchObject({
      type: 'edit.failed',
      data: { id: job.id },
    });
    expect(
      (await webhooks.deliveries.read({ kind: 'edit', id: job.id }))?.deliveries[0]?.status,
    ).toBe('succeeded');
  });

  it('refuses to start without a secret, saying how to make one', () => {
    const webhooks = localWebhooks({ ...folders(newDir()), secret: undefined });

    expect(() => webhooks.start()).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('VIBE_WEBHOOK_SECRET'),
      }),
    );
  });
});
