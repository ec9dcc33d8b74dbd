import type { ApiConfig } from '../api/api-config.ts';
import type { ApiResponse } from '../api/api-types.ts';
import { buildOpenApiDocument } from './openapi-document.ts';

const documents = new WeakMap<ApiConfig, string>();

/**
 * `GET /openapi.json`: the document for this app's configuration (its limits), built once. Public,
 * and cacheable for a few minutes (it changes only with a deployment).
 */
export function openApiResponse(config: ApiConfig): ApiResponse {
  let body = documents.get(config);
  if (body === undefined) {
    body = JSON.stringify(buildOpenApiDocument(config));
    documents.set(config, body);
  }
  return {
    status: 200,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'public, max-age=300',
      'access-control-allow-origin': '*',
    },
    body,
  };
}
