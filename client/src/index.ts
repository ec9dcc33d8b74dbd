/**
 * The typed TypeScript client of the VIBE API (docs/client.md). It needs only `fetch` (Node 20 or
 * a browser); `verifyWebhook` (for receivers) uses node:crypto.
 */
export {
  AdminApi,
  type ApiKey,
  type CreatedKey,
  type CreateKeyRequest,
  type KeyLimits,
} from './admin-api.ts';
export * from './api-types.ts';
export { BatchApi } from './batch-api.ts';
export * from './batch-types.ts';
export type { CreateOptions } from './create-call.ts';
export type { RetryPolicy, TransportOptions } from './http-transport.ts';
export {
  type ApiErrorBody,
  parseRetryAfter,
  VibeApiError,
  VibeJobError,
  VibeNetworkError,
  VibeTimeoutError,
} from './vibe-api-error.ts';
export {
  type DownloadedImage,
  type EditImageResult,
  type SubmitOptions,
  VibeClient,
  type VibeClientOptions,
  type WaitForEditOptions,
} from './vibe-client.ts';
export type { WaitOptions } from './wait-for.ts';
export * from './webhooks.ts';
