import type { JobRecord } from '#core/jobs/job-record.ts';
import { isTerminalStatus } from '#core/jobs/job-status.ts';
import { readJob } from '../../use-cases/get-edit.ts';
import type { ApiContext } from '../api-context.ts';

const FIRST_POLL_MS = 100;
const MAX_POLL_MS = 1000;

/** The wall clock of the wait itself (the app's clock may be a fake that never moves). */
const monotonic = () => performance.now();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls the job store until the job of `owner` is finished or `seconds` have passed, then resolves
 * with the record as it stands. Reads only, no lock held: polls start at 100 ms and back off by
 * 1.5× to 1 s, so a 25 s wait costs about 30 reads and a job that finishes is seen within a second.
 * @throws NotFoundError (404) for a job the owner cannot see.
 */
export async function waitForJob(
  ctx: ApiContext,
  id: string,
  owner: string,
  seconds: number,
): Promise<JobRecord> {
  const end = monotonic() + seconds * 1000;
  let delay = FIRST_POLL_MS;
  for (;;) {
    const record = await readJob(ctx, id, owner);
    const remaining = end - monotonic();
    if (isTerminalStatus(record.status) || remaining <= 0) return record;
    await sleep(Math.min(delay, remaining));
    delay = Math.min(delay * 1.5, MAX_POLL_MS);
  }
}
