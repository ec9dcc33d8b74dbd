import { isTerminalStatus } from '#core/jobs/job-status.ts';
import { getEdit } from '../../use-cases/get-edit.ts';
import type { ApiContext } from '../api-context.ts';
import type { ApiResponse } from '../api-types.ts';
import { jsonResponse } from '../json-response.ts';
import { type PreferredWait, preferenceApplied } from './prefer-wait.ts';
import { waitForJob } from './wait-for-job.ts';

/**
 * `GET /v1/edits/{id}` with `Prefer: wait=N`: 200 with the job once it is finished, or as it stands
 * after N seconds. `Preference-Applied: wait=<seconds waited at most>`.
 */
export async function getEditWaiting(
  ctx: ApiContext,
  id: string,
  owner: string,
  wait: PreferredWait,
): Promise<ApiResponse> {
  const record = await waitForJob(ctx, id, owner, wait.seconds);
  return jsonResponse(200, await getEdit(ctx, id, owner, record), preferenceApplied(wait));
}

/**
 * `POST /v1/edits` with `Prefer: wait=N`, after the job was accepted (or its Idempotency-Key
 * replayed): waits like a GET and answers the full job: 200 when it is finished, 202 while it is
 * still queued or running, with the `Location` of the creation answer. An error answer (nothing
 * created) is returned as it is.
 */
export async function answerAfterWait(
  ctx: ApiContext,
  created: ApiResponse,
  owner: string,
  wait: PreferredWait,
): Promise<ApiResponse> {
  if (created.status !== 202) return created;
  const { id } = JSON.parse(created.body) as { id: string };
  const record = await waitForJob(ctx, id, owner, wait.seconds);
  const view = await getEdit(ctx, id, owner, record);
  return jsonResponse(isTerminalStatus(record.status) ? 200 : 202, view, {
    ...created.headers,
    ...preferenceApplied(wait),
  });
}
