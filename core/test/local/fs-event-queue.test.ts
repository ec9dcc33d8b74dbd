import { createFsEventQueue } from '#core/local/fs-event-queue.ts';
import { describeEventQueueContract } from '#core/testing/event-queue-contract.ts';
import { fakeClock, useTempRoot } from '../helpers/temp-dir.ts';

const newDir = useTempRoot('events');

describeEventQueueContract('FsJobQueue events (fake clock)', async () => {
  const clock = fakeClock();
  return { events: createFsEventQueue({ dir: newDir(), now: clock.now }), advance: clock.advance };
});
