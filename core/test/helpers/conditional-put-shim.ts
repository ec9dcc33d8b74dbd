import type { buildApp } from 'fauxqs';

type FauxqsApp = ReturnType<typeof buildApp>;

const PRECONDITION_FAILED = [
  '<?xml version="1.0" encoding="UTF-8"?>',
  '<Error><Code>PreconditionFailed</Code>',
  '<Message>At least one of the pre-conditions you specified did not hold</Message></Error>',
].join('');

/**
 * fauxqs 1.9.2 ignores If-Match and If-None-Match on PutObject. This test-only hook adds what S3
 * documents for them: 412 PreconditionFailed when `If-None-Match: *` meets an existing object or
 * `If-Match` names another ETag. Conditional PUTs of one key are serialized from the check until
 * the response is sent, so the check and the write are atomic, as in S3.
 */
export function addConditionalPutShim(app: FauxqsApp): void {
  const tails = new Map<string, Promise<void>>();
  const releases = new WeakMap<object, () => void>();

  app.addHook('preHandler', async (request, reply) => {
    const ifMatch = request.headers['if-match'];
    const ifNoneMatch = request.headers['if-none-match'];
    if (request.method !== 'PUT' || (ifMatch === undefined && ifNoneMatch === undefined)) return;
    if (request.headers['x-amz-copy-source'] !== undefined) return;
    const path = (request.url.split('?')[0] ?? '').replace(/^\/+/, '');

    const previous = tails.get(path) ?? Promise.resolve();
    let release: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => done);
    tails.set(path, tail);
    releases.set(request, () => {
      release();
      if (tails.get(path) === tail) tails.delete(path);
    });
    await previous;

    const head = await app.inject({ method: 'HEAD', url: `/${path}` });
    const etag = head.statusCode === 200 ? String(head.headers.etag) : undefined;
    const refused =
      (ifNoneMatch === '*' && etag !== undefined) || (ifMatch !== undefined && ifMatch !== etag);
    if (refused) {
      reply.code(412).header('content-type', 'application/xml');
      return reply.send(PRECONDITION_FAILED);
    }
  });

  app.addHook('onResponse', async (request) => {
    releases.get(request)?.();
  });
}
