import type { ItemSeed } from '#core/batches/batch-layout.ts';
import { describeValue, isAppError, ValidationError } from '#core/errors.ts';
import type { OutboundUrlPolicy } from '#core/net/outbound-url.ts';
import { resolveWebhookSubscription } from '#core/webhooks/webhook-subscription.ts';
import type { ApiLimits } from '../api-config.ts';
import type { ApiRequest } from '../api-types.ts';
import { type EditSubmission, parseEditRequest } from '../parse-edit-request.ts';

/** One entry of a batch before it is checked: a JSON value, or a line already refused. */
export type RawItem =
  | { readonly line: number; readonly value: unknown }
  | { readonly line: number; readonly error: { readonly code: string; readonly message: string } };

/**
 * A JSON edit request as the edits route would receive it, so that items go through exactly the
 * validation of `POST /v1/edits` (parseEditRequest): one source of rules and messages.
 */
export function itemRequest(request: Readonly<Record<string, unknown>>): ApiRequest {
  return {
    method: 'POST',
    path: '/v1/edits',
    headers: { 'content-type': 'application/json' },
    query: {},
    body: new TextEncoder().encode(JSON.stringify(request)),
  };
}

/** Parses a stored item request again (the fan-out step) into a submission for the batch lane. */
export async function itemSubmission(
  request: Readonly<Record<string, unknown>>,
  limits: ApiLimits,
): Promise<EditSubmission> {
  return { ...(await parseEditRequest(itemRequest(request), limits)), lane: 'batch' };
}

/**
 * Checks each item on its own: a JSON object, no `lane` other than "batch", and then everything
 * the edits route checks (its own `webhook` URL included), with `defaults` under the item's own fields (`output` is replaced as a
 * whole). A refused item becomes a line error with the code and message the edits route would
 * answer; nothing is fetched or stored here.
 * @throws only what is not a refusal of the item (a bug), never for bad input.
 */
export async function checkItems(
  items: readonly RawItem[],
  defaults: Readonly<Record<string, unknown>>,
  limits: ApiLimits,
  outbound: OutboundUrlPolicy = {},
): Promise<ItemSeed[]> {
  const seeds: ItemSeed[] = [];
  for (const item of items) {
    seeds.push(
      'error' in item ? item : await checkItem(item.line, item.value, defaults, limits, outbound),
    );
  }
  return seeds;
}

async function checkItem(
  line: number,
  value: unknown,
  defaults: Readonly<Record<string, unknown>>,
  limits: ApiLimits,
  outbound: OutboundUrlPolicy,
): Promise<ItemSeed> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return refused(
      line,
      `Expected item ${line} to be a JSON object (one edit) but received ${describeValue(value)}`,
    );
  }
  const fields = value as Record<string, unknown>;
  if ('lane' in fields && fields.lane !== 'batch') {
    return refused(
      line,
      `Expected no "lane" in item ${line} (batch items run on the batch lane) but received ${describeValue(fields.lane)}`,
    );
  }
  const { lane: _lane, ...own } = fields;
  const request = { ...defaults, ...own };
  try {
    const submission = await parseEditRequest(itemRequest(request), limits);
    // An item's own webhook URL is checked now, as the edits route checks it before any fetch.
    if (submission.webhook !== undefined) resolveWebhookSubscription(submission.webhook, outbound);
  } catch (error) {
    if (isAppError(error) && !error.retryable) {
      return { line, error: { code: error.code, message: error.message } };
    }
    throw error;
  }
  return { line, request };
}

function refused(line: number, message: string): ItemSeed {
  return { line, error: { code: 'INVALID_ARGUMENT', message } };
}

/**
 * Checks `defaults` once, as the fields of a probe item with a placeholder image, so that a bad
 * default is one 400 naming `defaults` instead of the same error on every line.
 * @throws ValidationError `INVALID_ARGUMENT` (or the code the edits route gives) for a bad default.
 */
export async function checkDefaults(
  defaults: Readonly<Record<string, unknown>>,
  limits: ApiLimits,
): Promise<void> {
  const probe = {
    instruction: 'probe',
    ...defaults,
    image: { uploadId: 'upl_0_000000000000000000000000' },
  };
  try {
    await parseEditRequest(itemRequest(probe), limits);
  } catch (error) {
    if (!isAppError(error) || error.retryable) throw error;
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "defaults" to hold valid edit fields but: ${error.message}`,
      { cause: error, details: { field: 'defaults', code: error.code, ...error.details } },
    );
  }
}
