import { NotFoundError } from '#core/errors.ts';
import type { ApiConfig } from '../api/api-config.ts';
import type { ApiResponse } from '../api/api-types.ts';
import { buildPlaygroundPage, type PlaygroundPage } from './playground-page.ts';

const pages = new WeakMap<ApiConfig, PlaygroundPage>();

/**
 * `GET /playground`: the page, when the configuration turns it on (local mode, or
 * VIBE_PLAYGROUND=on on AWS); otherwise the same 404 as any unknown path. Public: the page holds
 * no secret, and every call it makes carries the key the user pastes.
 * @throws NotFoundError when the playground is off.
 */
export function playgroundResponse(config: ApiConfig): ApiResponse {
  if (!config.playground) {
    throw new NotFoundError(
      'Expected a path of this API but the playground is off here; turn it on with VIBE_PLAYGROUND=on (it is on in local mode)',
      { details: { path: '/playground' } },
    );
  }
  let page = pages.get(config);
  if (page === undefined) {
    page = buildPlaygroundPage(config);
    pages.set(config, page);
  }
  return {
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': page.contentSecurityPolicy,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    },
    body: page.html,
  };
}
