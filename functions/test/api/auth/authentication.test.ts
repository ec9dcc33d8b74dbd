import { describe, expect, it } from 'vitest';
import { generateApiKey } from '#core/keys/api-key.ts';
import { call, jsonRequest, useTempRoot } from '../../helpers/api-harness.ts';
import { as, bearer, createKeyedHarness } from './keyed-harness.ts';

const tempDir = useTempRoot('auth');

describe('API keys: 401 says what is wrong', () => {
  it('answers 401 reason "missing" without an Authorization header, with WWW-Authenticate', async () => {
    const h = createKeyedHarness(tempDir());

    const res = await call(h.app, jsonRequest('GET', '/v1/edits/job_1'));

    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="vibe"');
    expect(res.json.error).toMatchObject({
      code: 'UNAUTHENTICATED',
      details: { reason: 'missing' },
    });
    expect(res.json.error.message).toContain('Authorization: Bearer vibe_');
  });

  it('answers 401 reason "malformed" for another scheme, no token, or a token of the wrong form', async () => {
    const h = createKeyedHarness(tempDir());
    const { token } = await h.newKey();

    const answers = await Promise.all(
      [`Basic ${Buffer.from('a:b').toString('base64')}`, 'Bearer', `Bearer ${token}x`, token].map(
        (authorization) =>
          call(h.app, jsonRequest('GET', '/v1/edits/job_1', undefined, { authorization })),
      ),
    );

    for (const res of answers) {
      expect(res.status).toBe(401);
      expect(res.json.error.details).toEqual({ reason: 'malformed' });
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
      // The secret is never echoed.
      expect(JSON.stringify(res.json)).not.toContain(token.slice(22));
    }
    expect(answers[0]?.json.error.message).toContain('uses the scheme "Basic"');
  });

  it('answers 401 reason "unknown" for a key never issued and for a wrong secret of a real id', async () => {
    const h = createKeyedHarness(tempDir());
    const { id, token } = await h.newKey();
    const stranger = generateApiKey().token;
    const wrongSecret = `vibe_${id}_${generateApiKey().token.slice(22)}`;

    const unknown = await call(h.app, as(stranger, jsonRequest('GET', '/v1/edits/job_1')));
    const wrong = await call(h.app, as(wrongSecret, jsonRequest('GET', '/v1/edits/job_1')));
    const right = await call(h.app, as(token, jsonRequest('GET', '/v1/edits/job_1')));

    expect(unknown.status).toBe(401);
    expect(unknown.json.error.details.reason).toBe('unknown');
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.details).toEqual({ reason: 'unknown', keyId: id });
    expect(right.status).toBe(404);
  });

  it('answers 401 reason "revoked" once a key is revoked', async () => {
    const h = createKeyedHarness(tempDir());
    const { id, token } = await h.newKey({ name: 'ci' });
    const before = await call(h.app, as(token, jsonRequest('GET', '/v1/edits/job_1')));

    await h.keyStore.revoke(id, new Date(h.clock.now()));
    const after = await call(h.app, as(token, jsonRequest('GET', '/v1/edits/job_1')));

    expect(before.status).toBe(404);
    expect(after.status).toBe(401);
    expect(after.json.error).toMatchObject({
      code: 'UNAUTHENTICATED',
      details: { reason: 'revoked', keyId: id },
    });
    expect(after.json.error.message).toContain('was revoked at 2026-11-27T12:00:00.000Z');
  });

  it('trusts a cached key for keyCacheSeconds: a revocation takes effect when the cache ends', async () => {
    const h = createKeyedHarness(tempDir(), { config: { access: { keyCacheSeconds: 5 } } });
    const { id, token } = await h.newKey();
    const get = () => call(h.app, as(token, jsonRequest('GET', '/v1/edits/job_1')));
    await get();

    await h.keyStore.revoke(id, new Date(h.clock.now()));
    const cached = await get();
    h.clock.advance(5000);
    const fresh = await get();

    expect(cached.status).toBe(404);
    expect(fresh.status).toBe(401);
  });

  it('serves the public routes without a key', async () => {
    const h = createKeyedHarness(tempDir());

    const res = await call(h.app, jsonRequest('GET', '/healthz'));

    expect(res.status).toBe(200);
  });

  it('checks the key before the route body: an oversized body without a key is a 401', async () => {
    const h = createKeyedHarness(tempDir());
    const request = { ...jsonRequest('POST', '/v1/edits', { x: 1 }), bodyExceeded: true };

    const anonymous = await call(h.app, request);
    const { token } = await h.newKey();
    const keyed = await call(h.app, {
      ...request,
      headers: { ...request.headers, ...bearer(token) },
    });

    expect(anonymous.status).toBe(401);
    expect(keyed.status).toBe(413);
  });

  it('refuses to start with auth required and no key store', async () => {
    const { createApiApp } = await import('#functions/api/create-api-app.ts');
    const h = createKeyedHarness(tempDir());

    expect(() =>
      createApiApp({
        blobs: h.blobs,
        jobs: h.jobs,
        queues: h.queues,
        config: { access: { auth: 'required' } },
      }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
