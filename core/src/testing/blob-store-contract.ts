import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { BlobStore } from '../ports.ts';

export interface BlobStoreContractSubject {
  readonly store: BlobStore;
}

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (body: Uint8Array) => new TextDecoder().decode(body);

/**
 * The BlobStore contract. `factory` may return the same store for every test: keys are unique per
 * test. Signed URLs are fetched over HTTP, so the store's URLs must be served (S3 emulator, or the
 * local blob route for FsBlobStore).
 */
export function describeBlobStoreContract(
  name: string,
  factory: () => Promise<BlobStoreContractSubject>,
): void {
  describe(`BlobStore contract: ${name}`, () => {
    const uniqueKey = (leaf: string) => `contract/${randomUUID()}/${leaf}`;

    it('returns the bytes and content type that were put', async () => {
      const { store } = await factory();
      const key = uniqueKey('a.png');

      await store.put(key, bytes('pixels'), { contentType: 'image/png' });
      const blob = await store.get(key);

      expect(text(blob.body)).toBe('pixels');
      expect(blob).toMatchObject({ key, size: 6, contentType: 'image/png' });
      expect(blob.etag).not.toBe('');
    });

    it('describes a stored blob with head and returns undefined for a missing key', async () => {
      const { store } = await factory();
      const key = uniqueKey('b.jpg');
      await store.put(key, bytes('12345678'), { contentType: 'image/jpeg' });

      const info = await store.head(key);
      const missing = await store.head(uniqueKey('missing'));

      expect(info).toMatchObject({ key, size: 8, contentType: 'image/jpeg' });
      expect(info?.lastModified).toBeInstanceOf(Date);
      expect(missing).toBeUndefined();
    });

    it('rejects get of a missing key with NotFoundError', async () => {
      const { store } = await factory();

      await expect(store.get(uniqueKey('missing'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('replaces the bytes on a second put and changes the etag', async () => {
      const { store } = await factory();
      const key = uniqueKey('c');
      await store.put(key, bytes('first'), { contentType: 'text/plain' });
      const before = await store.head(key);

      await store.put(key, bytes('second!'), { contentType: 'text/plain' });
      const after = await store.get(key);

      expect(text(after.body)).toBe('second!');
      expect(after.size).toBe(7);
      expect(after.etag).not.toBe(before?.etag);
    });

    it('deletes a blob and treats deleting a missing key as success', async () => {
      const { store } = await factory();
      const key = uniqueKey('d');
      await store.put(key, bytes('x'), { contentType: 'text/plain' });

      await store.delete(key);
      await store.delete(key);

      expect(await store.head(key)).toBeUndefined();
      await expect(store.get(key)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('rejects keys outside the key alphabet or with empty and dot segments', async () => {
      const { store } = await factory();
      const body = bytes('x');

      for (const key of ['', '../escape', 'a//b', 'a/./b', '.hidden', 'a/b/', '/abs', 'sp ace']) {
        await expect(store.put(key, body, { contentType: 'text/plain' })).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
        });
        await expect(store.head(key)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      }
    });

    it('serves the bytes through a signed download URL and reports its expiry', async () => {
      const { store } = await factory();
      const key = uniqueKey('e.webp');
      await store.put(key, bytes('download me'), { contentType: 'image/webp' });
      const before = Date.now();

      const signed = await store.signedDownloadUrl(key, { expiresInSeconds: 300 });
      const response = await fetch(signed.url, { headers: signed.headers });

      expect(response.status).toBe(200);
      expect(await response.text()).toBe('download me');
      expect(signed.method).toBe('GET');
      expect(signed.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 298_000);
      expect(signed.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 300_000);
    });

    it('accepts an upload through a signed upload URL with the returned headers', async () => {
      const { store } = await factory();
      const key = uniqueKey('f.png');
      const body = bytes('uploaded pixels');

      const signed = await store.signedUploadUrl(key, {
        expiresInSeconds: 300,
        maxBytes: 1024,
        contentType: 'image/png',
      });
      const response = await fetch(signed.url, {
        method: signed.method,
        headers: signed.headers,
        body,
      });
      const stored = await store.get(key);

      expect(response.status).toBe(200);
      expect(signed).toMatchObject({ method: 'PUT', maxBytes: 1024 });
      expect(signed.headers['content-type']).toBe('image/png');
      expect(text(stored.body)).toBe('uploaded pixels');
      expect(stored.contentType).toBe('image/png');
    });

    it('rejects out-of-range signed URL options with ValidationError', async () => {
      const { store } = await factory();
      const key = uniqueKey('g');

      await expect(store.signedDownloadUrl(key, { expiresInSeconds: 0 })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      await expect(
        store.signedDownloadUrl(key, { expiresInSeconds: 604_801 }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(
        store.signedUploadUrl(key, { expiresInSeconds: 60, maxBytes: 0 }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(
        store.signedUploadUrl(key, { expiresInSeconds: 60, maxBytes: 10, contentLength: 11 }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });
  });
}
