import { describe, expect, it } from 'vitest';
import { call, jsonRequest, useTempRoot } from '../../helpers/api-harness.ts';
import { as, createKeyedHarness } from './keyed-harness.ts';

const tempDir = useTempRoot('admin');

describe('key administration routes', () => {
  it('answers 403 ACCESS_DENIED to a key that is not an admin key, naming the key', async () => {
    const h = createKeyedHarness(tempDir());
    const { id, token } = await h.newKey({ name: 'ci' });

    const res = await call(h.app, as(token, jsonRequest('GET', '/v1/admin/keys')));

    expect(res.status).toBe(403);
    expect(res.json.error).toMatchObject({
      code: 'ACCESS_DENIED',
      details: { keyId: id, required: 'admin' },
    });
    expect(res.json.error.message).toContain('is not an admin key');
  });

  it('lets an admin create a key whose token works, list keys without hashes, and revoke it', async () => {
    const h = createKeyedHarness(tempDir());
    const admin = await h.newKey({ name: 'root', admin: true });
    h.clock.advance(1000);

    const created = await call(
      h.app,
      as(
        admin.token,
        jsonRequest('POST', '/v1/admin/keys', { name: 'ci', ratePerSecond: 2, concurrency: null }),
      ),
    );
    const { token, key } = created.json;
    const works = await call(h.app, as(token, jsonRequest('GET', '/v1/edits/job_1')));
    const listed = await call(h.app, as(admin.token, jsonRequest('GET', '/v1/admin/keys')));
    const revoked = await call(
      h.app,
      as(admin.token, jsonRequest('POST', `/v1/admin/keys/${key.id}/revoke`)),
    );
    const refused = await call(h.app, as(token, jsonRequest('GET', '/v1/edits/job_1')));

    expect(created.status).toBe(201);
    expect(key).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
      name: 'ci',
      createdAt: '2026-11-27T12:00:01.000Z',
      revokedAt: null,
      limits: { ratePerSecond: 2, burst: 10, concurrency: null, jobsPerDay: 1000 },
      admin: false,
      plan: null,
    });
    expect(token).toMatch(new RegExp(`^vibe_${key.id}_`));
    expect(works.status).toBe(404);
    expect(listed.json.keys.map((k: { name: string }) => k.name)).toEqual(['root', 'ci']);
    expect(JSON.stringify(listed.json)).not.toContain('secretHash');
    expect(revoked.json.key.revokedAt).toBe('2026-11-27T12:00:01.000Z');
    expect(refused.json.error.details.reason).toBe('revoked');
  });

  it('answers 400 for invalid limits and 404 for revoking an unknown key', async () => {
    const h = createKeyedHarness(tempDir());
    const admin = await h.newKey({ admin: true });

    const bad = await call(
      h.app,
      as(admin.token, jsonRequest('POST', '/v1/admin/keys', { name: 'x', burst: 0, rate: 1 })),
    );
    const missing = await call(
      h.app,
      as(admin.token, jsonRequest('POST', '/v1/admin/keys/0123456789abcdef/revoke')),
    );

    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('INVALID_ARGUMENT');
    expect(bad.json.error.message).toContain('burst');
    expect(missing.status).toBe(404);
  });

  it('answers 403 on admin routes when keys are disabled', async () => {
    const { createHarness } = await import('../../helpers/api-harness.ts');
    const h = createHarness(tempDir());

    const res = await call(h.app, jsonRequest('GET', '/v1/admin/keys'));

    expect(res.status).toBe(403);
    expect(res.json.error.details).toEqual({ auth: 'disabled' });
  });
});
