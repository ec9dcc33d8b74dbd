import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type JobMessage, parseJobMessage } from '#core/jobs/job-message.ts';
import { FsJobQueue } from '#core/local/fs-job-queue.ts';
import { jobMessageFactory } from '#core/testing/job-factory.ts';
import { describeJobQueueContract } from '#core/testing/job-queue-contract.ts';
import { fakeClock, useTempRoot } from '../helpers/temp-dir.ts';

const newDir = useTempRoot('queue');
const receiveNow = { maxMessages: 10, waitSeconds: 0, leaseSeconds: 1 } as const;

function queuePair(clock: { now: () => number }, dir = newDir()) {
  const dlqDir = `${dir}-dlq`;
  const queue = new FsJobQueue<JobMessage>({
    dir,
    parse: parseJobMessage,
    deadLetter: { dir: dlqDir, maxReceiveCount: 2 },
    now: clock.now,
    pollIntervalMs: 50,
  });
  const deadLetter = new FsJobQueue<JobMessage>({
    dir: dlqDir,
    parse: parseJobMessage,
    now: clock.now,
  });
  return { dir, queue, deadLetter };
}

describeJobQueueContract('FsJobQueue (fake clock)', async () => {
  const clock = fakeClock();
  const { queue, deadLetter } = queuePair(clock);
  return { queue, deadLetter, maxReceiveCount: 2, advance: clock.advance };
});

describe('FsJobQueue', () => {
  it('keeps its messages across a restart (a new instance on the same folder)', async () => {
    const clock = fakeClock();
    const { dir, queue } = queuePair(clock);
    const messages = [jobMessageFactory(), jobMessageFactory()];
    for (const message of messages) await queue.send(message);

    const restarted = queuePair(clock, dir).queue;
    const leases = await restarted.receive(receiveNow);

    expect(leases.map((lease) => lease.message)).toEqual(messages);
    expect(await restarted.depth()).toEqual({ visible: 0, hidden: 2 });
  });

  it('redelivers a message leased by an instance that went away once its lease runs out', async () => {
    const clock = fakeClock();
    const { dir, queue: dead } = queuePair(clock);
    const message = jobMessageFactory();
    await dead.send(message);
    const [orphan] = await dead.receive({ ...receiveNow, leaseSeconds: 30 });

    const survivor = queuePair(clock, dir).queue;
    const beforeExpiry = await survivor.receive(receiveNow);
    await clock.advance(30_001);
    const [adopted] = await survivor.receive(receiveNow);

    expect(beforeExpiry).toEqual([]);
    expect(adopted?.message).toEqual(message);
    expect(adopted?.messageId).toBe(orphan?.messageId);
    expect(adopted?.attempt).toBe(2);
    await expect(orphan?.extend(30)).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('runs leases on the real clock by default', async () => {
    const queue = new FsJobQueue<JobMessage>({ dir: newDir(), parse: parseJobMessage });
    await queue.send(jobMessageFactory());
    await queue.receive(receiveNow);

    const hidden = await queue.receive(receiveNow);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const [again] = await queue.receive(receiveNow);

    expect(hidden).toEqual([]);
    expect(again?.attempt).toBe(2);
  });

  it('hands a message to exactly one of many competing receivers', async () => {
    const dir = newDir();
    const instances = Array.from(
      { length: 4 },
      () => new FsJobQueue<JobMessage>({ dir, parse: parseJobMessage }),
    );
    const [sender] = instances;
    for (let i = 0; i < 10; i += 1) await sender?.send(jobMessageFactory());

    const batches = await Promise.all(
      instances.map((queue) =>
        queue.receive({ maxMessages: 10, waitSeconds: 0, leaseSeconds: 30 }),
      ),
    );

    const ids = batches.flat().map((lease) => lease.messageId);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
  });

  it('wakes a long poll of another instance in the same process on send', async () => {
    const dir = newDir();
    const receiver = new FsJobQueue<JobMessage>({
      dir,
      parse: parseJobMessage,
      pollIntervalMs: 5_000,
    });
    const sender = new FsJobQueue<JobMessage>({ dir, parse: parseJobMessage });
    const started = Date.now();

    const polling = receiver.receive({ maxMessages: 1, waitSeconds: 10, leaseSeconds: 30 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await sender.send(jobMessageFactory());

    expect(await polling).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('finds a message written by another process within the poll interval', async () => {
    const clock = fakeClock();
    const { dir, queue } = queuePair(clock);
    const message = jobMessageFactory();
    const name = `${String(clock.now()).padStart(15, '0')}.0.ready.00000000-0000-4000-8000-000000000001.json`;

    const polling = queue.receive({ maxMessages: 1, waitSeconds: 5, leaseSeconds: 30 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Written behind the queue's back, as another process would, with no in-process wake-up.
    await writeFile(join(dir, name), JSON.stringify({ messageId: 'x', sentAt: '', body: message }));

    expect((await polling).map((lease) => lease.message)).toEqual([message]);
  });

  it('leaves a message that no longer parses to the dead-letter queue and reports it', async () => {
    const clock = fakeClock();
    const { dir, queue, deadLetter } = queuePair(clock);
    const reported: string[] = [];
    const strict = new FsJobQueue<JobMessage>({
      dir,
      parse: parseJobMessage,
      deadLetter: { dir: `${dir}-dlq`, maxReceiveCount: 2 },
      now: clock.now,
      onInvalidMessage: (_error, messageId) => reported.push(messageId),
    });
    await queue.send(jobMessageFactory());
    const [file] = (await readdir(dir)).filter((name) => name.endsWith('.json'));
    await writeFile(
      join(dir, file ?? ''),
      JSON.stringify({ messageId: 'x', sentAt: '', body: { v: 9 } }),
    );

    for (let i = 0; i < 3; i += 1) {
      expect(await strict.receive(receiveNow)).toEqual([]);
      await clock.advance(1_500);
    }

    expect(reported).toHaveLength(2);
    expect(await deadLetter.depth()).toEqual({ visible: 1, hidden: 0 });
  });
});
