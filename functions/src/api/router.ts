import { NotFoundError, RequestError } from '#core/errors.ts';

/** A route's path: literal segments and `:name` parameters, e.g. `/v1/edits/:id/cancel`. */
export interface Route<H> {
  readonly method: string;
  readonly path: string;
  readonly handler: H;
}

export interface RouteMatch<H> {
  readonly handler: H;
  /** Decoded path parameters. */
  readonly params: Readonly<Record<string, string>>;
}

/**
 * A small exact-match router: no trailing-slash folding, no wildcards. A path that matches a route
 * under another method is a 405 with the allowed methods, a path that matches nothing a 404.
 */
export function createRouter<H>(
  routes: readonly Route<H>[],
): (method: string, path: string) => RouteMatch<H> {
  const compiled = routes.map((route) => ({ ...route, segments: route.path.split('/') }));
  return (method, path) => {
    const segments = path.split('/');
    const allowed: string[] = [];
    for (const route of compiled) {
      const params = matchSegments(route.segments, segments);
      if (params === undefined) continue;
      if (route.method === method.toUpperCase()) return { handler: route.handler, params };
      allowed.push(route.method);
    }
    if (allowed.length > 0) {
      throw new RequestError(
        'METHOD_NOT_ALLOWED',
        `Expected ${allowed.join(' or ')} for ${path} but received ${method}`,
        { details: { method, allow: allowed } },
      );
    }
    throw new NotFoundError(
      `Expected a path of this API (see docs/api.md) but received ${JSON.stringify(path.slice(0, 200))}`,
      { details: { path: path.slice(0, 200) } },
    );
  };
}

function matchSegments(
  pattern: readonly string[],
  actual: readonly string[],
): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of pattern.entries()) {
    const given = actual[index] ?? '';
    if (part.startsWith(':')) {
      const value = safeDecode(given);
      if (value === undefined || value.length === 0) return undefined;
      params[part.slice(1)] = value;
    } else if (part !== given) {
      return undefined;
    }
  }
  return params;
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch (error) {
    // Bad percent-encoding cannot name any resource: treat the segment as not matching.
    if (error instanceof URIError) return undefined;
    throw error;
  }
}
