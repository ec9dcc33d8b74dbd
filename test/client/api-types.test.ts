import { describe, expectTypeOf, it } from 'vitest';
import type {
  ApiKey,
  Batch,
  BatchAccepted,
  BatchCancelResult,
  CancelResult,
  CreatedKey,
  Edit,
  UploadTicket,
  WebhookDelivery,
} from '#client/index.ts';
import type { ApiKeyView } from '#core/keys/api-key.ts';
import type { CreatedKey as ServerCreatedKey } from '#functions/admin/keys-command.ts';
import type { BatchView, toAcceptedView } from '#functions/api/batches/batch-view.ts';
import type { CancelBatchResult } from '#functions/api/batches/cancel-batch.ts';
import type { DeliveryView } from '#functions/api/webhooks/webhook-deliveries.ts';
import type { CancelResult as ServerCancelResult } from '#functions/use-cases/cancel-edit.ts';
import type { UploadTicket as ServerUploadTicket } from '#functions/use-cases/create-upload.ts';
import type { EditView } from '#functions/use-cases/edit-view.ts';

/**
 * The client's types are written by hand (so that the client does not depend on the server's
 * code), and these checks keep them true: every answer the server builds must be assignable to
 * the client's type for it. A field the server adds or changes fails `npm run typecheck` here.
 */
describe('the client types', () => {
  it('accept every answer the server builds', () => {
    expectTypeOf<EditView>().toExtend<Edit>();
    expectTypeOf<ServerCancelResult>().toExtend<CancelResult>();
    expectTypeOf<ServerUploadTicket>().toExtend<UploadTicket>();
    expectTypeOf<ReturnType<typeof toAcceptedView>>().toExtend<BatchAccepted>();
    expectTypeOf<BatchView>().toExtend<Batch>();
    expectTypeOf<CancelBatchResult>().toExtend<BatchCancelResult>();
    expectTypeOf<DeliveryView>().toExtend<WebhookDelivery>();
    expectTypeOf<ApiKeyView>().toExtend<ApiKey>();
    expectTypeOf<ServerCreatedKey>().toExtend<CreatedKey>();
  });

  it('name every field the server sends (no field of an answer is missing from the client)', () => {
    expectTypeOf<keyof EditView>().toEqualTypeOf<keyof Edit>();
    expectTypeOf<keyof BatchView>().toEqualTypeOf<keyof Batch>();
    expectTypeOf<keyof DeliveryView>().toEqualTypeOf<keyof WebhookDelivery>();
  });
});
