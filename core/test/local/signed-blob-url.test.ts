import { describe, expect, it } from 'vitest';
import { signBlobUrl, verifySignedBlobUrl } from '#core/local/signed-blob-url.ts';

const secret = new TextEncoder().encode('0123456789abcdef0123456789abcdef');
const expiresAt = new Date('2026-11-27T12:10:00Z');
const now = Date.parse('2026-11-27T12:00:00Z');

describe('signed blob URLs', () => {
  it('round-trips the claims of a PUT URL under a base URL with a path', () => {
    const url = signBlobUrl('https://edit.example/api/', secret, {
      key: 'uploads/u_1',
      method: 'PUT',
      expiresAt,
      maxBytes: 2048,
      contentType: 'image/png',
    });

    expect(url).toMatch(
      /^https:\/\/edit\.example\/api\/local-blobs\/uploads\/u_1\?expires=1795781400&max=2048&ct=image%2Fpng&sig=/,
    );
    expect(verifySignedBlobUrl(url, { method: 'put', secret, now })).toEqual({
      ok: true,
      key: 'uploads/u_1',
      method: 'PUT',
      expiresAt,
      maxBytes: 2048,
      contentType: 'image/png',
    });
  });

  it('accepts HEAD for a GET URL and a path-only URL, as a server sees it', () => {
    const url = new URL(
      signBlobUrl('http://127.0.0.1:8787', secret, {
        key: 'outputs/j.png',
        method: 'GET',
        expiresAt,
      }),
    );

    expect(
      verifySignedBlobUrl(url.pathname + url.search, { method: 'HEAD', secret, now }),
    ).toMatchObject({
      ok: true,
      key: 'outputs/j.png',
    });
  });

  it('refuses a changed key, a changed content type, another secret or an unknown method', () => {
    const url = signBlobUrl('http://127.0.0.1:8787', secret, {
      key: 'uploads/a',
      method: 'PUT',
      expiresAt,
      maxBytes: 10,
      contentType: 'image/png',
    });
    const otherKey = url.replace('uploads/a', 'uploads/b');
    const otherType = url.replace('image%2Fpng', 'text%2Fhtml');
    const otherSecret = new TextEncoder().encode('another-secret-of-32-bytes-......');

    for (const [candidate, options] of [
      [otherKey, { method: 'PUT', secret, now }],
      [otherType, { method: 'PUT', secret, now }],
      [url, { method: 'PUT', secret: otherSecret, now }],
      [url, { method: 'DELETE', secret, now }],
    ] as const) {
      expect(verifySignedBlobUrl(candidate, options)).toEqual({
        ok: false,
        reason: 'bad-signature',
      });
    }
  });

  it('refuses malformed URLs and accepts up to, not at, the expiry second', () => {
    const url = signBlobUrl('http://h', secret, { key: 'k', method: 'GET', expiresAt });

    expect(verifySignedBlobUrl('/other/k?expires=1&sig=x', { method: 'GET', secret })).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(
      verifySignedBlobUrl('/local-blobs/../k?expires=1&sig=x', { method: 'GET', secret }),
    ).toEqual({ ok: false, reason: 'malformed' });
    expect(
      verifySignedBlobUrl(url, { method: 'GET', secret, now: expiresAt.getTime() - 1 }).ok,
    ).toBe(true);
    expect(verifySignedBlobUrl(url, { method: 'GET', secret, now: expiresAt.getTime() })).toEqual({
      ok: false,
      reason: 'expired',
    });
  });
});
