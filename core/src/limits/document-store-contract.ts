import { describe, expect, it } from 'vitest';
import { type DocumentStore, updateDocument } from './document-store.ts';

export interface DocumentStoreContractOptions {
  /**
   * True (the default) when the backend enforces conditional writes (locks, real S3). False for an
   * S3 emulator that ignores If-Match / If-None-Match: the tests that need a refused condition are
   * then not registered (docs/keys-and-limits.md records the gap).
   */
  readonly settlesRaces?: boolean;
}

/**
 * The DocumentStore contract: read-your-writes, create-only and compare-and-set puts, idempotent
 * deletes, sorted listing by prefix, and keys that cannot leave their folder.
 */
export function describeDocumentStoreContract(
  name: string,
  factory: () => Promise<DocumentStore>,
  options: DocumentStoreContractOptions = {},
): void {
  const settlesRaces = options.settlesRaces ?? true;
  describe(`DocumentStore contract: ${name}`, () => {
    const race = (title: string, body: (store: DocumentStore) => Promise<void>) => {
      if (!settlesRaces) return;
      it(title, async () => body(await factory()));
    };

    it('writes a document and reads back the value with its version', async () => {
      const store = await factory();

      const version = await store.put('a/doc.json', { n: 1, list: ['x'] });
      const read = await store.get('a/doc.json');

      expect(read).toEqual({ value: { n: 1, list: ['x'] }, version });
      expect(await store.get('a/other.json')).toBeUndefined();
    });

    it('gives new content a new version and replaces on the current version', async () => {
      const store = await factory();
      const first = await store.put('doc.json', { n: 1 }, { expectedVersion: null });

      const second = await store.put('doc.json', { n: 2 }, { expectedVersion: first });

      expect(second).not.toBe(first);
      expect(await store.get('doc.json')).toEqual({ value: { n: 2 }, version: second });
    });

    race('refuses a create-only put over an existing document', async (store) => {
      await store.put('doc.json', { n: 1 });

      await expect(
        store.put('doc.json', { n: 2 }, { expectedVersion: null }),
      ).rejects.toMatchObject({ code: 'CONFLICT', details: { key: 'doc.json' } });
      expect((await store.get('doc.json'))?.value).toEqual({ n: 1 });
    });

    race('refuses a put on a stale version', async (store) => {
      const first = await store.put('doc.json', { n: 1 });
      await store.put('doc.json', { n: 2 }, { expectedVersion: first });

      await expect(
        store.put('doc.json', { n: 3 }, { expectedVersion: first }),
      ).rejects.toMatchObject({ code: 'CONFLICT' });
      expect((await store.get('doc.json'))?.value).toEqual({ n: 2 });
    });

    race('refuses a put on a version of a document that no longer exists', async (store) => {
      const first = await store.put('doc.json', { n: 1 });
      await store.delete('doc.json');

      await expect(
        store.put('doc.json', { n: 2 }, { expectedVersion: first }),
      ).rejects.toMatchObject({ code: 'CONFLICT' });
    });

    race('loses no increment when racing read-modify-writes', async (store) => {
      const increment = () =>
        updateDocument(
          store,
          'counter.json',
          (current) => ({ n: ((current as { n: number } | undefined)?.n ?? 0) + 1 }),
          50,
        );

      await Promise.all(Array.from({ length: 6 }, increment));

      expect((await store.get('counter.json'))?.value).toEqual({ n: 6 });
    });

    it('deletes idempotently', async () => {
      const store = await factory();
      await store.put('doc.json', { n: 1 });

      await store.delete('doc.json');
      await store.delete('doc.json');

      expect(await store.get('doc.json')).toBeUndefined();
    });

    it('lists the keys under a prefix, sorted, and nothing else', async () => {
      const store = await factory();
      await store.put('p/b.json', 1);
      await store.put('p/a.json', 2);
      await store.put('p/deep/c.json', 3);
      await store.put('q/a.json', 4);

      expect(await store.list('p/')).toEqual(['p/a.json', 'p/b.json', 'p/deep/c.json']);
      expect(await store.list('none/')).toEqual([]);
    });

    it('refuses keys that are not plain relative paths', async () => {
      const store = await factory();

      for (const key of ['../escape.json', '/abs.json', 'a//b', 'a/../b', '', 'a b']) {
        await expect(store.put(key, 1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
        await expect(store.get(key)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      }
      await expect(store.list('p')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });
  });
}
